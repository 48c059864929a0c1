/* SPDX-License-Identifier: MIT */
/*
 * logd's Log server: logd_dispatch asks policyd for the method's capability first
 * (nx_svc_allowed), then each handler decodes the params into journal types (views into the
 * incoming message: nothing is copied before the journal copies it), calls userspace/journal
 * with the subject samgrd fixed for the connection and logd's own clocks, and answers.
 * Journal errors become section 9 reasons here, once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logd.h"
#include "nx-abi/clock.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "nx-util/macro.h"

/* ---- append ------------------------------------------------------------------------------ */

/* Views of one LogEntry as a jrn_entry; `fields` has room for JRN_FIELDS_MAX. The dispatcher
 * validated the entry against the schema (every text and the field count bounded). */
static int entry_decode(log_entry e, struct jrn_field *fields, struct jrn_entry *ret)
{
	nx_capnp_list list;
	size_t len;

	ret->level = (enum jrn_level)log_entry_get_level(e);
	if (log_entry_get_scope(e, &ret->scope, &len) < 0 ||
	        log_entry_get_message(e, &ret->message, &len) < 0 ||
	        log_entry_get_fields(e, &list) < 0)
		return -EBADMSG;
	if (list.count > JRN_FIELDS_MAX)
		return -E2BIG;
	for (uint32_t i = 0; i < list.count; i++) {
		log_field f = log_field_at(&list, i);

		if (log_field_get_key(f, &fields[i].key, &len) < 0 ||
		        log_field_get_value(f, &fields[i].value, &len) < 0)
			return -EBADMSG;
	}
	ret->fields = fields;
	ret->n_fields = list.count;
	ret->call_realtime_ns = log_entry_get_call_realtime_ns(e);
	return 0;
}

/* Appends one entry as `subject`. Returns 0 with *ret_id, -EAGAIN when rate limited (dropped
 * and counted by the journal), or another negative errno, the rejection counted, with what to
 * say after its section 9 code in `why`. */
static int append_one(struct logd *d, const char *subject, log_entry e, uint64_t *ret_id, char *why,
        size_t why_size)
{
	struct jrn_field fields[JRN_FIELDS_MAX];
	struct jrn_entry entry = {0};
	int r;

	r = entry_decode(e, fields, &entry);
	if (r == 0 && entry.level >= JRN_LEVEL_COUNT)
		r = -EDOM; /* LogLevel is open: the schema cannot refuse it */
	if (r == 0)
		r = jrn_append(d->journal, subject, &entry, nx_clock_realtime_ns(),
		        nx_clock_monotonic_ns(), ret_id);
	switch (r) {
	case 0:
	case -EAGAIN:
		return r;
	case -EDOM:
		snprintf(why, why_size, "entry.level %u is not a level", (unsigned)entry.level);
		r = -EINVAL;
		break;
	case -EINVAL:
		snprintf(why, why_size, "a field key is empty or not [A-Za-z0-9_.-]");
		break;
	case -EMSGSIZE:
		snprintf(why, why_size, "a text of the entry is over its limit");
		break;
	case -ENODATA:
		snprintf(why, why_size, "entry.message is empty");
		r = -EINVAL;
		break;
	case -E2BIG:
		snprintf(why, why_size, "more than %u fields", JRN_FIELDS_MAX);
		r = -EMSGSIZE;
		break;
	case -EBADMSG:
		snprintf(why, why_size, "the entry is malformed");
		r = -EINVAL;
		break;
	default:
		snprintf(why, why_size, "append failed: %s", strerror(-r));
		break;
	}
	d->rejected++;
	return r;
}

static int serve_append(void *impl, nx_rpc_incoming *in, log_append_params params)
{
	struct logd *d = impl;
	const char *subject = nx_svc_subject(d->svc, in);
	char why[NX_RPC_REASON_MAX + 1];
	uint64_t id = 0;
	int r;

	r = append_one(d, subject, log_append_params_get_entry(params), &id, why, sizeof(why));
	if (r == -EAGAIN)
		return nx_rpc_incoming_failf(in, -EDQUOT,
		        "%s is over its log rate; the record was dropped and counted", subject);
	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "%s", why);
	(void)log_append_return(in, id); /* answers, or fails saying why */
	logd_followers_pump(d);
	return 0;
}

static int serve_append_batch(void *impl, nx_rpc_incoming *in, log_append_batch_params params)
{
	struct logd *d = impl;
	const char *subject = nx_svc_subject(d->svc, in);
	char why[NX_RPC_REASON_MAX + 1];
	nx_capnp_list list;
	uint64_t id;
	int r;

	if (log_append_batch_params_get_entries(params, &list) < 0)
		return nx_rpc_incoming_failf(in, -EINVAL, "entries is malformed");
	for (uint32_t i = 0; i < list.count; i++) {
		r = append_one(d, subject, log_entry_at(&list, i), &id, why, sizeof(why));

		/* Rate-limited records are the journal's to count and report, not the facade's to
		 * retry: the stream goes on. */
		if (r < 0 && r != -EAGAIN) {
			(void)nx_rpc_incoming_failf(in, r, "%s (entries[%u])", why, i);
			logd_followers_pump(d); /* the entries before it were kept */
			return 0;
		}
	}
	(void)nx_rpc_incoming_return(in);
	logd_followers_pump(d);
	return 0;
}

/* ---- query ------------------------------------------------------------------------------- */

int logd_record_encode(log_record_b b, const struct jrn_record *rec)
{
	nx_capnp_blist fl;
	int r;

	log_record_set_id(b, rec->id);
	log_record_set_realtime_ns(b, rec->realtime_ns);
	log_record_set_monotonic_ns(b, rec->monotonic_ns);
	log_record_set_call_realtime_ns(b, rec->call_realtime_ns);
	log_record_set_level(b, (log_level)rec->level);
	r = log_record_set_subject(b, rec->subject, rec->subject_len);
	if (r >= 0)
		r = log_record_set_scope(b, rec->scope, rec->scope_len);
	if (r >= 0)
		r = log_record_set_message(b, rec->message, rec->message_len);
	if (r >= 0 && rec->n_fields > 0)
		r = log_record_init_fields(b, (uint32_t)rec->n_fields, &fl);
	for (size_t i = 0; r >= 0 && i < rec->n_fields; i++) {
		log_field_b f = log_field_b_at(&fl, (uint32_t)i);

		r = log_field_set_key(f, rec->fields[i].key, strlen(rec->fields[i].key));
		if (r >= 0)
			r = log_field_set_value(
			        f, rec->fields[i].value, strlen(rec->fields[i].value));
	}
	return r < 0 ? r : 0;
}

/* The filter as journal types (views into the message); empty texts mean "any". -EBADMSG if
 * a text does not read, -EDOM for a level the journal does not know (LogLevel is open). */
static int filter_decode(log_filter f, struct jrn_filter *ret)
{
	const char *subject, *scope, *contains;
	size_t slen, sclen, clen;

	if (log_filter_get_subject(f, &subject, &slen) < 0 ||
	        log_filter_get_scope(f, &scope, &sclen) < 0 ||
	        log_filter_get_contains(f, &contains, &clen) < 0)
		return -EBADMSG;
	ret->since_id = log_filter_get_since_id(f);
	ret->since_ns = log_filter_get_since_ns(f);
	ret->until_ns = log_filter_get_until_ns(f);
	ret->min_level = (enum jrn_level)log_filter_get_min_level(f);
	ret->subject = slen ? subject : NULL;
	ret->scope = sclen ? scope : NULL;
	ret->contains = clen ? contains : NULL;
	ret->contains_icase = log_filter_get_ignore_case(f);
	ret->until_id = log_filter_get_until_id(f);
	return ret->min_level < JRN_LEVEL_COUNT ? 0 : -EDOM;
}

/* Answers `in` for a filter filter_decode refused with `r`; returns 0 (answered). */
static int fail_filter(nx_rpc_incoming *in, const struct jrn_filter *f, int r)
{
	if (r == -EDOM)
		return nx_rpc_incoming_failf(
		        in, -EINVAL, "filter.minLevel %u is not a level", (unsigned)f->min_level);
	return nx_rpc_incoming_failf(in, -EINVAL, "filter is malformed");
}

/* The id the next record gets: a cursor beyond it names nothing that will ever come. */
static uint64_t next_id(const struct logd *d)
{
	struct jrn_stats st;

	jrn_stats(d->journal, &st);
	return st.next_id;
}

/* Answers `in` for a sinceId past the journal's next id; returns 0 (answered). */
static int fail_cursor(nx_rpc_incoming *in, const struct logd *d, uint64_t since_id)
{
	return nx_rpc_incoming_failf(in, -EINVAL,
	        "filter.sinceId %llu is past the next id %llu (a cursor from before logd "
	        "restarted?)",
	        (unsigned long long)since_id, (unsigned long long)next_id(d));
}

/* The page as a sealed VMO in the results. */
static int answer_vmo(nx_capnp_builder *page, log_query_results_b res)
{
	static const struct nexus_vmo_server vmo_server = {0};
	size_t bytes = nx_capnp_frame_bytes(page), written;
	struct nx_vmo_map map = {0};
	struct nexus_vmo *vmo = NULL;
	nexus_vmo_ref_b ref;
	int fd = -1, r;

	r = nx_vmo_create("logd-query", bytes, &fd);
	if (r >= 0)
		r = nx_vmo_map_rw(fd, false, &map);
	if (r >= 0)
		r = nx_capnp_frame_write(page, map.addr, map.size, &written);
	nx_vmo_unmap(&map);
	if (r >= 0)
		r = nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN);
	if (r >= 0) {
		r = nexus_vmo_server_new_with_fd(&vmo_server, NULL, NULL, fd, &vmo); /* takes fd */
		fd = -1;
	}
	if (r >= 0)
		r = log_query_results_init_vmo(res, &ref);
	if (r >= 0) {
		r = nexus_vmo_ref_set_vmo(ref, vmo); /* the results hold their own reference */
		nexus_vmo_ref_set_size(ref, bytes);
	}
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	if (fd >= 0)
		nx_fd_close(fd);
	return r < 0 ? r : 0;
}

/* The page copied into the results' records. */
static int answer_inline(nx_capnp_builder *page, log_query_results_b res)
{
	struct nx_capnp_seg segs[NX_CAPNP_BUILDER_MAX_SEGS];
	nx_capnp_bptr dst = nx_capnp_bstruct_ptr(&res.s, 0);
	nx_capnp_struct root;
	nx_capnp_reader rd;
	nx_capnp_ptr src;
	int r;

	nx_capnp_builder_as_reader(page, segs, &rd);
	r = nx_capnp_reader_root_struct(&rd, &root);
	if (r < 0)
		return r;
	src = nx_capnp_struct_ptr(&root, 0);
	return nx_capnp_bptr_copy(&dst, &src);
}

/* The first `n` of `recs` as their own message, a LogQueryPage root, in `page` (set up here,
 * the caller's to finish with nx_capnp_builder_done in every case). */
static int page_build(nx_capnp_builder *page, const struct jrn_record *recs, size_t n)
{
	nx_capnp_blist list;
	log_query_page_b root;
	int r;

	nx_capnp_builder_init(page, NULL, 0, &nx_capnp_malloc_allocator);
	r = log_query_page_init_root(page, &root);
	if (r >= 0)
		r = log_query_page_init_records(root, (uint32_t)n, &list);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = logd_record_encode(log_record_b_at(&list, (uint32_t)i), &recs[i]);
	return r;
}

/* inlineOnly: rebuilds `page` (too large to go inline) with the most leading records that
 * fit, found by bisection, and makes the answer page on from the first one left out.
 * -E2BIG when not even the first record fits alone. */
static int page_fit_inline(
        nx_capnp_builder *page, const struct jrn_record *recs, struct jrn_query_result *qr)
{
	size_t fits = 0, too_many = qr->count;
	int r = 0;

	while (too_many - fits > 1) {
		size_t mid = fits + (too_many - fits) / 2;

		nx_capnp_builder_done(page);
		r = page_build(page, recs, mid);
		if (r < 0)
			return r;
		if (nx_capnp_frame_bytes(page) <= LOGD_INLINE_MAX_BYTES)
			fits = mid;
		else
			too_many = mid;
	}
	if (fits == 0)
		return -E2BIG;
	nx_capnp_builder_done(page);
	r = page_build(page, recs, fits);
	qr->count = fits;
	qr->next_cursor = recs[fits].id;
	qr->more = true;
	return r;
}

static int serve_query(void *impl, nx_rpc_incoming *in, log_query_params params)
{
	struct logd *d = impl;
	struct jrn_filter filter = {0};
	struct jrn_query_result qr;
	struct jrn_record *recs = NULL;
	bool inline_only = log_query_params_get_inline_only(params);
	nx_capnp_builder page;
	log_query_results_b res;
	uint64_t first_id;
	uint32_t max;
	int r;

	r = filter_decode(log_query_params_get_filter(params), &filter);
	if (r < 0)
		return fail_filter(in, &filter, r);
	max = log_query_params_get_max(params);
	if (max == 0 || max > JRN_QUERY_MAX)
		max = JRN_QUERY_MAX;
	recs = calloc(max, sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	r = (log_query_params_get_newest(params) ? jrn_query_newest : jrn_query)(
	        d->journal, &filter, recs, max, &qr);
	if (r == -ERANGE) {
		free(recs);
		return fail_cursor(in, d, filter.since_id);
	}
	if (r < 0) {
		free(recs);
		return nx_rpc_incoming_failf(in, r, "filter: %s", strerror(-r));
	}

	/* Build the records once as their own message; inline copy or VMO is decided by size
	 * (inlineOnly: as many as fit inline). */
	first_id = qr.count > 0 ? recs[0].id : 0;
	r = page_build(&page, recs, qr.count);
	if (r >= 0 && inline_only && nx_capnp_frame_bytes(&page) > LOGD_INLINE_MAX_BYTES)
		r = page_fit_inline(&page, recs, &qr);
	free(recs);
	if (r == -E2BIG) {
		nx_capnp_builder_done(&page);
		return nx_rpc_incoming_failf(in, -EMSGSIZE,
		        "records: record %llu alone does not fit one message; query it without "
		        "inlineOnly",
		        (unsigned long long)first_id);
	}
	if (r >= 0)
		r = log_query_results_init(in, &res);
	if (r >= 0) {
		log_query_results_set_next_cursor(res, qr.next_cursor);
		log_query_results_set_more(res, qr.more);
		log_query_results_set_missed(res, qr.missed);
		if (nx_capnp_frame_bytes(&page) <= LOGD_INLINE_MAX_BYTES)
			r = answer_inline(&page, res);
		else
			r = answer_vmo(&page, res);
	}
	nx_capnp_builder_done(&page);
	if (r < 0)
		return nx_rpc_incoming_failf(
		        in, -EIO, "building the answer failed: %s", strerror(-r));
	return nx_rpc_incoming_return(in);
}

/* ---- stats ------------------------------------------------------------------------------- */

static int serve_stats(void *impl, nx_rpc_incoming *in, log_stats_params params)
{
	struct logd *d = impl;
	char boot_id[2 * JRN_BOOT_ID_BYTES + 1];
	log_stats_results_b res;
	struct jrn_stats st;
	nx_capnp_blist top;
	log_counters_b c;
	int r;

	jrn_stats(d->journal, &st);
	r = log_stats_results_init(in, &res);
	if (r >= 0)
		r = log_stats_results_init_stats(res, &c);
	if (r < 0)
		return r;
	log_counters_set_records(c, st.records);
	log_counters_set_bytes_used(c, st.bytes_used);
	log_counters_set_capacity(c, st.capacity);
	log_counters_set_appended(c, st.appended);
	log_counters_set_evicted(c, st.evicted);
	log_counters_set_dropped(c, st.dropped);
	log_counters_set_oldest_id(c, st.oldest_id);
	log_counters_set_newest_id(c, st.newest_id);
	log_counters_set_next_id(c, st.next_id);
	log_counters_set_subjects_tracked(c, st.subjects_tracked);
	log_counters_set_clients(c, nx_svc_clients(d->svc));
	log_counters_set_rejected(c, d->rejected);
	log_counters_set_followers(c, d->nfollowers);
	log_counters_set_torn(c, st.torn);
	for (size_t i = 0; i < JRN_BOOT_ID_BYTES; i++)
		(void)snprintf(boot_id + 2 * i, 3, "%02x", st.boot_id[i]);
	r = log_counters_set_boot_id(c, boot_id, 2 * JRN_BOOT_ID_BYTES);
	if (r < 0)
		return r;
	if (st.n_top > 0) {
		r = log_counters_init_top(c, (uint32_t)st.n_top, &top);
		for (size_t i = 0; r >= 0 && i < st.n_top; i++) {
			log_subject_drops_b e = log_subject_drops_b_at(&top, (uint32_t)i);

			r = log_subject_drops_set_subject(
			        e, st.top[i].subject, strlen(st.top[i].subject));
			log_subject_drops_set_dropped(e, st.top[i].dropped);
		}
		if (r < 0)
			return r;
	}
	return nx_rpc_incoming_return(in);
}

/* ---- follow ------------------------------------------------------------------------------ */

static int serve_follow(void *impl, nx_rpc_incoming *in, log_follow_params params)
{
	struct logd *d = impl;
	struct jrn_filter filter = {0};
	struct log_sink *sink = NULL;
	int r;

	r = filter_decode(log_follow_params_get_filter(params), &filter);
	if (r < 0)
		return fail_filter(in, &filter, r);
	if (filter.since_id > next_id(d))
		return fail_cursor(in, d, filter.since_id); /* it would wait for ever */
	if (log_follow_params_get_sink(params, &sink) < 0)
		return nx_rpc_incoming_failf(in, -EINVAL, "no sink");
	r = logd_follower_add(d, &filter, sink); /* takes sink */
	if (r == -EDQUOT)
		return nx_rpc_incoming_failf(in, r, "%u followers already", LOGD_FOLLOWERS_MAX);
	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "follow: %s", strerror(-r));
	(void)nx_rpc_incoming_return(in);
	logd_followers_pump(d); /* a cursor in the past catches up at once */
	return 0;
}

static const struct log_server log_server = {
        .append = serve_append,
        .append_batch = serve_append_batch,
        .query = serve_query,
        .stats = serve_stats,
        .follow = serve_follow,
};

/* The capability each Log method needs (DESIGN.md section 7). */
static const char *const method_caps[] = {
        [LOG_APPEND_METHOD_ID] = "log.append",
        [LOG_APPEND_BATCH_METHOD_ID] = "log.append",
        [LOG_QUERY_METHOD_ID] = "log.query",
        [LOG_STATS_METHOD_ID] = "log.query",
        [LOG_FOLLOW_METHOD_ID] = "log.follow",
};

/* Whether the params of `in` hold to the schema of Log method `method_id`, checked without
 * answering: the generated dispatcher answers those that do not. */
static bool params_valid(nx_rpc_incoming *in, uint16_t method_id)
{
	nx_capnp_struct params;

	return nx_rpc_incoming_params(in, &params) >= 0 &&
	       nx_capnp_validate(&params, log_desc.methods[method_id].params, NULL) >= 0;
}

/* Asks policyd for the method's capability, then runs the generated dispatcher (which
 * validates the params): handlers run for allowed callers with a subject only. */
int logd_dispatch(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id)
{
	struct logd *d = impl;
	const char *subject = nx_svc_subject(d->svc, in), *cap;
	bool allowed = false;
	int r;

	if (interface_id != LOG_INTERFACE_ID || method_id >= ELEMENTSOF(method_caps))
		return log_dispatch(&log_server, d, in, interface_id, method_id); /* -ENOSYS */
	if (!subject) /* not through a connection samgrd vouched for */
		return nx_rpc_incoming_failf(in, -EPERM, "no subject for this connection");
	cap = method_caps[method_id];
	r = nx_svc_allowed(d->svc, in, cap, &allowed);
	if (r != 0)
		return r; /* NX_RPC_ASYNC: held; this runs again once policyd answered */
	if (!allowed)
		return nx_rpc_incoming_failf(in, -EPERM, "%s lacks %s", subject, cap);
	/* Appends the schema refuses are rejections too, though no handler sees them. */
	if (strcmp(cap, "log.append") == 0 && !params_valid(in, method_id))
		d->rejected++;
	return log_dispatch(&log_server, d, in, interface_id, method_id);
}

static const struct nx_rpc_server_ops log_ops = {
        .dispatch = logd_dispatch,
};

int logd_log_new(struct logd *d, nx_rpc_cap **ret)
{
	return nx_rpc_server_new(&log_ops, d, ret);
}
