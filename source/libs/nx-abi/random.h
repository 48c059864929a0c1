/* SPDX-License-Identifier: MIT */
/* nx-abi random bytes from the kernel (Linux: getrandom), for identifiers such as a journal's
 * boot id; keys and tokens come from rngd. */
#ifndef NX_ABI_RANDOM_H
#define NX_ABI_RANDOM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fills len bytes at buf (len <= 256: one call, never short). -EINVAL, or the kernel's. */
int nx_random_fill(void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
