/* SPDX-License-Identifier: MIT */
/*
 * Building: objects are placed in the pointer's own segment when they fit, otherwise behind a
 * far pointer (with its landing pad beside the object) or a double-far pointer (when only an
 * exact-fit hole is left for the object). New segments come from the allocator hook only.
 */
#include "builder.h"

static int bfail(nx_capnp_builder *b, int err)
{
	if (b->error == 0)
		b->error = err;
	return err;
}

static uint64_t room(const nx_capnp_builder *b, uint32_t seg)
{
	return (uint64_t)b->segs[seg].cap - b->segs[seg].used;
}

/* Takes `n` zeroed words from `seg`; the caller checked room(). The first segment is the
 * caller's memory and may hold anything, so every allocation is cleared here. */
static uint64_t *take(nx_capnp_builder *b, uint32_t seg, uint64_t n)
{
	struct nx_capnp_bseg *s = &b->segs[seg];
	uint64_t *p = s->words + s->used;

	memset(p, 0, (size_t)n * 8);
	s->used += (uint32_t)n;
	return p;
}

/* Segment sizes grow with the message (so a large message needs few of the
 * NX_CAPNP_BUILDER_MAX_SEGS segments) up to this many words; a larger object gets a segment
 * of its own size. */
#define NXC_SEG_MIN_WORDS      256u
#define NXC_SEG_GROW_MAX_WORDS 8192u

/* Adds a segment of at least `min_words`. Returns its index or a negative errno. */
static int new_seg(nx_capnp_builder *b, uint64_t min_words)
{
	uint64_t words = nx_capnp_builder_words(b);
	void *mem;

	if (words < NXC_SEG_MIN_WORDS)
		words = NXC_SEG_MIN_WORDS;
	if (words > NXC_SEG_GROW_MAX_WORDS)
		words = NXC_SEG_GROW_MAX_WORDS;
	if (words < min_words)
		words = min_words;
	if (words > UINT32_MAX)
		return bfail(b, -EMSGSIZE);
	if (b->nsegs >= NX_CAPNP_BUILDER_MAX_SEGS)
		return bfail(b, -EMSGSIZE);
	if (!b->alloc || !b->alloc->alloc)
		return bfail(b, -ENOMEM);
	mem = b->alloc->alloc(b->alloc->ctx, (size_t)words * 8);
	if (!mem)
		return bfail(b, -ENOMEM);
	b->segs[b->nsegs] = (struct nx_capnp_bseg){
	        .words = mem, .used = 0, .cap = (uint32_t)words, .owned = true};
	return (int)b->nsegs++;
}

NXC_EXPORT size_t nx_capnp_builder_words(const nx_capnp_builder *b)
{
	size_t n = 0;

	for (uint32_t i = 0; b && i < b->nsegs; i++)
		n += b->segs[i].used;
	return n;
}

NXC_EXPORT void nx_capnp_builder_init(
        nx_capnp_builder *b, void *first, size_t bytes, const struct nx_capnp_allocator *alloc)
{
	size_t words = bytes / 8;

	if (!b)
		return;
	memset(b, 0, sizeof(*b));
	b->alloc = alloc;
	if (first && words > 0) {
		if (words > UINT32_MAX)
			words = UINT32_MAX;
		b->segs[0] = (struct nx_capnp_bseg){
		        .words = first, .used = 0, .cap = (uint32_t)words, .owned = false};
		b->nsegs = 1;
	} else if (new_seg(b, 1) < 0) {
		return;
	}
	/* The root pointer is the first word of segment 0. */
	take(b, 0, 1);
}

NXC_EXPORT void nx_capnp_builder_done(nx_capnp_builder *b)
{
	if (!b)
		return;
	for (uint32_t i = 0; i < b->nsegs; i++) {
		if (b->segs[i].owned && b->alloc && b->alloc->free)
			b->alloc->free(b->alloc->ctx, b->segs[i].words, (size_t)b->segs[i].cap * 8);
		b->segs[i] = (struct nx_capnp_bseg){0};
	}
	b->nsegs = 0;
}

NXC_EXPORT nx_capnp_bptr nx_capnp_builder_root(nx_capnp_builder *b)
{
	nx_capnp_bptr p = {.b = b, .p = NULL, .seg = 0};

	if (b && b->nsegs > 0 && b->segs[0].used > 0)
		p.p = b->segs[0].words;
	return p;
}

NXC_EXPORT int nx_capnp_builder_init_root(
        nx_capnp_builder *b, uint16_t data_words, uint16_t nptrs, nx_capnp_bstruct *ret)
{
	nx_capnp_bptr root;

	assert_return(b && ret, -EINVAL);
	root = nx_capnp_builder_root(b);
	if (!root.p) {
		*ret = (nx_capnp_bstruct){.b = b};
		return b->error ? b->error : bfail(b, -ENOMEM);
	}
	return nx_capnp_bptr_init_struct(&root, data_words, nptrs, ret);
}

/* Places an object of `n` words for the pointer `p` and links `p` to it. On return,
 * ret->ref is where the object's struct/list pointer goes; its offset is
 * nxc_place_offset(). */
int nxc_place(const nx_capnp_bptr *p, uint64_t n, struct nxc_place *ret)
{
	nx_capnp_builder *b = p->b;
	uint64_t *pad, *obj;
	int s;

	/* The error is always negative; an object is placed exactly when this returns 0. */
	if (b->error != 0)
		return b->error < 0 ? b->error : -EINVAL;
	if (n > (uint64_t)NXC_LIST_MAX_COUNT + 1)
		return bfail(b, -EMSGSIZE);
	if (room(b, p->seg) >= n) {
		*ret = (struct nxc_place){.ref = p->p, .obj = take(b, p->seg, n), .seg = p->seg};
		return 0;
	}
	for (uint32_t i = 0; i < b->nsegs; i++) {
		if (room(b, i) < n + 1)
			continue;
		pad = take(b, i, n + 1);
		nxc_store64(p->p, nxc_make_far_ptr(false, (uint32_t)(pad - b->segs[i].words), i));
		*ret = (struct nxc_place){.ref = pad, .obj = pad + 1, .seg = i};
		return 0;
	}
	/* An exact-fit hole for the object and a two-word pad elsewhere: double-far. */
	for (uint32_t i = 0; i < b->nsegs; i++) {
		if (room(b, i) < n)
			continue;
		for (uint32_t j = 0; j < b->nsegs; j++) {
			if (j == i || room(b, j) < 2)
				continue;
			obj = take(b, i, n);
			pad = take(b, j, 2);
			nxc_store64(pad,
			        nxc_make_far_ptr(false, (uint32_t)(obj - b->segs[i].words), i));
			nxc_store64(p->p,
			        nxc_make_far_ptr(true, (uint32_t)(pad - b->segs[j].words), j));
			*ret = (struct nxc_place){
			        .ref = pad + 1, .obj = obj, .seg = i, .double_far = true};
			return 0;
		}
	}
	s = new_seg(b, n + 1);
	if (s < 0)
		return s;
	pad = take(b, (uint32_t)s, n + 1);
	nxc_store64(p->p, nxc_make_far_ptr(false, 0, (uint32_t)s));
	*ret = (struct nxc_place){.ref = pad, .obj = pad + 1, .seg = (uint32_t)s};
	return 0;
}

static int check_bptr(const nx_capnp_bptr *p)
{
	assert_return(p && p->b && p->p && p->seg < p->b->nsegs, -EINVAL);
	return p->b->error;
}

NXC_EXPORT int nx_capnp_bptr_init_struct(
        const nx_capnp_bptr *p, uint16_t data_words, uint16_t nptrs, nx_capnp_bstruct *ret)
{
	struct nxc_place pl;
	int err;

	assert_return(ret, -EINVAL);
	*ret = (nx_capnp_bstruct){.b = p ? p->b : NULL};
	err = check_bptr(p);
	if (err != 0)
		return err;
	if (data_words == 0 && nptrs == 0) {
		/* The reference encodes an empty struct as offset -1: it points at itself and
		 * takes no space, wherever it is. */
		nxc_store64(p->p, nxc_make_struct_ptr(-1, 0, 0));
		ret->data = p->p;
		ret->ptrs = p->p;
		ret->seg = p->seg;
		return 0;
	}
	err = nxc_place(p, (uint64_t)data_words + nptrs, &pl);
	if (err != 0)
		return err;
	nxc_store64(pl.ref, nxc_make_struct_ptr(nxc_place_offset(&pl), data_words, nptrs));
	*ret = (nx_capnp_bstruct){.b = p->b,
	        .data = pl.obj,
	        .ptrs = pl.obj + data_words,
	        .seg = pl.seg,
	        .data_words = data_words,
	        .nptrs = nptrs};
	return 0;
}

NXC_EXPORT int nx_capnp_bptr_init_list(
        const nx_capnp_bptr *p, enum nx_capnp_elem elem, uint32_t count, nx_capnp_blist *ret)
{
	struct nxc_place pl;
	uint32_t bits;
	int err;

	assert_return(ret, -EINVAL);
	*ret = (nx_capnp_blist){.b = p ? p->b : NULL};
	assert_return((unsigned)elem < NX_CAPNP_ELEM_COMPOSITE, -EINVAL);
	err = check_bptr(p);
	if (err != 0)
		return err;
	if (count > NXC_LIST_MAX_COUNT)
		return bfail(p->b, -EMSGSIZE);
	bits = nxc_elem_bits(elem);
	err = nxc_place(p, ((uint64_t)count * bits + 63) / 64, &pl);
	if (err != 0)
		return err;
	nxc_store64(pl.ref, nxc_make_list_ptr(nxc_place_offset(&pl), elem, count));
	*ret = (nx_capnp_blist){.b = p->b,
	        .start = (uint8_t *)pl.obj,
	        .seg = pl.seg,
	        .count = count,
	        .step_bits = bits,
	        .nptrs = elem == NX_CAPNP_ELEM_POINTER ? 1 : 0,
	        .elem = (uint8_t)elem};
	return 0;
}

NXC_EXPORT int nx_capnp_bptr_init_struct_list(const nx_capnp_bptr *p, uint16_t data_words,
        uint16_t nptrs, uint32_t count, nx_capnp_blist *ret)
{
	uint64_t per = (uint64_t)data_words + nptrs, words;
	struct nxc_place pl;
	int err;

	assert_return(ret, -EINVAL);
	*ret = (nx_capnp_blist){.b = p ? p->b : NULL};
	err = check_bptr(p);
	if (err != 0)
		return err;
	/* Both the element count (tag) and the word count (pointer) must fit 29 bits. */
	if (count > NXC_LIST_MAX_COUNT || per * count > NXC_LIST_MAX_COUNT)
		return bfail(p->b, -EMSGSIZE);
	words = per * count;
	err = nxc_place(p, words + 1, &pl);
	if (err != 0)
		return err;
	nxc_store64(pl.ref,
	        nxc_make_list_ptr(nxc_place_offset(&pl), NX_CAPNP_ELEM_COMPOSITE, (uint32_t)words));
	/* The tag's offset field holds the element count. */
	nxc_store64(pl.obj, nxc_make_struct_ptr(count, data_words, nptrs));
	*ret = (nx_capnp_blist){.b = p->b,
	        .start = (uint8_t *)(pl.obj + 1),
	        .seg = pl.seg,
	        .count = count,
	        .step_bits = (uint32_t)per * 64,
	        .data_words = data_words,
	        .nptrs = nptrs,
	        .elem = NX_CAPNP_ELEM_COMPOSITE};
	return 0;
}

static int set_bytes(const nx_capnp_bptr *p, const void *src, size_t len, size_t extra)
{
	nx_capnp_blist l;
	int err;

	err = check_bptr(p);
	if (err != 0)
		return err;
	assert_return(src || len == 0, -EINVAL);
	if (len > NXC_LIST_MAX_COUNT - extra)
		return bfail(p->b, -EMSGSIZE);
	err = nx_capnp_bptr_init_list(p, NX_CAPNP_ELEM_BYTE, (uint32_t)(len + extra), &l);
	if (err != 0)
		return err;
	if (len)
		memcpy(l.start, src, len);
	return 0;
}

NXC_EXPORT int nx_capnp_bptr_set_text(const nx_capnp_bptr *p, const char *s, size_t len)
{
	/* The NUL is already there: allocations are zeroed. */
	return set_bytes(p, s, len, 1);
}

NXC_EXPORT int nx_capnp_bptr_set_data(const nx_capnp_bptr *p, const void *data, size_t len)
{
	return set_bytes(p, data, len, 0);
}

NXC_EXPORT int nx_capnp_bptr_set_cap(const nx_capnp_bptr *p, uint32_t cap_index)
{
	int err;

	/* NX_CAPNP_NO_CAP is past every cap table (ncaps is a uint32_t count), so no reader
	 * would ever accept the pointer. */
	assert_return(cap_index != NX_CAPNP_NO_CAP, -EINVAL);
	err = check_bptr(p);
	if (err != 0)
		return err;
	nxc_store64(p->p, nxc_make_cap_ptr(cap_index));
	return 0;
}

NXC_EXPORT void nx_capnp_bptr_set_null(const nx_capnp_bptr *p)
{
	if (check_bptr(p) == 0)
		nxc_store64(p->p, 0);
}

/* ---- Struct fields ---- */

static uint8_t *bfield(const nx_capnp_bstruct *s, uint32_t offset, uint32_t size)
{
	if (!s || !s->data || (uint64_t)offset * size + size > (uint64_t)s->data_words * 8)
		return NULL;
	return (uint8_t *)s->data + (size_t)offset * size;
}

NXC_EXPORT void nx_capnp_bstruct_set_bool(
        const nx_capnp_bstruct *s, uint32_t bit_offset, bool v, bool def)
{
	uint8_t *f = bfield(s, bit_offset / 8, 1);
	uint8_t mask = (uint8_t)(1u << (bit_offset % 8));

	if (!f)
		return;
	if (v != def)
		*f |= mask;
	else
		*f &= (uint8_t)~mask;
}

NXC_EXPORT void nx_capnp_bstruct_set_u8(
        const nx_capnp_bstruct *s, uint32_t offset, uint8_t v, uint8_t def)
{
	uint8_t *f = bfield(s, offset, 1);

	if (f)
		*f = v ^ def;
}

NXC_EXPORT void nx_capnp_bstruct_set_u16(
        const nx_capnp_bstruct *s, uint32_t offset, uint16_t v, uint16_t def)
{
	uint8_t *f = bfield(s, offset, 2);

	if (f)
		nxc_store16(f, v ^ def);
}

NXC_EXPORT void nx_capnp_bstruct_set_u32(
        const nx_capnp_bstruct *s, uint32_t offset, uint32_t v, uint32_t def)
{
	uint8_t *f = bfield(s, offset, 4);

	if (f)
		nxc_store32(f, v ^ def);
}

NXC_EXPORT void nx_capnp_bstruct_set_u64(
        const nx_capnp_bstruct *s, uint32_t offset, uint64_t v, uint64_t def)
{
	uint8_t *f = bfield(s, offset, 8);

	if (f)
		nxc_store64(f, v ^ def);
}

NXC_EXPORT void nx_capnp_bstruct_set_f32(
        const nx_capnp_bstruct *s, uint32_t offset, float v, uint32_t def_bits)
{
	uint32_t bits;

	memcpy(&bits, &v, sizeof(bits));
	nx_capnp_bstruct_set_u32(s, offset, bits, def_bits);
}

NXC_EXPORT void nx_capnp_bstruct_set_f64(
        const nx_capnp_bstruct *s, uint32_t offset, double v, uint64_t def_bits)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	nx_capnp_bstruct_set_u64(s, offset, bits, def_bits);
}

NXC_EXPORT uint32_t nx_capnp_bstruct_get_u32(
        const nx_capnp_bstruct *s, uint32_t offset, uint32_t def)
{
	const uint8_t *f = bfield(s, offset, 4);

	return f ? nxc_load32(f) ^ def : def;
}

NXC_EXPORT uint16_t nx_capnp_bstruct_get_u16(
        const nx_capnp_bstruct *s, uint32_t offset, uint16_t def)
{
	const uint8_t *f = bfield(s, offset, 2);

	return f ? nxc_load16(f) ^ def : def;
}

NXC_EXPORT nx_capnp_bptr nx_capnp_bstruct_ptr(const nx_capnp_bstruct *s, uint32_t index)
{
	nx_capnp_bptr p = {.b = s ? s->b : NULL, .p = NULL, .seg = s ? s->seg : 0};

	if (s && s->ptrs && index < s->nptrs)
		p.p = s->ptrs + index;
	return p;
}

/* ---- List elements ---- */

static uint8_t *belem(const nx_capnp_blist *l, uint32_t i, uint32_t bytes)
{
	uint32_t data_bits;

	if (!l || !l->start || i >= l->count)
		return NULL;
	if (l->elem == NX_CAPNP_ELEM_COMPOSITE)
		data_bits = (uint32_t)l->data_words * 64;
	else if (l->elem == NX_CAPNP_ELEM_POINTER)
		data_bits = 0;
	else
		data_bits = l->step_bits;
	if (bytes * 8 > data_bits)
		return NULL;
	return l->start + (uint64_t)i * l->step_bits / 8;
}

NXC_EXPORT void nx_capnp_blist_set_bool(const nx_capnp_blist *l, uint32_t i, bool v)
{
	uint64_t bit;
	uint8_t mask;

	if (!l || !l->start || i >= l->count || l->elem != NX_CAPNP_ELEM_BIT)
		return;
	bit = i;
	mask = (uint8_t)(1u << (bit % 8));
	if (v)
		l->start[bit / 8] |= mask;
	else
		l->start[bit / 8] &= (uint8_t)~mask;
}

NXC_EXPORT void nx_capnp_blist_set_u8(const nx_capnp_blist *l, uint32_t i, uint8_t v)
{
	uint8_t *e = belem(l, i, 1);

	if (e)
		*e = v;
}

NXC_EXPORT void nx_capnp_blist_set_u16(const nx_capnp_blist *l, uint32_t i, uint16_t v)
{
	uint8_t *e = belem(l, i, 2);

	if (e)
		nxc_store16(e, v);
}

NXC_EXPORT void nx_capnp_blist_set_u32(const nx_capnp_blist *l, uint32_t i, uint32_t v)
{
	uint8_t *e = belem(l, i, 4);

	if (e)
		nxc_store32(e, v);
}

NXC_EXPORT void nx_capnp_blist_set_u64(const nx_capnp_blist *l, uint32_t i, uint64_t v)
{
	uint8_t *e = belem(l, i, 8);

	if (e)
		nxc_store64(e, v);
}

NXC_EXPORT void nx_capnp_blist_get_struct(
        const nx_capnp_blist *l, uint32_t i, nx_capnp_bstruct *ret)
{
	uint64_t *e;

	if (!ret)
		return;
	*ret = (nx_capnp_bstruct){.b = l ? l->b : NULL, .seg = l ? l->seg : 0};
	if (!l || !l->start || i >= l->count || l->elem != NX_CAPNP_ELEM_COMPOSITE)
		return;
	e = (uint64_t *)(void *)(l->start + (uint64_t)i * l->step_bits / 8);
	ret->data = e;
	ret->ptrs = e + l->data_words;
	ret->data_words = l->data_words;
	ret->nptrs = l->nptrs;
}

NXC_EXPORT nx_capnp_bptr nx_capnp_blist_ptr(const nx_capnp_blist *l, uint32_t i)
{
	nx_capnp_bptr p = {.b = l ? l->b : NULL, .p = NULL, .seg = l ? l->seg : 0};

	if (!l || !l->start || i >= l->count || l->nptrs == 0)
		return p;
	if (l->elem == NX_CAPNP_ELEM_POINTER)
		p.p = (uint64_t *)(void *)(l->start + (uint64_t)i * 8);
	else if (l->elem == NX_CAPNP_ELEM_COMPOSITE)
		p.p = (uint64_t *)(void *)(l->start + (uint64_t)i * l->step_bits / 8) +
		      l->data_words;
	return p;
}

NXC_EXPORT void nx_capnp_builder_as_reader(
        const nx_capnp_builder *b, struct nx_capnp_seg *segs, nx_capnp_reader *ret)
{
	if (!b || !segs || !ret)
		return;
	for (uint32_t i = 0; i < b->nsegs; i++)
		segs[i] =
		        (struct nx_capnp_seg){.words = b->segs[i].words, .nwords = b->segs[i].used};
	nx_capnp_reader_init(ret, segs, b->nsegs);
}
