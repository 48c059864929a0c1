/* SPDX-License-Identifier: MIT */
/* policyd's store (store.h): the loader callback of userspace/policy over one directory fd. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nx-abi/file.h"
#include "nx-abi/sock.h"
#include "store.h"

struct pold_store {
	int dirfd;
	pol_policy *policy;
	char *root; /* with grants: "include default.policy\n" and the overlay; else NULL */
	size_t root_len;
};

/* Every file read for one load, kept until pol_load() returns (the loader contract). */
struct load_ctx {
	int dirfd;
	void *bufs[POL_FILES_MAX];
	size_t nbufs;
};

static int loader(void *userdata, const char *path, const void **ret_data, size_t *ret_len)
{
	struct load_ctx *ctx = userdata;
	void *data = NULL;
	size_t len = 0;
	int r;

	if (ctx->nbufs >= POL_FILES_MAX)
		return -EMSGSIZE;
	/* The library hands only relative paths without "."/".." segments; reading beneath the
	 * directory makes sure symlinks do not lead out either. */
	if (!path || !*path || path[0] == '/')
		return -EINVAL;
	r = nx_file_read_beneath(ctx->dirfd, path, POL_FILE_MAX, &data, &len);
	if (r < 0)
		return r;
	ctx->bufs[ctx->nbufs++] = data;
	*ret_data = data;
	*ret_len = len;
	return 0;
}

/* The directory's policy, under the grants' root when `root` is not NULL. */
static int load(int dirfd, const char *root, size_t root_len, pol_policy **ret, pol_error *ret_err)
{
	struct load_ctx *ctx = calloc(1, sizeof(*ctx));
	int r;

	if (!ctx)
		return -ENOMEM;
	ctx->dirfd = dirfd;
	if (root)
		r = pol_parse(POLD_GRANTS_FILE, root, root_len, loader, ctx, ret, ret_err);
	else
		r = pol_load(POLD_ROOT_FILE, loader, ctx, ret, ret_err);
	for (size_t i = 0; i < ctx->nbufs; i++)
		free(ctx->bufs[i]);
	free(ctx);
	return r;
}

int pold_store_open(const char *dir, pold_store **ret, pol_error *ret_err)
{
	pold_store *s;
	int r;

	if (!dir || !*dir || !ret)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	r = nx_dir_open(dir, &s->dirfd);
	if (r < 0) {
		free(s);
		return r;
	}
	r = load(s->dirfd, NULL, 0, &s->policy, ret_err);
	if (r < 0) {
		pold_store_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int pold_store_reload(pold_store *s, bool *ret_changed, pol_error *ret_err)
{
	pol_policy *p = NULL;
	bool changed;
	int r;

	if (!s)
		return -EINVAL;
	r = load(s->dirfd, s->root, s->root_len, &p, ret_err);
	if (r < 0)
		return r;
	changed = strcmp(pol_version(p), pol_version(s->policy)) != 0;
	pol_free(s->policy);
	s->policy = p;
	if (ret_changed)
		*ret_changed = changed;
	return 0;
}

int pold_store_set_overlay(
        pold_store *s, const char *overlay, size_t len, bool *ret_changed, pol_error *ret_err)
{
	static const char include[] = "include " POLD_ROOT_FILE "\n";
	char *root = NULL, *old_root;
	size_t root_len = 0, old_len;
	int r;

	if (!s || (!overlay && len))
		return -EINVAL;
	if (len) {
		root_len = sizeof(include) - 1 + len;
		root = malloc(root_len);
		if (!root)
			return -ENOMEM;
		memcpy(root, include, sizeof(include) - 1);
		memcpy(root + sizeof(include) - 1, overlay, len);
	}
	old_root = s->root;
	old_len = s->root_len;
	s->root = root;
	s->root_len = root_len;
	r = pold_store_reload(s, ret_changed, ret_err);
	if (r < 0) {
		s->root = old_root;
		s->root_len = old_len;
		free(root);
		return r;
	}
	free(old_root);
	return 0;
}

const pol_policy *pold_store_policy(const pold_store *s)
{
	return s ? s->policy : NULL;
}

pold_store *pold_store_free(pold_store *s)
{
	if (!s)
		return NULL;
	nx_fd_close(s->dirfd);
	pol_free(s->policy);
	free(s->root);
	free(s);
	return NULL;
}
