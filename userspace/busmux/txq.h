/* SPDX-License-Identifier: MIT */
/*
 * A stream's send queue (private to busmux): what the local side wrote, in order, until
 * busmux_next_record packs it into frames. Bytes (DATA, VMO chunks) are kept in blocks that
 * later writes of the same type fill up; VMO_BEGIN, VMO_END and CLOSE are markers between them.
 */
#ifndef BUSMUX_TXQ_H
#define BUSMUX_TXQ_H

#include <stddef.h>
#include <stdint.h>

#include "busmux/frame.h"

struct txq_block {
	struct txq_block *next;
	enum busmux_type type; /* DATA, VMO_CHUNK (bytes); VMO_BEGIN, VMO_END, CLOSE (markers) */
	uint64_t vmo_size;     /* VMO_BEGIN */
	size_t len, sent;      /* bytes held, and sent of them */
	uint8_t bytes[];
};

struct txq {
	struct txq_block *head, *tail;
	size_t bytes; /* unsent bytes of DATA and VMO chunks */
};

/* Appends len bytes of buf as `type` (DATA or VMO_CHUNK). 0, -ENOMEM. */
int txq_push_bytes(struct txq *q, enum busmux_type type, const uint8_t *buf, size_t len);

/* Appends a marker (VMO_BEGIN with vmo_size, VMO_END, CLOSE). 0, -ENOMEM. */
int txq_push_marker(struct txq *q, enum busmux_type type, uint64_t vmo_size);

/* Marks n more bytes of the head block sent (all of a marker: n is ignored), dropping it when
 * done. */
void txq_advance(struct txq *q, size_t n);

/* Drops everything. */
void txq_clear(struct txq *q);

#endif
