/* SPDX-License-Identifier: MIT */
#include "table.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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
	        [INIT_SANDBOX_HWRNG] = "sandbox=hwrng",
	};

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (enum init_sandbox)i;
			return 0;
		}
	return -EINVAL;
}

int init_table_load(
        const char *path, const char *bindir, struct init_entry ret_entries[INIT_MAX_SERVICES])
{
	struct init_entry tmp[INIT_MAX_SERVICES];
	char buf[1024], name[128], binary[PATH_MAX], restart[32], sandbox[32], extra[2];
	unsigned line = 0, n = 0;
	enum init_sandbox sb;
	FILE *f;
	int r = 0, fields;

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
		buf[strcspn(buf, "#\n")] = '\0';
		fields = sscanf(
		        buf, "%127s %4095s %31s %31s %1s", name, binary, restart, sandbox, extra);
		if (fields <= 0)
			continue; /* blank or comment */
		if (fields != 3 && fields != 4) {
			r = bad(path, line, "expected: name binary restart [sandbox=PROFILE]");
			break;
		}
		sb = INIT_SANDBOX_DEFAULT;
		if (fields == 4 && parse_sandbox(sandbox, &sb) < 0) {
			r = bad(path, line, "sandbox: not sandbox=default, policy, none or hwrng");
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
		if (n == INIT_MAX_SERVICES) {
			r = bad(path, line, "more than 16 services");
			break;
		}
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
		tmp[n].sandbox = sb;
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
