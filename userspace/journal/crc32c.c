/* SPDX-License-Identifier: MIT */
#include "crc32c.h"

#include <stdbool.h>
#include <string.h>

#define CRC32C_POLY 0x82F63B78u

static uint32_t table[256];
static bool table_ready;

static void table_make(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		table[i] = c;
	}
	table_ready = true;
}

static uint32_t crc_table(uint32_t crc, const uint8_t *p, size_t len)
{
	if (!table_ready)
		table_make();
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
/* One instruction per 8 bytes: the journal checksums every record it appends. */
__attribute__((target("sse4.2"))) static uint32_t crc_sse42(
        uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
	}
	crc = (uint32_t)c;
	for (; len; p++, len--)
		crc = __builtin_ia32_crc32qi(crc, *p);
	return crc;
}
#endif

uint32_t jrn_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
#if defined(__x86_64__)
	if (__builtin_cpu_supports("sse4.2"))
		return ~crc_sse42(crc, p, len);
#endif
	return ~crc_table(crc, p, len);
}
