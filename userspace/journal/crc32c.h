/* SPDX-License-Identifier: MIT */
/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every journal record
 * in its ring: the SSE4.2 crc32 instruction where the CPU has it, a table otherwise (same
 * result). Pure.
 */
#ifndef USERSPACE_JOURNAL_CRC32C_H
#define USERSPACE_JOURNAL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues the CRC `crc` (0 to start) over len bytes at buf. The standard check value:
 * jrn_crc32c(0, "123456789", 9) == 0xE3069283. */
uint32_t jrn_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
