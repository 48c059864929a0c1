/* SPDX-License-Identifier: MIT */
/* nx-abi processes on Linux: /proc/<pid>/stat (proc(5)). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nx-abi/proc.h"

int nx_proc_usage(int pid, struct nx_proc_usage *ret)
{
	char path[64], buf[1024], *p, *end;
	unsigned long long v[22] = {0};
	long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	FILE *f;
	size_t n;

	if (pid <= 0 || !ret)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Field 2 (comm) is in parentheses and may hold anything: parse after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || tick <= 0 || page <= 0)
		return -EBADMSG;
	p++;
	/* Fields 3..24: state, then numbers; utime is 14, stime 15, vsize 23 (in bytes), rss 24
	 * (in pages). */
	while (*p == ' ')
		p++;
	if (!*p)
		return -EBADMSG;
	p++; /* state */
	for (int i = 4; i <= 24; i++) {
		errno = 0;
		v[i - 3] = strtoull(p, &end, 10);
		if (end == p || errno)
			return -EBADMSG;
		p = end;
	}
	ret->cpu_ns = (v[14 - 3] + v[15 - 3]) * (1000000000ull / (unsigned long long)tick);
	ret->rss_bytes = v[24 - 3] * (unsigned long long)page;
	ret->vm_bytes = v[23 - 3];
	return 0;
}
