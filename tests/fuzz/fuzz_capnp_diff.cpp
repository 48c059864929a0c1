// SPDX-License-Identifier: MIT
/*
 * Differential libFuzzer target: nx-capnp against the reference (libcapnp). The input is a
 * framed message; nx-capnp's framing cuts it into segments (framing has fuzz_capnp_frame), and
 * both readers then read those same segments with the same limits (traversal budget
 * NX_CAPNP_TRAVERSAL_FACTOR x the message's words, nesting NX_CAPNP_NESTING_LIMIT).
 *
 * 1. Both walk the whole message untyped (every struct, every list, every pointer; the
 *    reference reads lazily, so nothing is left to chance) and must both accept or both
 *    reject.
 * 2. For accepted messages, both canonicalize the root, and must agree: the same bytes, or
 *    both refuse a capability, or both find that the root is not a struct.
 *
 * The two charge the traversal budget differently on purpose (nx-capnp charges a zero-sized
 * object one word, the reference charges far-pointer landing pads, and its canonicalizer
 * reads the message twice), so a side that runs out of budget where the other does not is
 * given TRAVERSAL_SLACK times the budget once more and must then accept. Any other
 * difference aborts.
 */
#include <capnp/any.h>
#include <capnp/message.h>
#include <kj/exception.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "nx-capnp/capnp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace
{

/* Larger than either side's accounting can differ by (see above): landing pads cost the
 * reference up to 4 words per pointer word, zero-sized objects cost nx-capnp 1. */
constexpr uint64_t TRAVERSAL_SLACK = 8;

enum class verdict { accept, traversal, reject };

struct message {
	const struct nx_capnp_seg *segs;
	uint32_t nsegs;
	uint64_t budget; /* words */
};

/* ---- nx-capnp side ---- */

void nx_walk_ptr(const nx_capnp_ptr *p);

void nx_walk_struct(const nx_capnp_struct *s)
{
	for (uint32_t i = 0; i < s->nptrs; i++) {
		nx_capnp_ptr p = nx_capnp_struct_ptr(s, i);

		nx_walk_ptr(&p);
	}
}

/* Capability pointers are not read: whether an index is in range is a question for the cap
 * table, which neither side has here. */
void nx_walk_ptr(const nx_capnp_ptr *p)
{
	nx_capnp_struct s;
	nx_capnp_list l;

	switch (nx_capnp_ptr_kind(p)) {
	case NX_CAPNP_KIND_STRUCT:
		if (nx_capnp_ptr_read_struct(p, &s) == 0)
			nx_walk_struct(&s);
		return;
	case NX_CAPNP_KIND_LIST:
		if (nx_capnp_ptr_read_list(p, NX_CAPNP_ELEM_VOID, &l) < 0)
			return;
		for (uint32_t i = 0; i < l.count && p->msg->error == 0; i++) {
			if (l.elem == NX_CAPNP_ELEM_COMPOSITE) {
				nx_capnp_list_get_struct(&l, i, &s);
				nx_walk_struct(&s);
			} else if (l.elem == NX_CAPNP_ELEM_POINTER) {
				nx_capnp_ptr e = nx_capnp_list_ptr(&l, i);

				nx_walk_ptr(&e);
			}
		}
		return;
	default:
		return;
	}
}

/* A reader over the message with `budget` words of traversal. The budget field is the
 * reader's own bookkeeping; setting it is how this harness gives both sides one limit. */
void nx_reader(const message &m, uint64_t budget, nx_capnp_reader *r)
{
	nx_capnp_reader_init(r, m.segs, m.nsegs);
	r->traversal_left = budget;
}

verdict nx_classify(const nx_capnp_reader &r)
{
	if (r.error == 0)
		return verdict::accept;
	/* -ELOOP is also the nesting limit; only an emptied budget is the traversal limit */
	return r.error == -ELOOP && r.traversal_left == 0 ? verdict::traversal : verdict::reject;
}

verdict nx_walk(const message &m, uint64_t budget)
{
	nx_capnp_reader r;
	nx_capnp_ptr root;

	nx_reader(m, budget, &r);
	root = nx_capnp_reader_root(&r);
	nx_walk_ptr(&root);
	return nx_classify(r);
}

/* ---- reference side ---- */

std::vector<kj::ArrayPtr<const capnp::word>> ref_segments(const message &m)
{
	std::vector<kj::ArrayPtr<const capnp::word>> v;

	for (uint32_t i = 0; i < m.nsegs; i++)
		v.emplace_back(
		        reinterpret_cast<const capnp::word *>(m.segs[i].words), m.segs[i].nwords);
	return v;
}

capnp::ReaderOptions ref_options(uint64_t budget)
{
	capnp::ReaderOptions o;

	o.traversalLimitInWords = budget;
	o.nestingLimit = NX_CAPNP_NESTING_LIMIT;
	return o;
}

void ref_walk_ptr(capnp::AnyPointer::Reader p);

void ref_walk_struct(capnp::AnyStruct::Reader s)
{
	for (auto p : s.getPointerSection())
		ref_walk_ptr(p);
}

void ref_walk_ptr(capnp::AnyPointer::Reader p)
{
	switch (p.getPointerType()) {
	case capnp::PointerType::STRUCT:
		ref_walk_struct(p.getAs<capnp::AnyStruct>());
		return;
	case capnp::PointerType::LIST: {
		auto l = p.getAs<capnp::AnyList>();

		if (l.getElementSize() == capnp::ElementSize::INLINE_COMPOSITE) {
			for (auto e : l.as<capnp::List<capnp::AnyStruct>>())
				ref_walk_struct(e);
		} else if (l.getElementSize() == capnp::ElementSize::POINTER) {
			for (auto e : l.as<capnp::List<capnp::AnyPointer>>())
				ref_walk_ptr(e);
		}
		return;
	}
	default:
		return;
	}
}

verdict ref_classify(const kj::Exception &e)
{
	return strstr(e.getDescription().cStr(), "traversal limit") ? verdict::traversal
	                                                            : verdict::reject;
}

verdict ref_walk(const message &m, uint64_t budget)
{
	auto segs = ref_segments(m);
	capnp::SegmentArrayMessageReader r(
	        kj::arrayPtr(segs.data(), segs.size()), ref_options(budget));

	try {
		ref_walk_ptr(r.getRoot<capnp::AnyPointer>());
	} catch (const kj::Exception &e) {
		return ref_classify(e);
	}
	return verdict::accept;
}

/* ---- comparing ---- */

/* Walks with `walk` at the common budget; a traversal failure where the other side accepted
 * gets TRAVERSAL_SLACK times as much. Returns the verdict and the budget it was reached at. */
template <typename Walk>
verdict settle(Walk walk, const message &m, verdict other, uint64_t *ret_budget)
{
	verdict v = walk(m, m.budget);

	*ret_budget = m.budget;
	if (v == verdict::traversal && other == verdict::accept) {
		*ret_budget = m.budget * TRAVERSAL_SLACK;
		v = walk(m, *ret_budget);
	}
	return v;
}

enum class canon { ok, capability, not_struct, other };

canon nx_canon(const message &m, uint64_t budget, std::vector<uint8_t> *out)
{
	nx_capnp_reader r;
	nx_capnp_struct root;
	size_t n = 0;
	int err;

	nx_reader(m, budget, &r);
	err = nx_capnp_reader_root_struct(&r, &root);
	if (err < 0)
		return canon::not_struct;
	err = nx_capnp_canonicalize(&root, nullptr, 0, &n);
	if (err == -ENOBUFS) {
		out->resize(n);
		nx_reader(m, budget, &r);
		if (nx_capnp_reader_root_struct(&r, &root) < 0)
			abort(); /* it was a struct a moment ago */
		err = nx_capnp_canonicalize(&root, out->data(), out->size(), &n);
	}
	if (err == -EOPNOTSUPP)
		return canon::capability;
	return err == 0 && n == out->size() ? canon::ok : canon::other;
}

canon ref_canon(const message &m, uint64_t budget, std::vector<uint8_t> *out)
{
	auto segs = ref_segments(m);
	capnp::SegmentArrayMessageReader r(
	        kj::arrayPtr(segs.data(), segs.size()), ref_options(budget));
	capnp::AnyStruct::Reader root;

	try {
		root = r.getRoot<capnp::AnyStruct>();
	} catch (const kj::Exception &) {
		return canon::not_struct;
	}
	try {
		auto words = root.canonicalize();
		auto bytes = words.asBytes();

		out->assign(bytes.begin(), bytes.end());
	} catch (const kj::Exception &e) {
		return strstr(e.getDescription().cStr(), "capability") ? canon::capability
		                                                       : canon::other;
	}
	return canon::ok;
}

/* Says what disagreed (with both canonical forms when they differ), then aborts so libFuzzer
 * keeps the input. */
[[noreturn]] void disagree(const char *what, int nxv, int refv, const std::vector<uint8_t> &nx_out,
        const std::vector<uint8_t> &ref_out)
{
	fprintf(stderr, "fuzz_capnp_diff: %s: nx-capnp %d, reference %d\n", what, nxv, refv);
	for (size_t i = 0; i < nx_out.size() || i < ref_out.size(); i += 8) {
		uint64_t a = 0, b = 0;

		if (i < nx_out.size())
			memcpy(&a, nx_out.data() + i, 8);
		if (i < ref_out.size())
			memcpy(&b, ref_out.data() + i, 8);
		fprintf(stderr, "%5zu %016llx %016llx%s\n", i / 8, (unsigned long long)a,
		        (unsigned long long)b, a != b ? " <" : "");
	}
	abort();
}

} // namespace

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t buf[(64 * 1024) / 8];
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	uint32_t nsegs;
	size_t bytes;
	uint64_t words = 0, nx_budget, ref_budget;
	std::vector<uint8_t> nx_out, ref_out;

	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	if (nx_capnp_frame_parse(
	            buf, size, sizeof(buf), segs, NX_CAPNP_MAX_SEGMENTS, &nsegs, &bytes) < 0)
		return 0;
	for (uint32_t i = 0; i < nsegs; i++)
		words += segs[i].nwords;
	const message m = {segs, nsegs, words * NX_CAPNP_TRAVERSAL_FACTOR};

	verdict nx = nx_walk(m, m.budget), ref = ref_walk(m, m.budget);

	if (nx != ref) {
		nx = settle(nx_walk, m, ref, &nx_budget);
		ref = settle(ref_walk, m, nx, &ref_budget);
		if ((nx == verdict::accept) != (ref == verdict::accept))
			disagree("walk verdict (0 accept, 1 traversal, 2 reject)", (int)nx,
			        (int)ref, nx_out, ref_out);
	} else {
		nx_budget = ref_budget = m.budget;
	}
	if (nx != verdict::accept || ref != verdict::accept)
		return 0;

	/* The reference's canonicalizer reads the message twice (its size, then the copy). */
	canon nc = nx_canon(m, nx_budget, &nx_out);
	canon rc = ref_canon(m, ref_budget * TRAVERSAL_SLACK, &ref_out);

	if (nc != rc || nc == canon::other)
		disagree("canonicalize (0 ok, 1 capability, 2 root not a struct, 3 other)", (int)nc,
		        (int)rc, nx_out, ref_out);
	if (nc == canon::ok && nx_out != ref_out)
		disagree("canonical forms (bytes)", (int)nx_out.size(), (int)ref_out.size(), nx_out,
		        ref_out);
	return 0;
}
