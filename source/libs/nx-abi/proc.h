/* SPDX-License-Identifier: MIT */
/* nx-abi processes: what a running process uses (nx status). */
#ifndef NX_ABI_PROC_H
#define NX_ABI_PROC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nx_proc_usage {
	uint64_t rss_bytes; /* resident memory now */
	uint64_t cpu_ns;    /* user + system CPU time so far */
	uint64_t vm_bytes;  /* address space mapped, touched or not (what RLIMIT_AS counts) */
};

/* What process `pid` uses now. 0 with *ret, or -ESRCH (no such process), -EACCES, -EBADMSG
 * (the kernel's answer did not parse). Linux: /proc/<pid>/stat. */
int nx_proc_usage(int pid, struct nx_proc_usage *ret);

#ifdef __cplusplus
}
#endif

#endif
