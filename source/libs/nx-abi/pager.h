/* SPDX-License-Identifier: MIT */
/*
 * nx-abi pager: page a program's own standard output through a pager command (`nx log` on a
 * terminal), as git and journalctl do.
 */
#ifndef NX_ABI_PAGER_H
#define NX_ABI_PAGER_H

#ifdef __cplusplus
extern "C" {
#endif

/* Starts `/bin/sh -c cmd` reading a pipe, and puts the pipe's write end on fd 1: what the
 * caller writes to stdout from now on goes to the pager. 0 with *ret_pidfd (the caller's:
 * nx_pager_end), or a negative errno with fd 1 untouched (no pager: write on). */
int nx_pager_start(const char *cmd, int *ret_pidfd);

/* Closes fd 1 (the pager sees the end of its input; flush stdio first) and waits for the
 * pager to exit (the user quits it). Takes the pidfd. */
void nx_pager_end(int pidfd);

#ifdef __cplusplus
}
#endif

#endif
