/* SPDX-License-Identifier: MIT */
/*
 * Canonical form, as the reference writes it (`capnp convert binary:canonical`): one segment
 * without a segment table, objects in preorder (a struct's data, then each pointer's target in
 * order; a struct list's elements first, then each element's targets), data sections trimmed
 * of trailing zero words, pointer sections of trailing nulls, and struct lists resized to the
 * largest trimmed element. Zero-sized structs point at themselves (offset -1); empty lists
 * point at the current end of the output. A capability pointer is -EOPNOTSUPP, as in the
 * reference: there is no canonical form of a reference into a cap table left behind.
 *
 * The output is sized as it is written: words past `cap` are only counted, so one pass gives
 * both the bytes and, on -ENOBUFS, the size needed.
 */
#include "reader.h"

struct cwriter {
	uint8_t *out;
	uint64_t cap_words;
	uint64_t pos; /* words allocated so far */
};

static void put(struct cwriter *w, uint64_t idx, uint64_t v)
{
	if (idx < w->cap_words)
		nxc_store64(w->out + idx * 8, v);
}

static uint64_t alloc_words(struct cwriter *w, uint64_t n)
{
	uint64_t start = w->pos;

	for (uint64_t i = start; i < start + n && i < w->cap_words; i++)
		nxc_store64(w->out + i * 8, 0);
	w->pos += n;
	return start;
}

/* Word i of a data section of `bytes` bytes, zero-padded past its end. */
static uint64_t data_word(const uint8_t *data, uint32_t bytes, uint32_t i)
{
	uint8_t buf[8] = {0};
	uint64_t off = (uint64_t)i * 8;
	uint64_t n;

	if (off >= bytes)
		return 0;
	n = bytes - off < 8 ? bytes - off : 8;

	memcpy(buf, data + off, (size_t)n);
	return nxc_load64(buf);
}

static uint32_t trimmed_data(const nx_capnp_struct *s)
{
	uint32_t dw = (s->data_bytes + 7) / 8;

	while (dw > 0 && data_word(s->data, s->data_bytes, dw - 1) == 0)
		dw--;
	return dw;
}

static uint16_t trimmed_ptrs(const nx_capnp_struct *s)
{
	uint16_t np = s->nptrs;

	while (np > 0 && nxc_load64(s->ptrs + np - 1) == 0)
		np--;
	return np;
}

static int canon_ptr(struct cwriter *w, const nx_capnp_ptr *src, uint64_t ref);

static int canon_struct(struct cwriter *w, const nx_capnp_struct *s, uint64_t ref)
{
	uint32_t dw = trimmed_data(s);
	uint16_t np = trimmed_ptrs(s);
	uint64_t start;

	if (dw == 0 && np == 0) {
		put(w, ref, nxc_make_struct_ptr(-1, 0, 0));
		return 0;
	}
	start = alloc_words(w, (uint64_t)dw + np);
	put(w, ref, nxc_make_struct_ptr((int64_t)(start - ref - 1), (uint16_t)dw, np));
	for (uint32_t i = 0; i < dw; i++)
		put(w, start + i, data_word(s->data, s->data_bytes, i));
	for (uint32_t i = 0; i < np; i++) {
		nx_capnp_ptr p = nx_capnp_struct_ptr(s, i);
		int err = canon_ptr(w, &p, start + dw + i);

		if (err != 0)
			return err;
	}
	return 0;
}

static int canon_struct_list(struct cwriter *w, const nx_capnp_list *l, uint64_t ref)
{
	uint32_t dw = 0, np = 0;
	uint64_t per, start;
	nx_capnp_struct e;

	for (uint32_t i = 0; i < l->count; i++) {
		nx_capnp_list_get_struct(l, i, &e);
		if (trimmed_data(&e) > dw)
			dw = trimmed_data(&e);
		if (trimmed_ptrs(&e) > np)
			np = trimmed_ptrs(&e);
	}
	per = (uint64_t)dw + np;
	/* No larger than the source list, which fit its 29-bit word count. */
	start = alloc_words(w, 1 + per * l->count);
	put(w, ref,
	        nxc_make_list_ptr((int64_t)(start - ref - 1), NX_CAPNP_ELEM_COMPOSITE,
	                (uint32_t)(per * l->count)));
	put(w, start, nxc_make_struct_ptr(l->count, (uint16_t)dw, (uint16_t)np));
	for (uint32_t i = 0; i < l->count; i++) {
		uint64_t el = start + 1 + per * i;

		nx_capnp_list_get_struct(l, i, &e);
		for (uint32_t j = 0; j < dw && j * 8 < e.data_bytes; j++)
			put(w, el + j, data_word(e.data, e.data_bytes, j));
		for (uint32_t j = 0; j < np && j < e.nptrs; j++) {
			nx_capnp_ptr p = nx_capnp_struct_ptr(&e, j);
			int err = canon_ptr(w, &p, el + dw + j);

			if (err != 0)
				return err;
		}
	}
	return 0;
}

static int canon_list(struct cwriter *w, const nx_capnp_list *l, uint64_t ref)
{
	uint64_t bytes, words, start;

	if (l->elem == NX_CAPNP_ELEM_COMPOSITE)
		return canon_struct_list(w, l, ref);
	if (l->elem == NX_CAPNP_ELEM_POINTER) {
		start = alloc_words(w, l->count);
		put(w, ref, nxc_make_list_ptr((int64_t)(start - ref - 1), l->elem, l->count));
		for (uint32_t i = 0; i < l->count; i++) {
			nx_capnp_ptr p = nx_capnp_list_ptr(l, i);
			int err = canon_ptr(w, &p, start + i);

			if (err != 0)
				return err;
		}
		return 0;
	}
	bytes = ((uint64_t)l->count * l->step_bits + 7) / 8;
	words = (bytes + 7) / 8;
	start = alloc_words(w, words);
	put(w, ref, nxc_make_list_ptr((int64_t)(start - ref - 1), l->elem, l->count));
	for (uint64_t i = 0; i < words; i++) {
		uint64_t v = data_word(l->start, (uint32_t)bytes, (uint32_t)i);

		/* Bits past the count in a bool list's last byte are dropped, as the reference
		 * does (bytes past a byte list's count are already left out). */
		if (l->elem == NX_CAPNP_ELEM_BIT && i == words - 1 && l->count % 64)
			v &= ((uint64_t)1 << (l->count % 64)) - 1;
		put(w, start + i, v);
	}
	return 0;
}

static int canon_ptr(struct cwriter *w, const nx_capnp_ptr *src, uint64_t ref)
{
	struct nxc_target t;
	nx_capnp_struct s;
	nx_capnp_list l;
	int err;

	switch (nxc_resolve(src->msg, src->seg, src->p, &t)) {
	case NX_CAPNP_KIND_NULL:
		return 0;
	case NX_CAPNP_KIND_CAP:
		/* A capability index means something only beside the cap table of the message it
		 * travelled with, which the canonical form does not carry: signing one would sign
		 * a reference to nothing. The reference refuses these too. */
		return -EOPNOTSUPP;
	case NX_CAPNP_KIND_STRUCT:
		err = nx_capnp_ptr_read_struct(src, &s);
		return err < 0 ? err : canon_struct(w, &s, ref);
	case NX_CAPNP_KIND_LIST:
		err = nx_capnp_ptr_read_list(src, NX_CAPNP_ELEM_VOID, &l);
		return err < 0 ? err : canon_list(w, &l, ref);
	default:
		return src->msg->error ? src->msg->error : -EBADMSG;
	}
}

NXC_EXPORT int nx_capnp_canonicalize(
        const nx_capnp_struct *root, void *out, size_t cap, size_t *ret_bytes)
{
	struct cwriter w = {.out = out, .cap_words = out ? cap / 8 : 0, .pos = 0};
	int err;

	assert_return(root && ret_bytes, -EINVAL);
	alloc_words(&w, 1);
	err = canon_struct(&w, root, 0);
	if (err != 0)
		return err;
	if (w.pos > SIZE_MAX / 8)
		return -EMSGSIZE;
	*ret_bytes = (size_t)w.pos * 8;
	if (w.pos > w.cap_words)
		return -ENOBUFS;
	return 0;
}
