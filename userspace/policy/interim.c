/* SPDX-License-Identifier: MIT */
/* The interim rule (interim.h). */
#include "interim.h"

#include <string.h>

static bool pattern_match(const char *pattern, const char *s)
{
	size_t plen = strlen(pattern);

	if (plen > 0 && pattern[plen - 1] == '*')
		return strncmp(s, pattern, plen - 1) == 0 && strlen(s) > plen - 1;
	return strcmp(pattern, s) == 0;
}

/* "<prefix>{name}": exactly prefix followed by the subject's name. */
static bool name_match(const char *pattern, size_t prefix_len, const char *subject, const char *cap)
{
	const char *name = strchr(subject, ':');

	if (!name || !name[1])
		return false;
	name++;
	return strncmp(cap, pattern, prefix_len) == 0 && strcmp(cap + prefix_len, name) == 0;
}

static bool cap_match(const char *pattern, const char *subject, const char *cap)
{
	size_t plen = strlen(pattern), nlen = strlen(POL_GRANT_NAME);

	if (plen >= nlen && strcmp(pattern + plen - nlen, POL_GRANT_NAME) == 0)
		return name_match(pattern, plen - nlen, subject, cap);
	return pattern_match(pattern, cap);
}

bool pol_interim_allowed(
        const struct pol_grant *grants, size_t n, const char *subject, const char *cap)
{
	if (!grants || !subject || !cap || !*subject || !*cap)
		return false;
	for (size_t i = 0; i < n; i++)
		if (pattern_match(grants[i].subject, subject) &&
		        cap_match(grants[i].cap, subject, cap))
			return true;
	return false;
}
