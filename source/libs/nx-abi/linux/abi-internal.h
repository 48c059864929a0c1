/* SPDX-License-Identifier: MIT */
/* Private helpers shared by the Linux backend of nx-abi. */
#ifndef NX_ABI_LINUX_INTERNAL_H
#define NX_ABI_LINUX_INTERNAL_H

#include <errno.h>

#include "nx-util/macro.h" /* assert_return */

/* libc's -1/errno converted once, at the call (STYLE.md 6). errno is never 0 after a failed
 * call, but a wrong 0 here would read as success, so fall back to EIO. */
static inline int nx_neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

#endif
