/* SPDX-License-Identifier: MIT */
/*
 * Interop with the reference implementation, both directions, through the `capnp` tool:
 *  - a message built here with the raw builder (tiny first segment: far pointers across
 *    several segments) is printed by `capnp convert binary:text` and compared with the
 *    checked-in text;
 *  - checked-in text is encoded by `capnp convert text:binary` (one segment, and many with
 *    --segment-size) and every field is read back here;
 *  - our canonical form equals `capnp convert binary:canonical` byte for byte, for both.
 * Field offsets come from `capnp compile -ocapnp alltypes.capnp` (see alltypes.capnp).
 * Usage: test-interop <capnp> <dir holding alltypes.capnp>
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "nx-abi/spawn.h"
#include "nxc-test.h"

static const char *capnp_path, *src_dir;
static char tmp_dir[64];

enum {
	AT_DATA = 9,
	AT_PTRS = 15,
	P_TEXT = 0,
	P_DATA,
	P_INNER,
	P_VOIDS,
	P_BOOLS,
	P_BYTES,
	P_SHORTS,
	P_INTS,
	P_LONGS,
	P_TEXTS,
	P_STRUCTS,
	P_NESTED,
	P_NAME,
	P_GRP_Y,
	P_SELF,
};

#define DEF_U32 1234u
#define DEF_F64 0x4004000000000000ull /* 2.5 */
#define DEF_I16 ((uint16_t)-7)

/* Runs capnp with stdin and stdout redirected to files; returns its exit status. */
static int run_capnp(const char *const argv[], const char *in, const char *out)
{
	int fi = open(in, O_RDONLY | O_CLOEXEC);
	int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	struct nx_spawn spec = {.binary = capnp_path,
	        .argv = (char *const *)argv,
	        .fds = {{0, fi}, {1, fo}},
	        .nfds = 2};
	struct nx_spawned child;
	int status = -1;
	bool signaled;

	assert_true(fi >= 0 && fo >= 0);
	assert_int_equal(nx_spawn(&spec, &child), 0);
	close(fi);
	close(fo);
	assert_int_equal(nx_process_wait(child.pidfd, true, &status, &signaled), 0);
	close(child.pidfd);
	return signaled ? -1 : status;
}

static size_t read_file(const char *path, void *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	assert_true(fd >= 0);
	while ((r = read(fd, (char *)buf + n, cap - n)) > 0)
		n += (size_t)r;
	close(fd);
	assert_true(n < cap);
	return n;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void path(char *buf, size_t cap, const char *dir, const char *name)
{
	snprintf(buf, cap, "%s/%s", dir, name);
}

/* capnp convert <conv> alltypes.capnp AllTypes [extra] < in > out */
static void convert(const char *conv, const char *extra, const char *in, const char *out)
{
	char schema[512];
	const char *argv[8];
	int i = 0;

	path(schema, sizeof(schema), src_dir, "alltypes.capnp");
	argv[i++] = "capnp";
	argv[i++] = "convert";
	if (extra)
		argv[i++] = extra;
	argv[i++] = conv;
	argv[i++] = schema;
	argv[i++] = "AllTypes";
	argv[i] = NULL;
	assert_int_equal(run_capnp(argv, in, out), 0);
}

static void set_text(const nx_capnp_bstruct *s, uint32_t i, const char *t)
{
	nx_capnp_bptr p = nx_capnp_bstruct_ptr(s, i);

	assert_int_equal(nx_capnp_bptr_set_text(&p, t, strlen(t)), 0);
}

/* Builds the message alltypes-in.txt describes. */
static void build(nx_capnp_builder *b)
{
	static const bool bools[] = {1, 0, 1, 1, 0, 0, 0, 0, 1};
	nx_capnp_bstruct root, in, self;
	nx_capnp_blist l, l2;
	nx_capnp_bptr p;

	assert_int_equal(nx_capnp_builder_init_root(b, AT_DATA, AT_PTRS, &root), 0);
	nx_capnp_bstruct_set_bool(&root, 0, true, false);
	nx_capnp_bstruct_set_u8(&root, 1, (uint8_t)-5, 0);
	nx_capnp_bstruct_set_u16(&root, 1, (uint16_t)-300, 0);
	nx_capnp_bstruct_set_u32(&root, 1, (uint32_t)-70000, 0);
	nx_capnp_bstruct_set_u64(&root, 1, (uint64_t)-5000000000ll, 0);
	nx_capnp_bstruct_set_u8(&root, 16, 200, 0);
	nx_capnp_bstruct_set_u16(&root, 9, 60000, 0);
	nx_capnp_bstruct_set_u32(&root, 5, 4000000000u, 0);
	nx_capnp_bstruct_set_u64(&root, 3, 18000000000000000000ull, 0);
	nx_capnp_bstruct_set_f32(&root, 8, 1.5f, 0);
	nx_capnp_bstruct_set_f64(&root, 5, -0.25, 0);
	set_text(&root, P_TEXT, "hello");
	p = nx_capnp_bstruct_ptr(&root, P_DATA);
	assert_int_equal(nx_capnp_bptr_set_data(&p, "\x00\x01\xff", 3), 0);
	p = nx_capnp_bstruct_ptr(&root, P_INNER);
	assert_int_equal(nx_capnp_bptr_init_struct(&p, 1, 1, &in), 0);
	nx_capnp_bstruct_set_u32(&in, 0, 9, 0);
	set_text(&in, 0, "in");
	p = nx_capnp_bstruct_ptr(&root, P_VOIDS);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_VOID, 3, &l), 0);
	p = nx_capnp_bstruct_ptr(&root, P_BOOLS);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_BIT, 9, &l), 0);
	for (uint32_t i = 0; i < 9; i++)
		nx_capnp_blist_set_bool(&l, i, bools[i]);
	p = nx_capnp_bstruct_ptr(&root, P_BYTES);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_BYTE, 3, &l), 0);
	for (uint32_t i = 0; i < 3; i++)
		nx_capnp_blist_set_u8(&l, i, (uint8_t)(i + 1));
	p = nx_capnp_bstruct_ptr(&root, P_SHORTS);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_2BYTES, 2, &l), 0);
	nx_capnp_blist_set_u16(&l, 0, (uint16_t)-1);
	nx_capnp_blist_set_u16(&l, 1, 2);
	p = nx_capnp_bstruct_ptr(&root, P_INTS);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_4BYTES, 3, &l), 0);
	for (uint32_t i = 0; i < 3; i++)
		nx_capnp_blist_set_u32(&l, i, 7 + i);
	p = nx_capnp_bstruct_ptr(&root, P_LONGS);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_8BYTES, 1, &l), 0);
	nx_capnp_blist_set_u64(&l, 0, (uint64_t)-9000000000ll);
	p = nx_capnp_bstruct_ptr(&root, P_TEXTS);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_POINTER, 3, &l), 0);
	for (uint32_t i = 0; i < 3; i++) {
		static const char *const t[] = {"a", "", "ccc"};
		nx_capnp_bptr e = nx_capnp_blist_ptr(&l, i);

		assert_int_equal(nx_capnp_bptr_set_text(&e, t[i], strlen(t[i])), 0);
	}
	p = nx_capnp_bstruct_ptr(&root, P_STRUCTS);
	assert_int_equal(nx_capnp_bptr_init_struct_list(&p, 1, 1, 2, &l), 0);
	nx_capnp_blist_get_struct(&l, 0, &in);
	nx_capnp_bstruct_set_u32(&in, 0, 1, 0);
	nx_capnp_blist_get_struct(&l, 1, &in);
	nx_capnp_bstruct_set_u32(&in, 0, 2, 0);
	set_text(&in, 0, "two");
	p = nx_capnp_bstruct_ptr(&root, P_NESTED);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_POINTER, 3, &l), 0);
	for (uint32_t i = 0; i < 3; i++) {
		static const uint16_t v[3][2] = {{1, 2}, {0}, {3}};
		static const uint32_t n[3] = {2, 0, 1};
		nx_capnp_bptr e = nx_capnp_blist_ptr(&l, i);

		assert_int_equal(nx_capnp_bptr_init_list(&e, NX_CAPNP_ELEM_2BYTES, n[i], &l2), 0);
		for (uint32_t j = 0; j < n[i]; j++)
			nx_capnp_blist_set_u16(&l2, j, v[i][j]);
	}
	nx_capnp_bstruct_set_u32(&root, 9, 0, DEF_U32);
	nx_capnp_bstruct_set_bool(&root, 1, false, true);
	nx_capnp_bstruct_set_f64(&root, 6, 0.0, DEF_F64);
	nx_capnp_bstruct_set_u16(&root, 28, 5, DEF_I16);
	nx_capnp_bstruct_set_u16(&root, 29, 2, 0); /* choice: name */
	set_text(&root, P_NAME, "union!");
	nx_capnp_bstruct_set_u32(&root, 16, 77, 0);
	set_text(&root, P_GRP_Y, "group");
	p = nx_capnp_bstruct_ptr(&root, P_SELF);
	assert_int_equal(nx_capnp_bptr_init_struct(&p, AT_DATA, AT_PTRS, &self), 0);
	nx_capnp_bstruct_set_u32(&self, 5, 1, 0);
	nx_capnp_bstruct_set_u16(&self, 29, 1, 0); /* choice: num */
	nx_capnp_bstruct_set_u16(&self, 30, 3, 0);
	assert_int_equal(b->error, 0);
}

static void expect_text(const nx_capnp_struct *s, uint32_t i, const char *want)
{
	nx_capnp_ptr p = nx_capnp_struct_ptr(s, i);
	const char *t;
	size_t n;

	assert_int_equal(nx_capnp_ptr_read_text(&p, &t, &n), 0);
	assert_int_equal(n, strlen(want));
	assert_string_equal(t, want);
}

static void read_list(const nx_capnp_struct *s, uint32_t i, enum nx_capnp_elem e, uint32_t count,
        nx_capnp_list *l)
{
	nx_capnp_ptr p = nx_capnp_struct_ptr(s, i);

	assert_int_equal(nx_capnp_ptr_read_list(&p, e, l), 0);
	assert_int_equal(l->count, count);
}

/* Checks every field against alltypes-in.txt. */
static void check(nx_capnp_reader *r)
{
	static const bool bools[] = {1, 0, 1, 1, 0, 0, 0, 0, 1};
	nx_capnp_struct s, in, self;
	nx_capnp_list l, l2;
	nx_capnp_ptr p;
	const uint8_t *d;
	size_t n;

	assert_int_equal(nx_capnp_reader_root_struct(r, &s), 0);
	assert_true(nx_capnp_struct_get_bool(&s, 0, false));
	assert_int_equal((int8_t)nx_capnp_struct_get_u8(&s, 1, 0), -5);
	assert_int_equal((int16_t)nx_capnp_struct_get_u16(&s, 1, 0), -300);
	assert_int_equal((int32_t)nx_capnp_struct_get_u32(&s, 1, 0), -70000);
	assert_true((int64_t)nx_capnp_struct_get_u64(&s, 1, 0) == -5000000000ll);
	assert_int_equal(nx_capnp_struct_get_u8(&s, 16, 0), 200);
	assert_int_equal(nx_capnp_struct_get_u16(&s, 9, 0), 60000);
	assert_int_equal(nx_capnp_struct_get_u32(&s, 5, 0), 4000000000u);
	assert_true(nx_capnp_struct_get_u64(&s, 3, 0) == 18000000000000000000ull);
	assert_true(nx_capnp_struct_get_f32(&s, 8, 0) == 1.5f);
	assert_true(nx_capnp_struct_get_f64(&s, 5, 0) == -0.25);
	expect_text(&s, P_TEXT, "hello");
	p = nx_capnp_struct_ptr(&s, P_DATA);
	assert_int_equal(nx_capnp_ptr_read_data(&p, &d, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(d, "\x00\x01\xff", 3);
	p = nx_capnp_struct_ptr(&s, P_INNER);
	assert_int_equal(nx_capnp_ptr_read_struct(&p, &in), 0);
	assert_int_equal(nx_capnp_struct_get_u32(&in, 0, 0), 9);
	expect_text(&in, 0, "in");
	read_list(&s, P_VOIDS, NX_CAPNP_ELEM_VOID, 3, &l);
	read_list(&s, P_BOOLS, NX_CAPNP_ELEM_BIT, 9, &l);
	for (uint32_t i = 0; i < 9; i++)
		assert_int_equal(nx_capnp_list_get_bool(&l, i), bools[i]);
	read_list(&s, P_BYTES, NX_CAPNP_ELEM_BYTE, 3, &l);
	assert_int_equal(nx_capnp_list_get_u8(&l, 2), 3);
	read_list(&s, P_SHORTS, NX_CAPNP_ELEM_2BYTES, 2, &l);
	assert_int_equal((int16_t)nx_capnp_list_get_u16(&l, 0), -1);
	read_list(&s, P_INTS, NX_CAPNP_ELEM_4BYTES, 3, &l);
	assert_int_equal(nx_capnp_list_get_u32(&l, 2), 9);
	read_list(&s, P_LONGS, NX_CAPNP_ELEM_8BYTES, 1, &l);
	assert_true((int64_t)nx_capnp_list_get_u64(&l, 0) == -9000000000ll);
	read_list(&s, P_TEXTS, NX_CAPNP_ELEM_POINTER, 3, &l);
	for (uint32_t i = 0; i < 3; i++) {
		static const char *const t[] = {"a", "", "ccc"};
		const char *got;

		p = nx_capnp_list_ptr(&l, i);
		assert_int_equal(nx_capnp_ptr_read_text(&p, &got, &n), 0);
		assert_string_equal(got, t[i]);
	}
	read_list(&s, P_STRUCTS, NX_CAPNP_ELEM_COMPOSITE, 2, &l);
	nx_capnp_list_get_struct(&l, 1, &in);
	assert_int_equal(nx_capnp_struct_get_u32(&in, 0, 0), 2);
	expect_text(&in, 0, "two");
	read_list(&s, P_NESTED, NX_CAPNP_ELEM_POINTER, 3, &l);
	p = nx_capnp_list_ptr(&l, 0);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_2BYTES, &l2), 0);
	assert_int_equal(l2.count, 2);
	assert_int_equal(nx_capnp_list_get_u16(&l2, 1), 2);
	p = nx_capnp_list_ptr(&l, 1);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_2BYTES, &l2), 0);
	assert_int_equal(l2.count, 0);
	assert_int_equal(nx_capnp_struct_get_u32(&s, 9, DEF_U32), 0);
	assert_false(nx_capnp_struct_get_bool(&s, 1, true));
	assert_true(nx_capnp_struct_get_f64(&s, 6, DEF_F64) == 0.0);
	assert_int_equal(nx_capnp_struct_get_u16(&s, 28, DEF_I16), 5);
	assert_int_equal(nx_capnp_struct_get_u16(&s, 29, 0), 2);
	expect_text(&s, P_NAME, "union!");
	assert_int_equal(nx_capnp_struct_get_u32(&s, 16, 0), 77);
	expect_text(&s, P_GRP_Y, "group");
	p = nx_capnp_struct_ptr(&s, P_SELF);
	assert_int_equal(nx_capnp_ptr_read_struct(&p, &self), 0);
	assert_int_equal(nx_capnp_struct_get_u32(&self, 5, 0), 1);
	/* unset fields with defaults read as the defaults */
	assert_int_equal(nx_capnp_struct_get_u32(&self, 9, DEF_U32), DEF_U32);
	assert_true(nx_capnp_struct_get_bool(&self, 1, true));
	assert_true(nx_capnp_struct_get_f64(&self, 6, DEF_F64) == 2.5);
	assert_int_equal((int16_t)nx_capnp_struct_get_u16(&self, 28, DEF_I16), -7);
	assert_int_equal(nx_capnp_struct_get_u16(&self, 29, 0), 1);
	assert_int_equal(nx_capnp_struct_get_u16(&self, 30, 0), 3);
	assert_int_equal(r->error, 0);
}

static uint64_t bufa[8192], bufb[8192];

static void check_text(const char *bin);

/* Our canonical form of the framed message in `file` equals the reference's. */
static void check_canonical(const char *file)
{
	char out[600];
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	uint32_t nsegs;
	size_t len, bytes, ref_len;
	nx_capnp_reader r;
	nx_capnp_struct s;

	len = read_file(file, bufa, sizeof(bufa));
	assert_int_equal(nx_capnp_frame_parse(bufa, len, sizeof(bufa), segs, NX_CAPNP_MAX_SEGMENTS,
	                         &nsegs, &bytes),
	        0);
	assert_int_equal(bytes, len);
	nx_capnp_reader_init(&r, segs, nsegs);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	assert_int_equal(nx_capnp_canonicalize(&s, bufb, sizeof(bufb), &bytes), 0);
	path(out, sizeof(out), tmp_dir, "canon.ref");
	convert("binary:canonical", NULL, file, out);
	ref_len = read_file(out, bufa, sizeof(bufa));
	assert_int_equal(bytes, ref_len);
	assert_memory_equal(bufb, bufa, ref_len);

	/* and the reference's canonical bytes (one segment, no table) read back here, and are
	 * their own canonical form */
	struct nx_capnp_seg flat = {bufa, (uint32_t)(ref_len / 8)};
	nx_capnp_reader_init(&r, &flat, 1);
	check(&r);
	nx_capnp_reader_init(&r, &flat, 1);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	assert_int_equal(nx_capnp_canonicalize(&s, bufb, sizeof(bufb), &bytes), 0);
	assert_int_equal(bytes, ref_len);
	assert_memory_equal(bufb, bufa, ref_len);
}

static void test_ours_to_reference(void **state)
{
	FD_BEGIN();
	static uint64_t frame[8192];
	uint64_t first[16];
	nx_capnp_builder b;
	char bin[600];
	size_t len;

	nx_capnp_builder_init(&b, first, sizeof(first), &nx_capnp_malloc_allocator);
	build(&b);
	assert_true(b.nsegs >= 2); /* the root struct alone is 24 words: far pointers */
	assert_int_equal(nx_capnp_frame_write(&b, frame, sizeof(frame), &len), 0);
	path(bin, sizeof(bin), tmp_dir, "ours.bin");
	write_file(bin, frame, len);
	check_text(bin);
	check_canonical(bin);

	/* The reference never writes double-far pointers; make the root one by hand to see
	 * that it reads ours: a two-word pad in a new segment, the root struct where it is. */
	static uint64_t dpad[2];
	uint64_t far = first[0], pad;
	uint32_t fseg = (uint32_t)(far >> 32), fpos = (uint32_t)far >> 3;

	assert_true((far & 7) == 2);
	pad = b.segs[fseg].words[fpos];
	dpad[0] = t_far(false, fpos + 1 + (uint32_t)pad / 4, fseg);
	dpad[1] = pad & ~(uint64_t)0xffffffffu; /* the tag: offset 0 */
	b.segs[b.nsegs] = (struct nx_capnp_bseg){.words = dpad, .used = 2, .cap = 2};
	first[0] = t_far(true, 0, b.nsegs);
	b.nsegs++;
	assert_int_equal(nx_capnp_frame_write(&b, frame, sizeof(frame), &len), 0);
	b.nsegs--;
	nx_capnp_builder_done(&b);
	write_file(bin, frame, len);
	check_text(bin);
	check_canonical(bin);
	FD_END();
}

/* capnp prints the framed message in `bin` exactly as alltypes-expected.txt. */
static void check_text(const char *bin)
{
	char txt[600], want[600];
	static char got_text[16384], want_text[16384];
	size_t n1, n2;

	path(txt, sizeof(txt), tmp_dir, "ours.txt");
	convert("binary:text", NULL, bin, txt);
	n1 = read_file(txt, got_text, sizeof(got_text));
	path(want, sizeof(want), src_dir, "alltypes-expected.txt");
	n2 = read_file(want, want_text, sizeof(want_text));
	if (n1 != n2 || memcmp(got_text, want_text, n1) != 0)
		fail_msg("capnp printed:\n%.*s\nexpected:\n%.*s", (int)n1, got_text, (int)n2,
		        want_text);
}

static void test_reference_to_ours(void **state)
{
	FD_BEGIN();
	static const char *const extra[] = {NULL, "--segment-size=4", "--segment-size=32"};
	char in[600], bin[600];

	path(in, sizeof(in), src_dir, "alltypes-in.txt");
	path(bin, sizeof(bin), tmp_dir, "ref.bin");
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
		uint32_t nsegs;
		size_t len, bytes;
		nx_capnp_reader r;

		convert("text:binary", extra[i], in, bin);
		len = read_file(bin, bufa, sizeof(bufa));
		assert_int_equal(nx_capnp_frame_parse(bufa, len, sizeof(bufa), segs,
		                         NX_CAPNP_MAX_SEGMENTS, &nsegs, &bytes),
		        0);
		if (extra[i])
			assert_true(
			        nsegs > 2); /* far pointers (the reference writes no double-far) */
		nx_capnp_reader_init(&r, segs, nsegs);
		check(&r);
		check_canonical(bin);
	}
	FD_END();
}

static int setup(void **state)
{
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/nxc-interop-XXXXXX");
	return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *const names[] = {"ours.bin", "ours.txt", "ref.bin", "canon.ref"};
	char p[600];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path(p, sizeof(p), tmp_dir, names[i]);
		unlink(p);
	}
	return rmdir(tmp_dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ours_to_reference),
	        cmocka_unit_test(test_reference_to_ours),
	};

	if (argc != 3) {
		fprintf(stderr, "usage: %s <capnp> <srcdir>\n", argv[0]);
		return 2;
	}
	capnp_path = argv[1];
	src_dir = argv[2];
	return cmocka_run_group_tests(tests, setup, teardown);
}
