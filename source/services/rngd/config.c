/* SPDX-License-Identifier: MIT */
/* rngd's configuration from the environment, and its interim policy rule. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nx-abi/dev.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"
#include "rngd.h"

const struct pol_grant rngd_interim_rule[] = {
        {"svc:*", "rng.entropy"},
};
const size_t rngd_interim_rule_len = sizeof(rngd_interim_rule) / sizeof(rngd_interim_rule[0]);

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

/* The hardware source: a path named in the environment wins (tests point it at a file),
 * then the device nexus-init opened for rngd (open= in services.conf), then the default path
 * when rngd runs on its own as root. The source itself only ever sees an fd. */
static int add_hwrng(struct rngd *d)
{
	const char *path = env_or(RNGD_ENV_HWRNG, NULL);
	int fd, r;

	if (!path && nx_fd_dup(RNGD_HWRNG_FD, &fd) == 0) {
		nx_fd_close(RNGD_HWRNG_FD);    /* the copy is close-on-exec, the original was not */
		r = nx_fd_set_nonblock(fd, 1); /* read with a deadline, as nx_dev_open_read's */
		if (r < 0) {
			nx_fd_close(fd);
			return rngd_source_add_failed(d, "hwrng", r);
		}
		return rngd_source_add_fd(d, "hwrng", fd);
	}
	r = nx_dev_open_read(path ? path : RNGD_HWRNG_PATH, &fd);
	if (r < 0)
		return rngd_source_add_failed(d, "hwrng", r);
	return rngd_source_add_fd(d, "hwrng", fd);
}

int rngd_config_sources(struct rngd *d)
{
	const char *list = env_or(RNGD_ENV_SOURCES, RNGD_SOURCES);
	char name[RNG_SOURCE_NAME_MAX_LEN + 1];
	int r = 0;

	for (const char *p = list;; p++) {
		size_t len = strcspn(p, ",");

		if (len == 0 || len >= sizeof(name)) {
			r = -EINVAL;
			break;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		if (strcmp(name, "hwrng") == 0)
			r = add_hwrng(d);
		else if (strcmp(name, "getrandom") == 0)
			r = rngd_source_add_kernel(d);
		else
			r = -EINVAL;
		p += len;
		if (r < 0 || *p == '\0')
			break;
	}
	if (r < 0)
		nx_log(NX_LOG_ERROR, "config", "%s=%s: %s (names: hwrng, getrandom, at most %u)",
		        RNGD_ENV_SOURCES, list, r == -E2BIG ? "too many sources" : "malformed",
		        RNG_SOURCES_MAX);
	return r;
}

/* A decimal number in [0, RNGD_RATE_MAX] from the environment, or the default. */
static int env_u32(const char *name, uint32_t fallback, uint32_t *ret)
{
	const char *text = env_or(name, NULL);
	unsigned long long v;
	char *end;

	if (!text) {
		*ret = fallback;
		return 0;
	}
	errno = 0;
	v = strtoull(text, &end, 10);
	if (*text < '0' || *text > '9' || *end || errno || v > RNGD_RATE_MAX) {
		nx_log(NX_LOG_ERROR, "config", "%s=%s: not a number of bytes in 0..%u", name, text,
		        RNGD_RATE_MAX);
		return -EINVAL;
	}
	*ret = (uint32_t)v;
	return 0;
}

int rngd_config_rate(struct rngd *d)
{
	uint32_t rate, burst;
	int r;

	r = env_u32(RNGD_ENV_RATE, RNGD_RATE_DEFAULT, &rate);
	if (r >= 0)
		r = env_u32(RNGD_ENV_BURST, RNGD_BURST_DEFAULT, &burst);
	if (r < 0)
		return r;
	d->rate = malloc(sizeof(*d->rate));
	if (!d->rate)
		return -ENOMEM;
	ent_rate_init(d->rate, rate, burst);
	return 0;
}
