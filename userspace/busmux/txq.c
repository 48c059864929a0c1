/* SPDX-License-Identifier: MIT */
#include "busmux/txq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Bytes one block holds: a frame's worth, so a block maps onto few frames. */
#define TXQ_BLOCK_BYTES 32768u

static int push_block(struct txq *q, enum busmux_type type, size_t room, struct txq_block **ret)
{
	struct txq_block *b = calloc(1, sizeof(*b) + room);

	if (!b)
		return -ENOMEM;
	b->type = type;
	if (q->tail)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
	*ret = b;
	return 0;
}

int txq_push_bytes(struct txq *q, enum busmux_type type, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		struct txq_block *b = q->tail;
		size_t n;

		if (!b || b->type != type || b->len == TXQ_BLOCK_BYTES) {
			int r = push_block(q, type, TXQ_BLOCK_BYTES, &b);

			if (r < 0)
				return r;
		}
		n = TXQ_BLOCK_BYTES - b->len;
		if (n > len)
			n = len;
		memcpy(b->bytes + b->len, buf, n);
		b->len += n;
		q->bytes += n;
		buf += n;
		len -= n;
	}
	return 0;
}

int txq_push_marker(struct txq *q, enum busmux_type type, uint64_t vmo_size)
{
	struct txq_block *b;
	int r = push_block(q, type, 0, &b);

	if (r >= 0)
		b->vmo_size = vmo_size;
	return r;
}

void txq_advance(struct txq *q, size_t n)
{
	struct txq_block *b = q->head;

	if (!b)
		return;
	if (b->type == BUSMUX_DATA || b->type == BUSMUX_VMO_CHUNK) {
		b->sent += n;
		q->bytes -= n;
		if (b->sent < b->len)
			return;
	}
	q->head = b->next;
	if (!q->head)
		q->tail = NULL;
	free(b);
}

void txq_clear(struct txq *q)
{
	while (q->head) {
		struct txq_block *b = q->head;

		q->head = b->next;
		free(b);
	}
	q->tail = NULL;
	q->bytes = 0;
}
