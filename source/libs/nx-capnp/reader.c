/* SPDX-License-Identifier: MIT */
/*
 * Reading: bounds-checked views into the caller's segments. Nothing here allocates. Every
 * length read from the message is a claim and is compared against the words that remain in
 * its segment before it is used to form an address.
 */
#include "layout.h"
#include "reader.h"

int nxc_fail(nx_capnp_reader *r, int err)
{
	if (r && r->error == 0)
		r->error = err;
	return err;
}

NXC_EXPORT void nx_capnp_reader_init(
        nx_capnp_reader *r, const struct nx_capnp_seg *segs, uint32_t nsegs)
{
	uint64_t total = 0;

	if (!r)
		return;
	for (uint32_t i = 0; segs && i < nsegs; i++)
		total += segs[i].nwords;
	r->segs = segs;
	r->nsegs = segs ? nsegs : 0;
	r->ncaps = 0;
	/* total < 2^32 * 2^32 cannot overflow when multiplied by a small factor in practice, but
	 * saturate anyway: a budget that wraps would be a budget of almost nothing. */
	r->traversal_left = total > UINT64_MAX / NX_CAPNP_TRAVERSAL_FACTOR
	                            ? UINT64_MAX
	                            : total * NX_CAPNP_TRAVERSAL_FACTOR;
	r->error = 0;
	r->caps = NULL;
}

NXC_EXPORT nx_capnp_ptr nx_capnp_reader_root(nx_capnp_reader *r)
{
	nx_capnp_ptr p = {.msg = r, .p = NULL, .seg = 0, .nesting = NX_CAPNP_NESTING_LIMIT};

	if (!r)
		return p;
	if (r->nsegs == 0 || r->segs[0].nwords == 0 || !r->segs[0].words) {
		/* No room for a root pointer: the reference reports this too. */
		nxc_fail(r, -EBADMSG);
		return p;
	}
	p.p = r->segs[0].words;
	return p;
}

NXC_EXPORT int nx_capnp_reader_root_struct(nx_capnp_reader *r, nx_capnp_struct *ret)
{
	nx_capnp_ptr p;

	assert_return(r && ret, -EINVAL);
	p = nx_capnp_reader_root(r);
	if (!p.p) {
		*ret = (nx_capnp_struct){.msg = r, .nesting = NX_CAPNP_NESTING_LIMIT};
		return r->error;
	}
	return nx_capnp_ptr_read_struct(&p, ret);
}

/* Charges `words` to the traversal budget; zero-sized objects cost one word so that a tiny
 * message cannot make a walker visit an unbounded number of empty objects. */
int nxc_charge(nx_capnp_reader *r, uint64_t words)
{
	if (words == 0)
		words = 1;
	if (r->traversal_left < words) {
		r->traversal_left = 0;
		return nxc_fail(r, -ELOOP);
	}
	r->traversal_left -= words;
	return 0;
}

/* Resolves the pointer at word `idx` of segment `seg`, following one far or double-far hop.
 * Returns the kind; on NX_CAPNP_KIND_INVALID the reader's error is set. Does not charge the
 * traversal budget: callers that follow the pointer do. */
enum nx_capnp_kind nxc_resolve(
        nx_capnp_reader *r, uint32_t seg, const uint64_t *p, struct nxc_target *ret)
{
	const struct nx_capnp_seg *s;
	uint64_t w, idx, pos, avail;
	int64_t target;

	if (!p)
		return NX_CAPNP_KIND_NULL;
	w = nxc_load64(p);
	if (w == 0)
		return NX_CAPNP_KIND_NULL;
	s = &r->segs[seg];
	idx = (uint64_t)(p - s->words);

	if (nxc_ptr_kind(w) == NXC_PTR_FAR) {
		uint32_t lo = (uint32_t)w, fseg = (uint32_t)(w >> 32);
		const struct nx_capnp_seg *fs;
		uint64_t fpos = lo >> 3;

		if (fseg >= r->nsegs)
			goto bad;
		fs = &r->segs[fseg];
		if (!(lo & 4)) {
			uint64_t pad;

			if (fpos >= fs->nwords)
				goto bad;
			pad = nxc_load64(fs->words + fpos);
			/* A landing pad that is itself far would let pointers chase each other. */
			if (nxc_ptr_kind(pad) == NXC_PTR_FAR)
				goto bad;
			w = pad;
			seg = fseg;
			s = fs;
			idx = fpos;
		} else {
			uint64_t pad, tag;
			uint32_t oseg;

			if (fs->nwords < 2 || fpos > fs->nwords - 2)
				goto bad;
			pad = nxc_load64(fs->words + fpos);
			tag = nxc_load64(fs->words + fpos + 1);
			/* The pad must be far, but its double-far bit (0 from every writer) is
			 * ignored, as the reference ignores it (fuzz_capnp_diff): only its segment
			 * and position are read, it is never followed, so pads cannot chase each
			 * other. */
			if (nxc_ptr_kind(pad) != NXC_PTR_FAR)
				goto bad;
			oseg = (uint32_t)(pad >> 32);
			if (oseg >= r->nsegs)
				goto bad;
			/* A tag is the pointer as it would read beside its target; for a
			 * capability, which has no target, that is the capability pointer itself.
			 * The reference reads it so (found by fuzz_capnp_diff), and so do we. */
			if (nxc_ptr_kind(tag) == NXC_PTR_OTHER) {
				w = tag;
				goto other;
			}
			if (nxc_ptr_kind(tag) != NXC_PTR_STRUCT &&
			        nxc_ptr_kind(tag) != NXC_PTR_LIST)
				goto bad;
			ret->word = tag;
			ret->seg = oseg;
			ret->pos = (uint32_t)pad >> 3;
			s = &r->segs[oseg];
			goto located;
		}
	}

other:
	if (nxc_ptr_kind(w) == NXC_PTR_OTHER) {
		/* Only the capability form (all other bits of the low half zero) is defined. */
		if ((uint32_t)w != NXC_PTR_OTHER)
			goto bad;
		ret->word = w;
		ret->seg = seg;
		ret->pos = 0;
		return NX_CAPNP_KIND_CAP;
	}
	target = (int64_t)idx + 1 + nxc_ptr_offset(w);
	ret->word = w;
	ret->seg = seg;
	ret->pos = target < 0 ? UINT64_MAX : (uint64_t)target;

located:
	/* An object of zero words may sit anywhere, even outside its segment: the reference
	 * accepts that (it has nothing to read), so we do too, but re-point it at the segment's
	 * start so no address outside the segment is ever formed. */
	pos = ret->pos;
	avail = pos > s->nwords ? 0 : s->nwords - pos;
	w = ret->word;
	if (nxc_ptr_kind(w) == NXC_PTR_STRUCT) {
		uint64_t words = (uint64_t)(uint16_t)(w >> 32) + (uint16_t)(w >> 48);

		if (words > avail)
			goto bad;
		if (pos > s->nwords)
			ret->pos = 0;
		ret->words = words;
		return NX_CAPNP_KIND_STRUCT;
	} else {
		unsigned elem = (unsigned)(w >> 32) & 7u;
		uint64_t count = (uint32_t)(w >> 35);
		uint64_t words;

		if (elem == NX_CAPNP_ELEM_COMPOSITE) {
			uint64_t tag, n, per;

			/* count is the word count of the elements; the tag word comes first. */
			if (avail < 1 || count > avail - 1)
				goto bad;
			tag = nxc_load64(s->words + pos);
			if (nxc_ptr_kind(tag) != NXC_PTR_STRUCT)
				goto bad;
			/* The count is 29 bits, as every list's; the reference ignores the top
			 * bit of the 30-bit field, and so do we, so both accept the same
			 * messages (found by fuzz_capnp_diff). */
			n = ((uint32_t)tag >> 2) & NXC_LIST_MAX_COUNT;
			per = (uint64_t)(uint16_t)(tag >> 32) + (uint16_t)(tag >> 48);
			if (n * per > count)
				goto bad;
			ret->elems = n;
			ret->words = count + 1;
			/* Zero-sized elements cost one word each to whoever walks them. */
			ret->charge = per == 0 ? (n > count + 1 ? n : count + 1) : count + 1;
			return NX_CAPNP_KIND_LIST;
		}
		words = (count * nxc_elem_bits(elem) + 63) / 64;
		if (words > avail)
			goto bad;
		if (pos > s->nwords)
			ret->pos = 0;
		ret->elems = count;
		ret->words = words;
		ret->charge = elem == NX_CAPNP_ELEM_VOID ? count : words;
		return NX_CAPNP_KIND_LIST;
	}

bad:
	nxc_fail(r, -EBADMSG);
	return NX_CAPNP_KIND_INVALID;
}

static nx_capnp_struct empty_struct(const nx_capnp_ptr *p)
{
	return (nx_capnp_struct){.msg = p->msg, .seg = p->seg, .nesting = p->nesting};
}

NXC_EXPORT enum nx_capnp_kind nx_capnp_ptr_kind(const nx_capnp_ptr *p)
{
	struct nxc_target t;

	if (!p || !p->msg)
		return NX_CAPNP_KIND_NULL;
	return nxc_resolve(p->msg, p->seg, p->p, &t);
}

NXC_EXPORT bool nx_capnp_ptr_is_null(const nx_capnp_ptr *p)
{
	return !p || !p->p || nxc_load64(p->p) == 0;
}

NXC_EXPORT int nx_capnp_ptr_read_struct(const nx_capnp_ptr *p, nx_capnp_struct *ret)
{
	struct nxc_target t;
	const struct nx_capnp_seg *s;
	enum nx_capnp_kind k;
	int err;

	assert_return(p && p->msg && ret, -EINVAL);
	*ret = empty_struct(p);
	k = nxc_resolve(p->msg, p->seg, p->p, &t);
	if (k == NX_CAPNP_KIND_NULL)
		return 0;
	if (k == NX_CAPNP_KIND_INVALID)
		return -EBADMSG;
	if (k != NX_CAPNP_KIND_STRUCT)
		return nxc_fail(p->msg, -EBADMSG);
	if (p->nesting <= 0)
		return nxc_fail(p->msg, -ELOOP);
	err = nxc_charge(p->msg, t.words);
	if (err < 0)
		return err;
	s = &p->msg->segs[t.seg];
	ret->seg = t.seg;
	ret->data = (const uint8_t *)(s->words + t.pos);
	ret->data_bytes = (uint32_t)(uint16_t)(t.word >> 32) * 8u;
	ret->ptrs = s->words + t.pos + (uint16_t)(t.word >> 32);
	ret->nptrs = (uint16_t)(t.word >> 48);
	ret->nesting = p->nesting - 1;
	return 0;
}

/* Element layout of the list a target describes. */
static void list_layout(const nx_capnp_reader *r, const struct nxc_target *t, nx_capnp_list *l)
{
	const struct nx_capnp_seg *s = &r->segs[t->seg];
	unsigned elem = (unsigned)(t->word >> 32) & 7u;

	l->seg = t->seg;
	l->elem = (uint8_t)elem;
	l->count = (uint32_t)t->elems;
	l->start = (const uint8_t *)(s->words + t->pos);
	if (elem == NX_CAPNP_ELEM_COMPOSITE) {
		uint64_t tag = nxc_load64(s->words + t->pos);
		uint32_t dw = (uint16_t)(tag >> 32), np = (uint16_t)(tag >> 48);

		l->start += 8;
		l->data_bits = dw * 64u;
		l->nptrs = (uint16_t)np;
		l->step_bits = (dw + np) * 64u;
	} else if (elem == NX_CAPNP_ELEM_POINTER) {
		l->data_bits = 0;
		l->nptrs = 1;
		l->step_bits = 64;
	} else {
		l->data_bits = nxc_elem_bits(elem);
		l->nptrs = 0;
		l->step_bits = l->data_bits;
	}
}

/* Whether a list encoded as `l` may be read where the schema declares `expected`. */
static bool list_compatible(const nx_capnp_list *l, enum nx_capnp_elem expected)
{
	uint32_t want_bits;
	uint16_t want_ptrs;

	switch (expected) {
	case NX_CAPNP_ELEM_VOID:
		return true;
	case NX_CAPNP_ELEM_BIT:
		/* Booleans are packed: nothing else has the same layout. */
		return l->elem == NX_CAPNP_ELEM_BIT;
	case NX_CAPNP_ELEM_COMPOSITE:
		/* Any primitive or pointer list upgrades to a struct list, except bits. */
		return l->elem != NX_CAPNP_ELEM_BIT;
	case NX_CAPNP_ELEM_POINTER:
		want_bits = 0;
		want_ptrs = 1;
		break;
	default:
		want_bits = nxc_elem_bits(expected);
		want_ptrs = 0;
		break;
	}
	if (l->elem == NX_CAPNP_ELEM_BIT)
		return false;
	return l->data_bits >= want_bits && l->nptrs >= want_ptrs;
}

NXC_EXPORT int nx_capnp_ptr_read_list(
        const nx_capnp_ptr *p, enum nx_capnp_elem expected, nx_capnp_list *ret)
{
	struct nxc_target t;
	enum nx_capnp_kind k;
	nx_capnp_list l;
	int err;

	assert_return(p && p->msg && ret && (unsigned)expected <= 7u, -EINVAL);
	*ret = (nx_capnp_list){
	        .msg = p->msg, .seg = p->seg, .elem = (uint8_t)expected, .nesting = p->nesting};
	k = nxc_resolve(p->msg, p->seg, p->p, &t);
	if (k == NX_CAPNP_KIND_NULL)
		return 0;
	if (k == NX_CAPNP_KIND_INVALID)
		return -EBADMSG;
	if (k != NX_CAPNP_KIND_LIST)
		return nxc_fail(p->msg, -EBADMSG);
	if (p->nesting <= 0)
		return nxc_fail(p->msg, -ELOOP);
	l = *ret;
	list_layout(p->msg, &t, &l);
	if (!list_compatible(&l, expected))
		return nxc_fail(p->msg, -EBADMSG);
	err = nxc_charge(p->msg, t.charge);
	if (err < 0)
		return err;
	l.nesting = p->nesting - 1;
	*ret = l;
	return 0;
}

static int read_bytes(const nx_capnp_ptr *p, const uint8_t **ret, size_t *ret_len)
{
	nx_capnp_list l;
	int err;

	assert_return(p && p->msg && ret && ret_len, -EINVAL);
	*ret = NULL;
	*ret_len = 0;
	err = nx_capnp_ptr_read_list(p, NX_CAPNP_ELEM_BYTE, &l);
	if (err < 0)
		return err;
	/* Text and data are byte lists exactly; no upgrade applies to them. */
	if (l.start && l.elem != NX_CAPNP_ELEM_BYTE)
		return nxc_fail(p->msg, -EBADMSG);
	*ret = l.start;
	*ret_len = l.count;
	return 0;
}

NXC_EXPORT int nx_capnp_ptr_read_text(const nx_capnp_ptr *p, const char **ret, size_t *ret_len)
{
	const uint8_t *b;
	size_t n;
	int err;

	assert_return(ret && ret_len, -EINVAL);
	*ret = "";
	*ret_len = 0;
	err = read_bytes(p, &b, &n);
	if (err < 0)
		return err;
	if (!b)
		return 0;
	/* A present text holds at least its NUL. */
	if (n == 0 || b[n - 1] != 0)
		return nxc_fail(p->msg, -EBADMSG);
	*ret = (const char *)b;
	*ret_len = n - 1;
	return 0;
}

NXC_EXPORT int nx_capnp_ptr_read_data(const nx_capnp_ptr *p, const uint8_t **ret, size_t *ret_len)
{
	const uint8_t *b;
	size_t n;
	int err;

	assert_return(ret && ret_len, -EINVAL);
	*ret = (const uint8_t *)"";
	*ret_len = 0;
	err = read_bytes(p, &b, &n);
	if (err < 0)
		return err;
	if (b)
		*ret = b;
	*ret_len = n;
	return 0;
}

NXC_EXPORT int nx_capnp_ptr_read_cap(const nx_capnp_ptr *p, uint32_t *ret_index)
{
	struct nxc_target t;
	enum nx_capnp_kind k;
	uint32_t idx;

	assert_return(p && p->msg && ret_index, -EINVAL);
	*ret_index = NX_CAPNP_NO_CAP;
	k = nxc_resolve(p->msg, p->seg, p->p, &t);
	if (k == NX_CAPNP_KIND_NULL)
		return 0;
	if (k == NX_CAPNP_KIND_INVALID)
		return -EBADMSG;
	if (k != NX_CAPNP_KIND_CAP)
		return nxc_fail(p->msg, -EBADMSG);
	idx = (uint32_t)(t.word >> 32);
	if (idx >= p->msg->ncaps)
		return nxc_fail(p->msg, -EBADMSG);
	*ret_index = idx;
	return 0;
}

/* ---- Struct fields ---- */

/* Whether `size` bytes at field `offset` (in units of `size`) lie inside the data section. */
static bool field_in(const nx_capnp_struct *s, uint32_t offset, uint32_t size)
{
	return s && s->data && (uint64_t)offset * size + size <= s->data_bytes;
}

NXC_EXPORT bool nx_capnp_struct_get_bool(const nx_capnp_struct *s, uint32_t bit_offset, bool def)
{
	uint32_t byte = bit_offset / 8;

	if (!field_in(s, byte, 1))
		return def;
	return (bool)(((s->data[byte] >> (bit_offset % 8)) & 1) ^ def);
}

NXC_EXPORT uint8_t nx_capnp_struct_get_u8(const nx_capnp_struct *s, uint32_t offset, uint8_t def)
{
	if (!field_in(s, offset, 1))
		return def;
	return s->data[offset] ^ def;
}

NXC_EXPORT uint16_t nx_capnp_struct_get_u16(const nx_capnp_struct *s, uint32_t offset, uint16_t def)
{
	if (!field_in(s, offset, 2))
		return def;
	return nxc_load16(s->data + (size_t)offset * 2) ^ def;
}

NXC_EXPORT uint32_t nx_capnp_struct_get_u32(const nx_capnp_struct *s, uint32_t offset, uint32_t def)
{
	if (!field_in(s, offset, 4))
		return def;
	return nxc_load32(s->data + (size_t)offset * 4) ^ def;
}

NXC_EXPORT uint64_t nx_capnp_struct_get_u64(const nx_capnp_struct *s, uint32_t offset, uint64_t def)
{
	if (!field_in(s, offset, 8))
		return def;
	return nxc_load64(s->data + (size_t)offset * 8) ^ def;
}

NXC_EXPORT float nx_capnp_struct_get_f32(
        const nx_capnp_struct *s, uint32_t offset, uint32_t def_bits)
{
	uint32_t bits = nx_capnp_struct_get_u32(s, offset, def_bits);
	float f;

	memcpy(&f, &bits, sizeof(f));
	return f;
}

NXC_EXPORT double nx_capnp_struct_get_f64(
        const nx_capnp_struct *s, uint32_t offset, uint64_t def_bits)
{
	uint64_t bits = nx_capnp_struct_get_u64(s, offset, def_bits);
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

NXC_EXPORT nx_capnp_ptr nx_capnp_struct_ptr(const nx_capnp_struct *s, uint32_t index)
{
	nx_capnp_ptr p = {.msg = s ? s->msg : NULL,
	        .p = NULL,
	        .seg = s ? s->seg : 0,
	        .nesting = s ? s->nesting : 0};

	if (s && s->ptrs && index < s->nptrs)
		p.p = s->ptrs + index;
	return p;
}

/* ---- List elements ---- */

/* Loads `bytes` (<= 8) bytes of element i's data, zero-extended; 0 when out of range. */
static uint64_t elem_load(const nx_capnp_list *l, uint32_t i, uint32_t bytes)
{
	uint8_t buf[8] = {0};
	uint32_t have;

	if (!l || !l->start || i >= l->count)
		return 0;
	have = l->data_bits / 8;
	if (have > bytes)
		have = bytes;
	memcpy(buf, l->start + (uint64_t)i * l->step_bits / 8, have);
	return nxc_load64(buf);
}

NXC_EXPORT bool nx_capnp_list_get_bool(const nx_capnp_list *l, uint32_t i)
{
	uint64_t bit;

	if (!l || !l->start || i >= l->count || l->data_bits == 0)
		return false;
	bit = (uint64_t)i * l->step_bits;
	return (l->start[bit / 8] >> (bit % 8)) & 1;
}

NXC_EXPORT uint8_t nx_capnp_list_get_u8(const nx_capnp_list *l, uint32_t i)
{
	return (uint8_t)elem_load(l, i, 1);
}

NXC_EXPORT uint16_t nx_capnp_list_get_u16(const nx_capnp_list *l, uint32_t i)
{
	return (uint16_t)elem_load(l, i, 2);
}

NXC_EXPORT uint32_t nx_capnp_list_get_u32(const nx_capnp_list *l, uint32_t i)
{
	return (uint32_t)elem_load(l, i, 4);
}

NXC_EXPORT uint64_t nx_capnp_list_get_u64(const nx_capnp_list *l, uint32_t i)
{
	return elem_load(l, i, 8);
}

NXC_EXPORT void nx_capnp_list_get_struct(const nx_capnp_list *l, uint32_t i, nx_capnp_struct *ret)
{
	const uint8_t *e;

	if (!ret)
		return;
	*ret = (nx_capnp_struct){
	        .msg = l ? l->msg : NULL, .seg = l ? l->seg : 0, .nesting = l ? l->nesting : 0};
	/* A bit list has no byte-addressable elements; the spec forbids this upgrade. */
	if (!l || !l->start || i >= l->count || l->elem == NX_CAPNP_ELEM_BIT)
		return;
	e = l->start + (uint64_t)i * l->step_bits / 8;
	ret->data = e;
	ret->data_bytes = l->data_bits / 8;
	/* Elements with pointers are word-aligned; others get no pointer section at all rather
	 * than a misaligned uint64_t pointer. */
	ret->ptrs = l->nptrs ? (const uint64_t *)(const void *)(e + l->data_bits / 8) : NULL;
	ret->nptrs = l->nptrs;
}

NXC_EXPORT nx_capnp_ptr nx_capnp_list_ptr(const nx_capnp_list *l, uint32_t i)
{
	nx_capnp_ptr p = {.msg = l ? l->msg : NULL,
	        .p = NULL,
	        .seg = l ? l->seg : 0,
	        .nesting = l ? l->nesting : 0};

	if (!l || !l->start || i >= l->count || l->nptrs == 0)
		return p;
	/* The first pointer of the element: pointer lists and struct lists alike. */
	p.p = (const uint64_t *)(const void *)(l->start + (uint64_t)i * l->step_bits / 8 +
	                                       l->data_bits / 8);
	return p;
}
