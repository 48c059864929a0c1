/* SPDX-License-Identifier: MIT */
/*
 * Parses arbitrary bytes as a policy file. Bytes after the first NUL form a second file, served
 * by the loader for every include (so includes nest, cycle and hit the depth limit). When a
 * policy parses, its canonical form must parse again to the same version and the same form, and
 * checks/explanations must agree with each other.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

typedef struct second {
	const uint8_t *data;
	size_t len;
} second;

static int loader(void *ctx, const char *path, const void **ret_data, size_t *ret_len)
{
	const second *s = ctx;

	if (!s->data)
		return -ENOENT;
	*ret_data = s->data;
	*ret_len = s->len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t root_len = nul ? (size_t)(nul - data) : size;
	second s = {nul ? nul + 1 : NULL, nul ? size - root_len - 1 : 0};
	pol_policy *p = NULL, *q = NULL;
	pol_error err;
	const char *canon;
	size_t len;
	pol_explanation ex;
	static const char *const subjects[] = {"svc:a", "app:x", "app:x/y", "peer:d/app:x", "a"};
	static const char *const caps[] = {"ipc.connect.a", "log.append", "a", "a.b.c"};

	if (pol_parse("dir/root.policy", data, root_len, loader, &s, &p, &err) < 0) {
		if (strnlen(err.text, sizeof(err.text)) >= sizeof(err.text))
			abort();
		return 0;
	}
	canon = pol_canonical(p, &len);
	if (pol_parse("canon.policy", canon, len, NULL, NULL, &q, &err) < 0)
		abort();
	if (strcmp(pol_version(p), pol_version(q)) != 0 ||
	        strcmp(pol_canonical(q, NULL), canon) != 0 ||
	        pol_rule_count(p) != pol_rule_count(q))
		abort();
	for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++)
		for (size_t j = 0; j < sizeof(caps) / sizeof(caps[0]); j++) {
			pol_verdict v = pol_check(p, subjects[i], caps[j]);

			if (pol_check(q, subjects[i], caps[j]) != v)
				abort();
			if (pol_explain(p, subjects[i], caps[j], &ex) < 0 || ex.verdict != v)
				abort();
		}
	pol_free(q);
	pol_free(p);
	return 0;
}
