/* SPDX-License-Identifier: MIT */
/*
 * jrn_open reading back a damaged region: a ring of deterministic records (wrapped, so chunks
 * are full, evicted and reused) is corrupted by the input, read as (offset, xor byte) pairs
 * over the whole region, header included, and reopened. Whatever the damage: jrn_open succeeds
 * (formatting a region whose header no longer checks), every record it keeps is one that was
 * written (its checksum holds, and its texts are what the generator made for its id), ids are
 * consecutive, queries walk them all, an append follows the newest id, and a second reopen
 * finds the same records and nothing torn.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal/journal.h"

#define CAPACITY  JRN_CAPACITY_MIN
#define RECORDS   1200u /* about twice the ring: wrapped */
#define PATCH_MAX 512u  /* (offset, xor) pairs read from one input */

static uint8_t pristine[JRN_REGION_HDR_BYTES + CAPACITY] __attribute__((aligned(8)));
static uint8_t region[sizeof(pristine)] __attribute__((aligned(8)));
static const uint8_t boot_id[JRN_BOOT_ID_BYTES] = {7};

static void gen(uint64_t id, char subject[16], char message[96])
{
	(void)snprintf(subject, 16, "svc:s%u", (unsigned)(id % 5));
	(void)snprintf(message, 96, "record %llu %.*s", (unsigned long long)id, (int)(id * 13 % 60),
	        "------------------------------------------------------------");
}

static struct jrn *open_it(struct jrn_recovery *rec)
{
	struct jrn_config cfg = {.capacity = CAPACITY};
	struct jrn *j = NULL;

	if (jrn_open(region, sizeof(region), &cfg, boot_id, &j, rec) != 0)
		abort();
	return j;
}

static void make_pristine(void)
{
	struct jrn *j;

	memset(region, 0, sizeof(region));
	j = open_it(NULL);
	for (uint64_t id = 1; id <= RECORDS; id++) {
		char subject[16], message[96];
		struct jrn_entry e = {.level = JRN_LEVEL_INFO, .scope = "fz", .message = message};

		gen(id, subject, message);
		if (jrn_append(j, subject, &e, id, id, NULL) != 0)
			abort();
	}
	jrn_free(j);
	memcpy(pristine, region, sizeof(region));
}

/* Every record kept is one that was written; returns how many. */
static uint64_t check(const struct jrn *j)
{
	struct jrn_record out[64];
	struct jrn_query_result res;
	struct jrn_filter f = {0};
	uint64_t n = 0, expect = 0;

	for (;;) {
		if (jrn_query(j, &f, out, 64, &res) != 0)
			abort();
		for (size_t i = 0; i < res.count; i++) {
			char subject[16], message[96];

			if (expect && out[i].id != expect)
				abort(); /* ids consecutive */
			expect = out[i].id + 1;
			gen(out[i].id, subject, message);
			if (strcmp(out[i].subject, subject) != 0 ||
			        strcmp(out[i].message, message) != 0 ||
			        strcmp(out[i].scope, "fz") != 0 || out[i].monotonic_ns != out[i].id)
				abort();
			n++;
		}
		if (res.count == 0)
			break;
		f.since_id = res.next_cursor;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jrn_recovery rec, again;
	struct jrn_stats st;
	struct jrn *j;
	uint64_t n, next;

	if (size > 3 * PATCH_MAX)
		return -1; /* longer inputs add nothing but time */
	if (pristine[0] == 0)
		make_pristine();
	memcpy(region, pristine, sizeof(region));
	for (size_t i = 0; i + 3 <= size; i += 3) {
		size_t at = ((size_t)data[i] << 8 | data[i + 1]) * sizeof(region) / 65536u;

		region[at] ^= data[i + 2];
	}
	j = open_it(&rec);
	n = check(j);
	jrn_stats(j, &st);
	if (n != st.records || n != rec.records)
		abort();
	next = st.next_id;
	if (st.records && next <= st.newest_id)
		abort(); /* an id handed out again */
	{
		struct jrn_entry e = {.level = JRN_LEVEL_WARN, .scope = "fz", .message = "after"};
		uint64_t id = 0;

		if (jrn_append(j, "svc:fz", &e, 0, 0, &id) != 0 || id != next)
			abort();
	}
	jrn_free(j);
	j = open_it(&again);
	if (again.torn != 0 || again.formatted || again.records != rec.records + 1)
		abort();
	jrn_free(j);
	return 0;
}
