/* SPDX-License-Identifier: MIT */
/* The rules of a bundle's names (rules.h). */
#include <errno.h>
#include <string.h>

#include "crypto.h"
#include "rules.h"

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_label_char(char c)
{
	return is_lower(c) || (c >= '0' && c <= '9') || c == '_';
}

int bnd_id_check(const char *id, size_t len)
{
	size_t labels = 0, label_len = 0;

	if (!id || len == 0)
		return -EINVAL;
	if (len > BND_ID_MAX)
		return -EMSGSIZE;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || id[i] == '.') {
			if (label_len == 0 || label_len > BND_LABEL_MAX)
				return -EINVAL;
			labels++;
			label_len = 0;
			continue;
		}
		if (!is_label_char(id[i]) || (label_len == 0 && !is_lower(id[i])))
			return -EINVAL;
		label_len++;
	}
	return labels >= 2 && labels <= BND_ID_LABELS_MAX ? 0 : -EINVAL;
}

int bnd_path_check(const char *path, size_t len)
{
	size_t seg = 0; /* start of the current segment */

	if (!path || len == 0)
		return -EINVAL;
	if (len > BND_PATH_MAX)
		return -EMSGSIZE;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || path[i] == '/') {
			size_t n = i - seg;

			if (n == 0 || (n == 1 && path[seg] == '.') ||
			        (n == 2 && path[seg] == '.' && path[seg + 1] == '.'))
				return -EINVAL;
			seg = i + 1;
			continue;
		}
		if ((unsigned char)path[i] < 0x21 || (unsigned char)path[i] > 0x7e ||
		        path[i] == '\\')
			return -EINVAL;
	}
	return 0;
}

bool bnd_paths_clash(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;

	if (memcmp(a, b, n) != 0)
		return false;
	if (alen == blen)
		return true;
	/* One is a prefix of the other: a clash when the longer one goes on with a '/'. */
	return (alen > blen ? a : b)[n] == '/';
}

int bnd_cap_check(const char *cap, size_t len)
{
	if (!cap || len == 0)
		return -EINVAL;
	if (len > BND_CAP_MAX)
		return -EMSGSIZE;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)cap[i] < 0x21 || (unsigned char)cap[i] > 0x7e || cap[i] == '*' ||
		        cap[i] == '#')
			return -EINVAL;
	return 0;
}

int bnd_mode_check(uint32_t mode)
{
	if ((mode & ~BND_MODE_PERM) != 0 || (mode & BND_MODE_READ) == 0)
		return -EINVAL;
	return 0;
}

int bnd_version_check(uint64_t installed, uint64_t incoming, bool force)
{
	if (incoming == 0)
		return -EINVAL;
	if (installed != 0 && incoming <= installed && !force)
		return -EEXIST;
	return 0;
}

void bnd_hex(const uint8_t *bytes, size_t len, char *ret)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		ret[2 * i] = digits[bytes[i] >> 4];
		ret[2 * i + 1] = digits[bytes[i] & 0xf];
	}
	ret[2 * len] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int bnd_unhex(const char *hex, size_t hex_len, uint8_t *ret, size_t len)
{
	if (!hex || hex_len != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		ret[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void bnd_key_id(const uint8_t key[BND_KEY_LEN], char ret[BND_KEY_ID_LEN + 1])
{
	uint8_t digest[BND_HASH_LEN];

	bnd_sha256(digest, key, BND_KEY_LEN);
	bnd_hex(digest, BND_KEY_ID_LEN / 2, ret);
}
