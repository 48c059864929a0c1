/* SPDX-License-Identifier: MIT */
/*
 * The validation walk over generated descriptor tables (validate.h). The path of the field
 * being checked is kept as it goes (appended on the way down, cut back on the way up), so a
 * failure names it without a second walk.
 */
#include <errno.h>

#include "layout.h"
#include "nx-capnp/validate.h"

struct walk {
	struct nx_capnp_invalid why;
	size_t len; /* of why.path */
};

static void path_append(struct walk *w, const char *s)
{
	while (*s && w->len + 1 < NX_CAPNP_PATH_MAX)
		w->why.path[w->len++] = *s++;
	w->why.path[w->len] = '\0';
}

/* `v` in decimal, NUL-terminated (no snprintf: the runtime is freestanding). */
static const char *u32_dec(char s[11], uint32_t v)
{
	char *p = s + 10;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

static void path_cut(struct walk *w, size_t len)
{
	w->len = len;
	w->why.path[len] = '\0';
}

static int broke(struct walk *w, enum nx_capnp_rule rule, uint32_t limit)
{
	w->why.rule = rule;
	w->why.limit = limit;
	return nx_capnp_rule_errno(rule);
}

/* A read error of the runtime: its limits are size limits, anything else is malformed. */
static int read_failed(struct walk *w, int err)
{
	return broke(w,
	        err == -ELOOP || err == -EMSGSIZE ? NX_CAPNP_RULE_TRAVERSAL
	                                          : NX_CAPNP_RULE_MALFORMED,
	        0);
}

static int check_struct(struct walk *w, const nx_capnp_struct *s, const struct nx_capnp_desc *d);

static int check_blob(
        struct walk *w, const nx_capnp_ptr *p, bool text, uint32_t max_len, bool non_empty)
{
	const uint8_t *v = NULL;
	size_t n = 0;
	int r;

	if (text)
		r = nx_capnp_ptr_read_text(p, (const char **)&v, &n);
	else
		r = nx_capnp_ptr_read_data(p, &v, &n);
	if (r < 0)
		return read_failed(w, r);
	for (size_t i = 0; text && i < n; i++)
		if (v[i] == 0)
			return broke(w, NX_CAPNP_RULE_NUL, 0);
	if (max_len != NX_CAPNP_NO_LIMIT && n > max_len)
		return broke(w, NX_CAPNP_RULE_MAX_LEN, max_len);
	if (non_empty && n == 0)
		return broke(w, NX_CAPNP_RULE_EMPTY, 0);
	return 0;
}

/* The value behind `p`, of type `t`. `top`: the field's own value, where max_count and
 * non_empty apply (max_len applies to Text/Data at every depth). */
static int check_ptr(struct walk *w, const nx_capnp_ptr *p, const struct nx_capnp_vfield *f,
        const struct nx_capnp_vtype *t, bool top);

static int check_list(struct walk *w, const nx_capnp_ptr *p, const struct nx_capnp_vfield *f,
        const struct nx_capnp_vtype *t, bool top)
{
	const struct nx_capnp_vtype *et = t->elem_type;
	size_t len = w->len;
	nx_capnp_list l;
	int r = nx_capnp_ptr_read_list(p, (enum nx_capnp_elem)t->elem, &l);

	if (r < 0)
		return read_failed(w, r);
	if (top && f->max_count != NX_CAPNP_NO_LIMIT && l.count > f->max_count)
		return broke(w, NX_CAPNP_RULE_MAX_COUNT, f->max_count);
	if (top && f->non_empty && l.count == 0)
		return broke(w, NX_CAPNP_RULE_EMPTY, 0);
	for (uint32_t i = 0; et && i < l.count; i++) {
		char dec[11];

		path_append(w, "[");
		path_append(w, u32_dec(dec, i));
		path_append(w, "]");
		if (et->kind == NX_CAPNP_V_STRUCT) {
			nx_capnp_struct e;

			nx_capnp_list_get_struct(&l, i, &e);
			r = check_struct(w, &e, et->desc);
		} else if (et->kind == NX_CAPNP_V_ENUM) {
			r = nx_capnp_list_get_u16(&l, i) < et->enum_count
			            ? 0
			            : broke(w, NX_CAPNP_RULE_ENUM, 0);
		} else {
			nx_capnp_ptr ep = nx_capnp_list_ptr(&l, i);

			r = check_ptr(w, &ep, f, et, false);
		}
		if (r < 0)
			return r;
		path_cut(w, len);
	}
	/* Elements read past a bad far pointer leave only the reader's sticky error. */
	return l.msg && l.msg->error ? read_failed(w, l.msg->error) : 0;
}

static int check_ptr(struct walk *w, const nx_capnp_ptr *p, const struct nx_capnp_vfield *f,
        const struct nx_capnp_vtype *t, bool top)
{
	nx_capnp_struct s;
	int r;

	switch (t->kind) {
	case NX_CAPNP_V_TEXT:
	case NX_CAPNP_V_DATA:
		return check_blob(
		        w, p, t->kind == NX_CAPNP_V_TEXT, f->max_len, top && f->non_empty);
	case NX_CAPNP_V_STRUCT:
		r = nx_capnp_ptr_read_struct(p, &s);
		return r < 0 ? read_failed(w, r) : check_struct(w, &s, t->desc);
	case NX_CAPNP_V_LIST:
		return check_list(w, p, f, t, top);
	case NX_CAPNP_V_PTR:
		return nx_capnp_ptr_kind(p) == NX_CAPNP_KIND_INVALID
		               ? read_failed(w, p->msg ? p->msg->error : -EBADMSG)
		               : 0;
	default:
		return 0;
	}
}

static int check_field(struct walk *w, const nx_capnp_struct *s, const struct nx_capnp_vfield *f)
{
	const struct nx_capnp_vtype *t = f->type;
	nx_capnp_ptr p;

	switch (t->kind) {
	case NX_CAPNP_V_GROUP:
		return check_struct(w, s, t->desc);
	case NX_CAPNP_V_ENUM:
		return nx_capnp_struct_get_u16(s, f->offset, f->enum_default) < t->enum_count
		               ? 0
		               : broke(w, NX_CAPNP_RULE_ENUM, 0);
	default:
		p = nx_capnp_struct_ptr(s, f->offset);
		return check_ptr(w, &p, f, t, true);
	}
}

static int check_struct(struct walk *w, const nx_capnp_struct *s, const struct nx_capnp_desc *d)
{
	size_t len = w->len;
	uint16_t which = 0;
	bool which_read = false;

	for (uint32_t i = 0; i < d->nfields; i++) {
		const struct nx_capnp_vfield *f = &d->fields[i];
		int r;

		if (f->disc != NX_CAPNP_NO_DISC) {
			if (!which_read)
				which = nx_capnp_struct_get_u16(s, d->disc_offset, 0);
			which_read = true;
			if (which != f->disc)
				continue;
		}
		if (len)
			path_append(w, ".");
		path_append(w, f->name);
		r = check_field(w, s, f);
		if (r < 0)
			return r;
		path_cut(w, len);
	}
	return 0;
}

NXC_EXPORT int nx_capnp_validate(const nx_capnp_struct *s, const struct nx_capnp_desc *desc,
        struct nx_capnp_invalid *ret_why)
{
	struct walk w = {.why = {.rule = NX_CAPNP_RULE_NONE}};
	int r;

	if (!s || !desc)
		return -EINVAL;
	r = check_struct(&w, s, desc);
	if (r == 0 && s->msg && s->msg->error) {
		path_cut(&w, 0);
		r = read_failed(&w, s->msg->error);
	}
	if (r < 0 && ret_why)
		*ret_why = w.why;
	return r;
}

NXC_EXPORT int nx_capnp_rule_errno(enum nx_capnp_rule rule)
{
	switch (rule) {
	case NX_CAPNP_RULE_NONE:
		return 0;
	case NX_CAPNP_RULE_EMPTY:
	case NX_CAPNP_RULE_NUL:
	case NX_CAPNP_RULE_ENUM:
		return -EINVAL;
	case NX_CAPNP_RULE_TRAVERSAL:
	case NX_CAPNP_RULE_MAX_LEN:
	case NX_CAPNP_RULE_MAX_COUNT:
		return -EMSGSIZE;
	case NX_CAPNP_RULE_MALFORMED:
	default:
		return -EBADMSG;
	}
}

/* Appends to buf as far as it fits; counts what did not. */
struct sink {
	char *buf;
	size_t cap, len;
};

static void put(struct sink *o, const char *s)
{
	for (; *s; s++, o->len++)
		if (o->len + 1 < o->cap)
			o->buf[o->len] = *s;
}

NXC_EXPORT size_t nx_capnp_invalid_describe(
        const struct nx_capnp_invalid *why, char *buf, size_t cap)
{
	struct sink o = {.buf = buf, .cap = buf ? cap : 0};
	char dec[11];

	if (why->path[0]) {
		put(&o, why->path);
		put(&o, ": ");
	}
	switch (why->rule) {
	case NX_CAPNP_RULE_NONE:
		put(&o, "valid");
		break;
	case NX_CAPNP_RULE_MALFORMED:
		put(&o, "malformed");
		break;
	case NX_CAPNP_RULE_TRAVERSAL:
		put(&o, "over the reader's traversal or nesting limit");
		break;
	case NX_CAPNP_RULE_EMPTY:
		put(&o, "empty");
		break;
	case NX_CAPNP_RULE_NUL:
		put(&o, "contains NUL");
		break;
	case NX_CAPNP_RULE_ENUM:
		put(&o, "unknown enumerant");
		break;
	case NX_CAPNP_RULE_MAX_LEN:
		put(&o, "longer than ");
		put(&o, u32_dec(dec, why->limit));
		put(&o, " bytes");
		break;
	case NX_CAPNP_RULE_MAX_COUNT:
		put(&o, "more than ");
		put(&o, u32_dec(dec, why->limit));
		put(&o, " elements");
		break;
	}
	if (o.cap)
		o.buf[o.len < o.cap ? o.len : o.cap - 1] = '\0';
	return o.len;
}
