/* SPDX-License-Identifier: MIT */
#include "buspair/sas.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

int buspair_sas(const uint8_t *h, size_t len, char ret[BUSPAIR_SAS_LEN + 1])
{
	crypto_generichash_state st;
	uint8_t d[32];
	uint64_t v = 0;

	if (!h || len == 0 || len > BUSPAIR_HASH_MAX)
		return -EINVAL;
	crypto_generichash_init(&st, NULL, 0, sizeof(d));
	crypto_generichash_update(
	        &st, (const uint8_t *)BUSPAIR_SAS_DOMAIN, sizeof(BUSPAIR_SAS_DOMAIN) - 1);
	crypto_generichash_update(&st, h, len);
	crypto_generichash_final(&st, d, sizeof(d));
	for (int i = 0; i < 8; i++)
		v = v << 8 | d[i];
	/* 64 bits reduced mod 10^6: the bias is below 10^-13. */
	(void)snprintf(ret, BUSPAIR_SAS_LEN + 1, "%06u", (unsigned)(v % 1000000u));
	return 0;
}

int buspair_sas_check(const char *sas)
{
	if (!sas || strlen(sas) != BUSPAIR_SAS_LEN)
		return -EINVAL;
	for (size_t i = 0; i < BUSPAIR_SAS_LEN; i++)
		if (sas[i] < '0' || sas[i] > '9')
			return -EINVAL;
	return 0;
}
