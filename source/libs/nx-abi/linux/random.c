/* SPDX-License-Identifier: MIT */
/* nx-abi random bytes (random.h) on getrandom(2). */
#include <sys/random.h>

#include "abi-internal.h"
#include "nx-abi/random.h"

int nx_random_fill(void *buf, size_t len)
{
	ssize_t n;

	assert_return(buf && len <= 256, -EINVAL);
	/* Up to 256 bytes from the urandom pool are never short once it is initialised. */
	do
		n = getrandom(buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return nx_neg_errno();
	return (size_t)n == len ? 0 : -EIO;
}
