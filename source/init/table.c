/* SPDX-License-Identifier: MIT */
#include "table.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx-abi/sandbox.h"

static int bad(const char *path, unsigned line, const char *what)
{
	fprintf(stderr, "%s:%u: error: %s\n", path, line, what);
	return -EINVAL;
}

static bool is_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > INIT_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		            *s == '_' || *s == '-'))
			return false;
	return true;
}

static int parse_sandbox(const char *s, enum init_sandbox *ret)
{
	static const char *const names[] = {
	        [INIT_SANDBOX_DEFAULT] = "sandbox=default",
	        [INIT_SANDBOX_POLICY] = "sandbox=policy",
	        [INIT_SANDBOX_NONE] = "sandbox=none",
	        [INIT_SANDBOX_NET] = "sandbox=net",
	};

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (enum init_sandbox)i;
			return 0;
		}
	return -EINVAL;
}

/* A decimal in 1..max. */
static int parse_number(const char *s, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_caps(char *list, uint64_t *ret)
{
	uint64_t caps = 0;
	int cap;

	for (char *save = NULL, *name = strtok_r(list, ",", &save); name;
	        name = strtok_r(NULL, ",", &save)) {
		cap = nx_sandbox_cap_from_name(name);
		if (cap < 0)
			return cap;
		caps |= 1ull << cap;
	}
	*ret = caps;
	return 0;
}

/* One key=value after the restart field; NULL or the complaint. */
static const char *parse_option(char *opt, bool has_comment, struct init_entry *e)
{
	uint64_t v;
	char *val = strchr(opt, '=');

	if (!val)
		return "option: not key=value";
	*val++ = '\0';
	if (strcmp(opt, "sandbox") == 0) {
		char full[48];

		snprintf(full, sizeof(full), "sandbox=%s", val);
		return parse_sandbox(full, &e->sandbox) < 0
		               ? "sandbox: not sandbox=default, policy or none"
		               : NULL;
	}
	if (strcmp(opt, "uid") == 0) {
		if (parse_number(val, UINT32_MAX - 1, &v) < 0)
			return "uid: not a number in 1..4294967294";
		e->uid = (uint32_t)v;
		return NULL;
	}
	if (strcmp(opt, "caps") == 0) {
		if (!has_comment)
			return "caps: say why in a # comment on the same line";
		return parse_caps(val, &e->keep_caps) < 0 ? "caps: not a list of CAP_ names" : NULL;
	}
	if (strcmp(opt, "nofile") == 0 || strcmp(opt, "nproc") == 0) {
		if (parse_number(val, NX_INIT_RLIMIT_MAX, &v) < 0)
			return "nofile, nproc: not a number in 1..1048576 (NX_INIT_RLIMIT_MAX)";
		*(opt[1] == 'o' ? &e->nofile : &e->nproc) = v;
		return NULL;
	}
	if (strcmp(opt, "open") == 0) {
		if (val[0] != '/' || strlen(val) > NX_INIT_OPEN_PATH_MAX)
			return "open: not an absolute path of at most 255 bytes";
		if (e->nopen == NX_INIT_OPEN_MAX)
			return "open: more than 4 (NX_INIT_OPEN_MAX)";
		memcpy(e->open[e->nopen++], val, strlen(val) + 1);
		return NULL;
	}
	return "option: not sandbox=, uid=, caps=, nofile=, nproc= or open=";
}

int init_table_load(
        const char *path, const char *bindir, struct init_entry ret_entries[INIT_MAX_SERVICES])
{
	struct init_entry tmp[INIT_MAX_SERVICES];
	char buf[1024], name[128], binary[PATH_MAX], restart[32];
	unsigned line = 0, n = 0;
	const char *complaint;
	bool has_comment;
	FILE *f;
	int r = 0, fields, used;

	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		fprintf(stderr, "%s: error: %s\n", path, strerror(errno));
		return r;
	}
	while (fgets(buf, sizeof(buf), f)) {
		line++;
		if (!strchr(buf, '\n') && !feof(f)) {
			r = bad(path, line, "line longer than 1023 bytes");
			break;
		}
		has_comment = strchr(buf, '#') != NULL;
		buf[strcspn(buf, "#\n")] = '\0';
		used = 0;
		fields = sscanf(buf, "%127s %4095s %31s%n", name, binary, restart, &used);
		if (fields <= 0)
			continue; /* blank or comment */
		if (fields != 3) {
			r = bad(path, line, "expected: name binary restart [options]");
			break;
		}
		if (n == INIT_MAX_SERVICES) {
			r = bad(path, line, "more than 16 services");
			break;
		}
		memset(&tmp[n], 0, sizeof(tmp[n]));
		tmp[n].sandbox = INIT_SANDBOX_DEFAULT;
		complaint = NULL;
		for (char *save = NULL, *opt = strtok_r(buf + used, " \t", &save);
		        opt && !complaint; opt = strtok_r(NULL, " \t", &save))
			complaint = parse_option(opt, has_comment, &tmp[n]);
		if (complaint) {
			r = bad(path, line, complaint);
			break;
		}
		if (!is_name(name)) {
			r = bad(path, line, "name: not 1..64 bytes of [a-z0-9._-]");
			break;
		}
		for (unsigned i = 0; i < n; i++)
			if (strcmp(tmp[i].name, name) == 0)
				r = bad(path, line, "name listed twice");
		if (r < 0)
			break;
		if (strcmp(restart, "always") == 0)
			tmp[n].restart = SUP_RESTART_ALWAYS;
		else if (strcmp(restart, "on-failure") == 0)
			tmp[n].restart = SUP_RESTART_ON_FAILURE;
		else if (strcmp(restart, "never") == 0)
			tmp[n].restart = SUP_RESTART_NEVER;
		else {
			r = bad(path, line, "restart: not always, on-failure or never");
			break;
		}
		if ((size_t)snprintf(tmp[n].binary, sizeof(tmp[n].binary), "%s%s%s",
		            binary[0] == '/' ? "" : bindir, binary[0] == '/' ? "" : "/",
		            binary) >= sizeof(tmp[n].binary)) {
			r = bad(path, line, "binary: path too long");
			break;
		}
		memcpy(tmp[n].name, name, strlen(name) + 1); /* is_name: at most 64 bytes */
		if (n == 0 && strcmp(name, "samgrd") != 0) {
			r = bad(path, line, "the first service must be samgrd");
			break;
		}
		n++;
	}
	if (r == 0 && ferror(f))
		r = -EIO;
	fclose(f);
	if (r == 0 && n == 0)
		r = bad(path, line, "no services");
	if (r < 0)
		return r;
	memcpy(ret_entries, tmp, n * sizeof(tmp[0]));
	return (int)n;
}
