/* SPDX-License-Identifier: MIT */
/* keystore refs (ref.h). */
#include <errno.h>
#include <string.h>

#include "ref.h"

static bool is_lower_or_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool ks_name_valid(const char *name, size_t len)
{
	if (!name || len == 0 || len > KS_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!is_lower_or_digit(c) && !(c >= 'A' && c <= 'Z') && c != '.' && c != '_' &&
		        c != '-')
			return false;
	}
	return true;
}

bool ks_domain_valid(const char *domain, size_t len)
{
	if (!domain || len == 0 || len > KS_DOMAIN_MAX || domain[0] == '.' ||
	        domain[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = domain[i];

		if (!is_lower_or_digit(c) && c != '.' && c != '_' && c != '-')
			return false;
		if (c == '.' && domain[i + 1] == '.')
			return false; /* i + 1 < len: the last byte is not '.' */
	}
	return true;
}

int ks_ref_resolve(const char *subject, const char *key, size_t len, struct ks_ref *ret)
{
	if (!subject || !*subject || !key || !ret)
		return -EINVAL;
	if (len == sizeof(KS_DEVICE_REF) - 1 && memcmp(key, KS_DEVICE_REF, len) == 0) {
		*ret = (struct ks_ref){KS_DEVICE_OWNER, KS_DEVICE_NAME, true};
		return 0;
	}
	if (!ks_name_valid(key, len) || key[len] != '\0')
		return -EINVAL;
	if (strcmp(subject, KS_DEVICE_OWNER) == 0)
		return -EPERM;
	*ret = (struct ks_ref){subject, key, false};
	return 0;
}
