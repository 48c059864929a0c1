/* SPDX-License-Identifier: MIT */
/*
 * logd's Log server: each handler asks policyd first (nx_svc_allowed), decodes the params into
 * journal types (views into the incoming message: nothing is copied before the journal
 * copies it), calls userspace/journal with the subject samgrd fixed for the connection and
 * logd's own clocks, and answers. Journal errors become section 9 reasons here, once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logd.h"
#include "nx-abi/clock.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"

/* Answers `in` with an exception of `type` whose reason is printf-formatted; returns 0 (the
 * call is answered), as a handler must after answering. */
__attribute__((format(printf, 3, 4))) static int fail(
        nx_rpc_incoming *in, enum nx_rpc_exc type, const char *fmt, ...)
{
	char reason[NX_RPC_REASON_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): started just above */
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	nx_rpc_incoming_fail(in, type, reason);
	return 0;
}

/* Whether the caller may use `capability`: true with its subject in *ret_subject, or false
 * with what the handler returns in *ret (0: answered, denied or no subject at all, i.e. the
 * call did not come through a connection samgrd vouched for; NX_RPC_ASYNC: held while
 * policyd decides, the handler runs again then; or a negative errno). */
static bool authorize(struct logd *d, nx_rpc_incoming *in, const char *capability,
        const char **ret_subject, int *ret)
{
	const char *subject = nx_svc_subject(d->svc, in);
	bool allowed = false;
	int r;

	*ret = 0;
	if (!subject) {
		fail(in, NX_RPC_EXC_FAILED, "denied: no subject for this connection");
		return false;
	}
	r = nx_svc_allowed(d->svc, in, capability, &allowed);
	if (r != 0) {
		*ret = r;
		return false;
	}
	if (!allowed) {
		fail(in, NX_RPC_EXC_FAILED, "denied: %s lacks %s", subject, capability);
		return false;
	}
	*ret_subject = subject;
	return true;
}

/* ---- append ------------------------------------------------------------------------------ */

/* Views of one LogEntry as a jrn_entry; `fields` has room for JRN_FIELDS_MAX. The schema's
 * validator already bounded every text and the field count. -EBADMSG if unreadable. */
static int entry_decode(LogEntry e, struct jrn_field *fields, struct jrn_entry *ret)
{
	nx_capnp_list list;
	size_t len;

	ret->level = (enum jrn_level)LogEntry_get_level(e);
	if (LogEntry_get_scope(e, &ret->scope, &len) < 0 ||
	        LogEntry_get_message(e, &ret->message, &len) < 0 ||
	        LogEntry_get_fields(e, &list) < 0)
		return -EBADMSG;
	if (list.count > JRN_FIELDS_MAX)
		return -E2BIG;
	for (uint32_t i = 0; i < list.count; i++) {
		LogField f = LogField_at(&list, i);

		if (LogField_get_key(f, &fields[i].key, &len) < 0 ||
		        LogField_get_value(f, &fields[i].value, &len) < 0)
			return -EBADMSG;
	}
	ret->fields = fields;
	ret->n_fields = list.count;
	return 0;
}

/* Appends one entry as `subject`. Returns 0 with *ret_id, -EAGAIN when rate limited (dropped
 * and counted by the journal), or another negative errno after writing the section 9 reason
 * into `reason` (and counting the rejection). */
static int append_one(struct logd *d, const char *subject, LogEntry e, uint64_t *ret_id,
        char *reason, size_t reason_size)
{
	struct jrn_field fields[JRN_FIELDS_MAX];
	struct jrn_entry entry = {0};
	int r;

	r = entry_decode(e, fields, &entry);
	if (r == 0 && entry.level >= JRN_LEVEL_COUNT)
		r = -EDOM;
	if (r == 0)
		r = jrn_append(d->journal, subject, &entry, nx_clock_realtime_ns(),
		        nx_clock_monotonic_ns(), ret_id);
	switch (r) {
	case 0:
	case -EAGAIN:
		return r;
	case -EDOM:
		snprintf(reason, reason_size, "invalid_argument: entry.level %u is not a level",
		        (unsigned)entry.level);
		r = -EINVAL;
		break;
	case -EINVAL:
		snprintf(reason, reason_size,
		        "invalid_argument: a field key is empty or not [A-Za-z0-9_.-]");
		break;
	case -EMSGSIZE:
		snprintf(reason, reason_size, "too_large: a text of the entry is over its limit");
		break;
	case -E2BIG:
		snprintf(reason, reason_size, "too_large: more than %u fields", JRN_FIELDS_MAX);
		break;
	case -EBADMSG:
		snprintf(reason, reason_size, "invalid_argument: the entry is malformed");
		break;
	default:
		snprintf(reason, reason_size, "internal: append failed: %s", strerror(-r));
		break;
	}
	d->rejected++;
	return r;
}

static int log_append(void *impl, nx_rpc_incoming *in, Log_append_Params params)
{
	struct logd *d = impl;
	char reason[NX_RPC_REASON_MAX + 1];
	Log_append_Results_b res;
	const char *subject;
	uint64_t id = 0;
	int r;

	if (!authorize(d, in, "log.append", &subject, &r))
		return r;
	r = append_one(
	        d, subject, Log_append_Params_get_entry(params), &id, reason, sizeof(reason));
	if (r == -EAGAIN)
		return fail(in, NX_RPC_EXC_OVERLOADED,
		        "limit_exceeded: %s is over its log rate; the record was dropped and counted",
		        subject);
	if (r < 0)
		return fail(in, NX_RPC_EXC_FAILED, "%s", reason);
	r = Log_append_results_init(in, &res);
	if (r < 0)
		return r;
	Log_append_Results_set_id(res, id);
	nx_rpc_incoming_return(in);
	logd_followers_pump(d);
	return 0;
}

static int log_append_batch(void *impl, nx_rpc_incoming *in, Log_appendBatch_Params params)
{
	struct logd *d = impl;
	char reason[NX_RPC_REASON_MAX + 1];
	const char *subject;
	nx_capnp_list list;
	uint64_t id;
	int r;

	if (!authorize(d, in, "log.append", &subject, &r))
		return r;
	if (Log_appendBatch_Params_get_entries(params, &list) < 0)
		return fail(in, NX_RPC_EXC_FAILED, "invalid_argument: entries is malformed");
	for (uint32_t i = 0; i < list.count; i++) {
		r = append_one(d, subject, LogEntry_at(&list, i), &id, reason, sizeof(reason));

		/* Rate-limited records are the journal's to count and report, not the facade's to
		 * retry: the stream goes on. */
		if (r < 0 && r != -EAGAIN) {
			fail(in, NX_RPC_EXC_FAILED, "%s (entries[%u])", reason, i);
			logd_followers_pump(d); /* the entries before it were kept */
			return 0;
		}
	}
	nx_rpc_incoming_return(in);
	logd_followers_pump(d);
	return 0;
}

/* ---- query ------------------------------------------------------------------------------- */

int logd_record_encode(LogRecord_b b, const struct jrn_record *rec)
{
	nx_capnp_blist fl;
	int r;

	LogRecord_set_id(b, rec->id);
	LogRecord_set_realtime_ns(b, rec->realtime_ns);
	LogRecord_set_monotonic_ns(b, rec->monotonic_ns);
	LogRecord_set_level(b, (LogLevel)rec->level);
	r = LogRecord_set_subject(b, rec->subject, rec->subject_len);
	if (r >= 0)
		r = LogRecord_set_scope(b, rec->scope, rec->scope_len);
	if (r >= 0)
		r = LogRecord_set_message(b, rec->message, rec->message_len);
	if (r >= 0 && rec->n_fields > 0)
		r = LogRecord_init_fields(b, (uint32_t)rec->n_fields, &fl);
	for (size_t i = 0; r >= 0 && i < rec->n_fields; i++) {
		LogField_b f = LogField_b_at(&fl, (uint32_t)i);

		r = LogField_set_key(f, rec->fields[i].key, strlen(rec->fields[i].key));
		if (r >= 0)
			r = LogField_set_value(
			        f, rec->fields[i].value, strlen(rec->fields[i].value));
	}
	return r < 0 ? r : 0;
}

/* The filter as journal types (views into the message); empty texts mean "any". */
static int filter_decode(LogFilter f, struct jrn_filter *ret)
{
	const char *subject, *scope, *contains;
	size_t slen, sclen, clen;

	if (LogFilter_get_subject(f, &subject, &slen) < 0 ||
	        LogFilter_get_scope(f, &scope, &sclen) < 0 ||
	        LogFilter_get_contains(f, &contains, &clen) < 0)
		return -EBADMSG;
	ret->since_id = LogFilter_get_since_id(f);
	ret->since_ns = LogFilter_get_since_ns(f);
	ret->until_ns = LogFilter_get_until_ns(f);
	ret->min_level = (enum jrn_level)LogFilter_get_min_level(f);
	ret->subject = slen ? subject : NULL;
	ret->scope = sclen ? scope : NULL;
	ret->contains = clen ? contains : NULL;
	return 0;
}

/* The page as a sealed VMO added to the results' cap table. */
static int answer_vmo(nx_rpc_incoming *in, nx_capnp_builder *page, Log_query_Results_b res)
{
	static const struct Vmo_server vmo_server = {0};
	size_t bytes = nx_capnp_frame_bytes(page), written;
	struct nx_vmo_map map = {0};
	nx_rpc_cap *cap = NULL;
	uint32_t index;
	VmoRef_b ref;
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
		r = Vmo_server_new_with_fd(&vmo_server, NULL, NULL, fd, &cap); /* takes fd */
		fd = -1;
	}
	if (r >= 0)
		r = nx_rpc_incoming_add_cap(in, cap, &index);
	if (r >= 0)
		r = Log_query_Results_init_vmo(res, &ref);
	if (r >= 0) {
		r = VmoRef_set_vmo(ref, index);
		VmoRef_set_size(ref, bytes);
	}
	nx_rpc_cap_unref(cap);
	if (fd >= 0)
		nx_fd_close(fd);
	return r < 0 ? r : 0;
}

static int log_query(void *impl, nx_rpc_incoming *in, Log_query_Params params)
{
	struct logd *d = impl;
	struct jrn_filter filter = {0};
	struct jrn_query_result qr;
	struct jrn_record *recs = NULL;
	nx_capnp_builder page;
	nx_capnp_blist list;
	LogQueryPage_b root;
	Log_query_Results_b res;
	uint32_t max;
	const char *subject;
	int r;

	if (!authorize(d, in, "log.query", &subject, &r))
		return r;
	if (filter_decode(Log_query_Params_get_filter(params), &filter) < 0)
		return fail(in, NX_RPC_EXC_FAILED, "invalid_argument: filter is malformed");
	if (filter.min_level >= JRN_LEVEL_COUNT)
		return fail(in, NX_RPC_EXC_FAILED,
		        "invalid_argument: filter.minLevel %u is not a level",
		        (unsigned)filter.min_level);
	max = Log_query_Params_get_max(params);
	if (max == 0 || max > JRN_QUERY_MAX)
		max = JRN_QUERY_MAX;
	recs = calloc(max, sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	r = jrn_query(d->journal, &filter, recs, max, &qr);
	if (r == -ERANGE) {
		struct jrn_stats st;

		jrn_stats(d->journal, &st);
		free(recs);
		return fail(in, NX_RPC_EXC_FAILED,
		        "invalid_argument: filter.sinceId %llu is past the next id %llu (a cursor "
		        "from before logd restarted?)",
		        (unsigned long long)filter.since_id, (unsigned long long)st.next_id);
	}
	if (r < 0) {
		free(recs);
		return fail(in, NX_RPC_EXC_FAILED, "%s: filter: %s", nx_rpc_reason_code(r),
		        strerror(-r));
	}

	/* Build the records once as their own message; inline copy or VMO is decided by size. */
	nx_capnp_builder_init(&page, NULL, 0, &nx_capnp_malloc_allocator);
	r = LogQueryPage_init_root(&page, &root);
	if (r >= 0)
		r = LogQueryPage_init_records(root, (uint32_t)qr.count, &list);
	for (size_t i = 0; r >= 0 && i < qr.count; i++)
		r = logd_record_encode(LogRecord_b_at(&list, (uint32_t)i), &recs[i]);
	free(recs);
	if (r >= 0)
		r = Log_query_results_init(in, &res);
	if (r >= 0) {
		Log_query_Results_set_next_cursor(res, qr.next_cursor);
		Log_query_Results_set_more(res, qr.more);
		Log_query_Results_set_missed(res, qr.missed);
		if (nx_capnp_frame_bytes(&page) <= LOGD_INLINE_MAX_BYTES) {
			struct nx_capnp_seg segs[NX_CAPNP_BUILDER_MAX_SEGS];
			nx_capnp_reader rd;
			nx_capnp_bptr dst = nx_capnp_bstruct_ptr(&res.s, 0);
			nx_capnp_struct rroot;

			nx_capnp_builder_as_reader(&page, segs, &rd);
			r = nx_capnp_reader_root_struct(&rd, &rroot);
			if (r >= 0) {
				nx_capnp_ptr src = nx_capnp_struct_ptr(&rroot, 0);

				r = nx_capnp_bptr_copy(&dst, &src);
			}
		} else {
			r = answer_vmo(in, &page, res);
		}
	}
	nx_capnp_builder_done(&page);
	if (r < 0)
		return fail(in, NX_RPC_EXC_FAILED, "internal: building the answer failed: %s",
		        strerror(-r));
	nx_rpc_incoming_return(in);
	return 0;
}

/* ---- stats ------------------------------------------------------------------------------- */

static int log_stats(void *impl, nx_rpc_incoming *in, Log_stats_Params params)
{
	struct logd *d = impl;
	Log_stats_Results_b res;
	struct jrn_stats st;
	nx_capnp_blist top;
	LogStats_b s;
	const char *subject;
	int r;

	if (!authorize(d, in, "log.query", &subject, &r))
		return r;
	jrn_stats(d->journal, &st);
	r = Log_stats_results_init(in, &res);
	if (r >= 0)
		r = Log_stats_Results_init_stats(res, &s);
	if (r < 0)
		return r;
	LogStats_set_records(s, st.records);
	LogStats_set_bytes_used(s, st.bytes_used);
	LogStats_set_capacity(s, st.capacity);
	LogStats_set_appended(s, st.appended);
	LogStats_set_evicted(s, st.evicted);
	LogStats_set_dropped(s, st.dropped);
	LogStats_set_oldest_id(s, st.oldest_id);
	LogStats_set_newest_id(s, st.newest_id);
	LogStats_set_next_id(s, st.next_id);
	LogStats_set_subjects_tracked(s, st.subjects_tracked);
	LogStats_set_clients(s, nx_svc_clients(d->svc));
	LogStats_set_rejected(s, d->rejected);
	LogStats_set_followers(s, d->nfollowers);
	if (st.n_top > 0) {
		r = LogStats_init_top(s, (uint32_t)st.n_top, &top);
		for (size_t i = 0; r >= 0 && i < st.n_top; i++) {
			LogSubjectDrops_b e = LogSubjectDrops_b_at(&top, (uint32_t)i);

			r = LogSubjectDrops_set_subject(
			        e, st.top[i].subject, strlen(st.top[i].subject));
			LogSubjectDrops_set_dropped(e, st.top[i].dropped);
		}
		if (r < 0)
			return r;
	}
	nx_rpc_incoming_return(in);
	return 0;
}

/* ---- follow ------------------------------------------------------------------------------ */

static int log_follow(void *impl, nx_rpc_incoming *in, Log_follow_Params params)
{
	struct logd *d = impl;
	struct jrn_filter filter = {0};
	nx_rpc_cap *sink = NULL;
	uint32_t index;
	const char *subject;
	int r;

	if (!authorize(d, in, "log.follow", &subject, &r))
		return r;
	if (filter_decode(Log_follow_Params_get_filter(params), &filter) < 0)
		return fail(in, NX_RPC_EXC_FAILED, "invalid_argument: filter is malformed");
	if (filter.min_level >= JRN_LEVEL_COUNT)
		return fail(in, NX_RPC_EXC_FAILED,
		        "invalid_argument: filter.minLevel %u is not a level",
		        (unsigned)filter.min_level);
	if (Log_follow_Params_get_sink(params, &index) < 0 ||
	        nx_rpc_incoming_cap(in, index, &sink) < 0)
		return fail(in, NX_RPC_EXC_FAILED, "invalid_argument: no sink");
	r = logd_follower_add(d, &filter, sink);
	nx_rpc_cap_unref(sink);
	if (r == -EDQUOT)
		return fail(in, NX_RPC_EXC_OVERLOADED, "limit_exceeded: %u followers already",
		        LOGD_FOLLOWERS_MAX);
	if (r < 0)
		return fail(in, NX_RPC_EXC_FAILED, "%s: follow: %s", nx_rpc_reason_code(r),
		        strerror(-r));
	nx_rpc_incoming_return(in);
	logd_followers_pump(d); /* a cursor in the past catches up at once */
	return 0;
}

static const struct Log_server log_server = {
        .append = log_append,
        .append_batch = log_append_batch,
        .query = log_query,
        .stats = log_stats,
        .follow = log_follow,
};

/* What each method's params may hold, for the reason when the generated validator refuses
 * them (it runs before the handler and knows only -EMSGSIZE / -EBADMSG). */
static const char *params_limits(uint16_t method_id)
{
	switch (method_id) {
	case Log_append_METHOD_ID:
		return "entry: scope <= 64, message <= 1024, field key <= 64, value <= 256 bytes, "
		       "<= 16 fields";
	case Log_append_batch_METHOD_ID:
		return "entries: <= 64 entries, each: scope <= 64, message <= 1024, key <= 64, "
		       "value <= 256 bytes, <= 16 fields";
	case Log_query_METHOD_ID:
	case Log_follow_METHOD_ID:
		return "filter: subject <= 255, scope <= 64, contains <= 1024 bytes";
	default:
		return "params";
	}
}

/* Runs the generated dispatcher; params its validator refuses get a section 9 reason that
 * names the limits, and refused appends are counted as rejected. */
int logd_dispatch(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id)
{
	struct logd *d = impl;
	int r = Log_dispatch(&log_server, d, in, interface_id, method_id);

	if (r >= 0 || interface_id != Log_INTERFACE_ID)
		return r;
	if (method_id == Log_append_METHOD_ID || method_id == Log_append_batch_METHOD_ID)
		d->rejected++;
	if (r == -EMSGSIZE)
		return fail(in, NX_RPC_EXC_FAILED, "too_large: %s", params_limits(method_id));
	if (r == -EBADMSG)
		return fail(in, NX_RPC_EXC_FAILED,
		        "invalid_argument: %s: malformed (a text with a NUL inside?)",
		        params_limits(method_id));
	return r;
}

static const struct nx_rpc_server_ops log_ops = {
        .dispatch = logd_dispatch,
};

int logd_log_new(struct logd *d, nx_rpc_cap **ret)
{
	return nx_rpc_server_new(&log_ops, d, ret);
}
