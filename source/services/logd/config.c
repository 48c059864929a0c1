/* SPDX-License-Identifier: MIT */
/* logd's configuration: the environment knobs (pure parsing) and the interim policy rule,
 * unit-tested. */
#include <errno.h>
#include <stdlib.h>

#include "logd.h"

const struct pol_grant logd_interim_rule[] = {
        {"svc:*", "log.append"},
};
const size_t logd_interim_rule_len = sizeof(logd_interim_rule) / sizeof(logd_interim_rule[0]);

int logd_parse_capacity(const char *text, size_t *ret)
{
	unsigned long long v, mult = 1;
	char *end;

	if (!text || !*text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return -ERANGE;
	if (*end == 'K' || *end == 'k')
		mult = 1ull << 10, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1ull << 20, end++;
	else if (*end == 'G' || *end == 'g')
		mult = 1ull << 30, end++;
	if (*end)
		return -EINVAL;
	if (v > JRN_CAPACITY_MAX / mult || v * mult < JRN_CAPACITY_MIN)
		return -ERANGE;
	*ret = (size_t)(v * mult);
	return 0;
}

int logd_parse_u32(const char *text, uint32_t max, uint32_t *ret)
{
	unsigned long long v;
	char *end;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno || v > max)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}
