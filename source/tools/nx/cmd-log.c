/* SPDX-License-Identifier: MIT */
/*
 * nx log: talk to logd (log.capnp) through samgrd, as uid:<your uid>.
 *
 *   nx log append LEVEL SCOPE MESSAGE [KEY=VALUE...]   prints the new record's id
 *   nx log query [--since ID] [--level L] [--subject S] [--scope S] [--grep TEXT]
 *                [--max N] [--json]                     matching records, oldest first
 *   nx log tail [--since ID] [--level L] [--subject S] [--scope S] [--grep TEXT]
 *               [--count N] [--json]                    follow: records as they come (from
 *                                                       ID, else from now); stop after N.
 *                                                       Prints "nx: following" on stderr once
 *                                                       logd took the follower.
 *   nx log stats [--json]                               the journal's counters
 *
 * A query answer too large for one message arrives as a sealed VMO; nx checks it (size
 * within logQueryVmoMaxBytes, seals) before mapping it read-only. --json prints one object
 * with the records and how they came ("transport": "inline" | "vmo"); tail --json prints one
 * record object per line.
 * Exit codes: 0 success, 1 refused or unreachable, 2 usage.
 * The connection is libnexus (include/nexus/nexus.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.capnp.h"
#include "common.h"
#include "nx-abi/vmo.h"
#include "nx-util/macro.h"

int nx_cmd_log(int argc, char **argv);

static int usage(FILE *f, int code)
{
	fprintf(f, "usage: nx log append LEVEL SCOPE MESSAGE [KEY=VALUE...]\n"
	           "       nx log query [--since ID] [--level L] [--subject S] [--scope S]\n"
	           "                    [--grep TEXT] [--max N] [--json]\n"
	           "       nx log tail [--since ID] [--level L] [--subject S] [--scope S]\n"
	           "                   [--grep TEXT] [--count N] [--json]\n"
	           "       nx log stats [--json]\n"
	           "       nx log --help\n"
	           "LEVEL: debug info notice warn error crit alert emerg (query: the minimum).\n"
	           "--subject takes an exact subject or a prefix ending in '*' (svc:*).\n"
	           "Asks logd, resolved through samgrd at $NEXUS_RUNTIME_DIR/samgr.sock.\n"
	           "Exit codes: 0 success, 1 refused or unreachable, 2 usage.\n");
	return code;
}

static int parse_level(const char *text, log_level *ret)
{
	for (log_level v = 0; v < LOG_LEVEL_COUNT; v++)
		if (strcmp(text, log_level_name(v)) == 0) {
			*ret = v;
			return 0;
		}
	return -EINVAL;
}

static int parse_u64(const char *text, uint64_t *ret)
{
	char *end;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	*ret = strtoull(text, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

/* ---- append ------------------------------------------------------------------------------ */

/* The entry of an append: LEVEL SCOPE MESSAGE [KEY=VALUE...] (checked by the caller). */
static int entry_build(log_entry_b e, log_level level, int argc, char **argv)
{
	nx_capnp_blist fields;
	int r, nf = argc - 3;

	log_entry_set_level(e, level);
	r = log_entry_set_scope(e, argv[1], strlen(argv[1]));
	if (r >= 0)
		r = log_entry_set_message(e, argv[2], strlen(argv[2]));
	if (r >= 0 && nf > 0)
		r = log_entry_init_fields(e, (uint32_t)nf, &fields);
	for (int i = 0; r >= 0 && i < nf; i++) {
		const char *kv = argv[3 + i], *eq = strchr(kv, '=');
		log_field_b f = log_field_b_at(&fields, (uint32_t)i);

		r = log_field_set_key(f, kv, (size_t)(eq - kv));
		if (r >= 0)
			r = log_field_set_value(f, eq + 1, strlen(eq + 1));
	}
	return r;
}

/* Limits (message length, field count, key syntax) are logd's to refuse: its reason names
 * the field ("too_large: entry.message: longer than 1024 bytes"). */
static int cmd_append(struct nxt_session *s, int argc, char **argv)
{
	log_append_params_b params;
	log_append_results out;
	nx_rpc_call *call = NULL;
	log_entry_b e;
	log_level level;
	int r;

	if (argc < 3 || parse_level(argv[0], &level) < 0)
		return usage(stderr, 2);
	for (int i = 3; i < argc; i++)
		if (!strchr(argv[i], '='))
			return usage(stderr, 2);
	r = nxt_session_open(s, "logd");
	if (r)
		return r;
	r = log_append_start(log_from_cap(s->svc), &call, &params);
	if (r >= 0)
		r = log_append_params_init_entry(params, &e);
	if (r >= 0)
		r = entry_build(e, level, argc, argv);
	if (r < 0) {
		nx_rpc_call_free(call);
		return nxt_report("append", r);
	}
	r = log_append_send_wait(call, nexus_deadline(s->nx), &out);
	if (r < 0)
		r = nxt_report_call(s, call, r, "append");
	else
		printf("%" PRIu64 "\n", log_append_results_get_id(out));
	nx_rpc_call_free(call);
	return r;
}

/* ---- query ------------------------------------------------------------------------------- */

static void print_record(log_record rec, bool json, bool first)
{
	const char *subject = "", *scope = "", *message = "";
	size_t slen = 0, sclen = 0, mlen = 0;
	uint64_t rt = log_record_get_realtime_ns(rec);
	const char *lvl = log_level_name(log_record_get_level(rec));
	nx_capnp_list fields = {0};

	log_record_get_subject(rec, &subject, &slen);
	log_record_get_scope(rec, &scope, &sclen);
	log_record_get_message(rec, &message, &mlen);
	if (log_record_get_fields(rec, &fields) < 0)
		fields.count = 0;
	if (!lvl)
		lvl = "?";
	if (json) {
		printf("%s{\"id\":%" PRIu64 ",\"realtime_ns\":%" PRIu64 ",\"monotonic_ns\":%" PRIu64
		       ",\"level\":\"%s\",\"subject\":",
		        first ? "" : ",", log_record_get_id(rec), rt,
		        log_record_get_monotonic_ns(rec), lvl);
		nxt_json_string(subject, slen);
		printf(",\"scope\":");
		nxt_json_string(scope, sclen);
		printf(",\"message\":");
		nxt_json_string(message, mlen);
		printf(",\"fields\":{");
	} else {
		time_t sec = (time_t)(rt / 1000000000u);
		struct tm tm;
		char when[32] = "?";

		if (gmtime_r(&sec, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		printf("%" PRIu64 " %s.%03uZ %s %.*s %.*s: %.*s", log_record_get_id(rec), when,
		        (unsigned)(rt / 1000000u % 1000u), lvl, (int)slen, subject, (int)sclen,
		        scope, (int)mlen, message);
	}
	for (uint32_t i = 0; i < fields.count; i++) {
		log_field f = log_field_at(&fields, i);
		const char *k = "", *v = "";
		size_t klen = 0, vlen = 0;

		log_field_get_key(f, &k, &klen);
		log_field_get_value(f, &v, &vlen);
		if (json) {
			if (i)
				putchar(',');
			nxt_json_string(k, klen);
			putchar(':');
			nxt_json_string(v, vlen);
		} else {
			printf(" %.*s=%.*s", (int)klen, k, (int)vlen, v);
		}
	}
	printf(json ? "}}" : "\n");
}

/* The records of a query VMO: checked (sealed, size within the interface's cap, the claimed
 * size within the file), mapped read-only, parsed and validated as a LogQueryPage (a page
 * that breaks the schema is corrupt: -EBADMSG). */
static int read_vmo_records(nexus_vmo_ref ref, struct nx_vmo_map *map, nx_capnp_reader *rd,
        struct nx_capnp_seg *segs, nx_capnp_list *ret)
{
	uint64_t claimed = nexus_vmo_ref_get_size(ref);
	struct nexus_vmo *vmo = NULL;
	log_query_page page;
	uint32_t nsegs;
	size_t bytes;
	int r;

	r = nexus_vmo_ref_get_vmo(ref, &vmo);
	if (r >= 0)
		r = nx_vmo_map_ro(nx_rpc_cap_peek_fd(nexus_vmo_cap(vmo)), LOG_QUERY_VMO_MAX_BYTES,
		        false, map);
	nx_rpc_cap_unref(nexus_vmo_cap(vmo)); /* the map stays valid without the fd */
	if (r >= 0 && claimed > map->size)
		r = -EINVAL;
	if (r >= 0)
		r = nx_capnp_frame_parse(map->addr, (size_t)claimed, LOG_QUERY_VMO_MAX_BYTES, segs,
		        NX_CAPNP_MAX_SEGMENTS, &nsegs, &bytes);
	if (r >= 0) {
		nx_capnp_reader_init(rd, segs, nsegs);
		r = log_query_page_read_root(rd, &page);
	}
	if (r >= 0 && log_query_page_validate(&page.s, NULL) < 0)
		r = -EBADMSG;
	if (r >= 0)
		r = log_query_page_get_records(page, ret);
	return r < 0 ? r : 0;
}

/* Fills `f` from the filter options; --max (query) / --count (tail) go to *ret_n, --json to
 * *ret_json. -EINVAL for an unknown option or a bad value (usage). */
static int filter_parse(
        int argc, char **argv, log_filter_b f, const char *n_opt, uint64_t *ret_n, bool *ret_json)
{
	int r = 0;

	*ret_json = false;
	for (int i = 0; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;
		log_level lvl;

		if (strcmp(opt, "--json") == 0) {
			*ret_json = true;
			continue;
		}
		if (!val)
			return -EINVAL;
		i++;
		if (strcmp(opt, "--since") == 0 && parse_u64(val, &n) == 0)
			log_filter_set_since_id(f, n);
		else if (strcmp(opt, "--level") == 0 && parse_level(val, &lvl) == 0)
			log_filter_set_min_level(f, lvl);
		else if (strcmp(opt, n_opt) == 0 && parse_u64(val, &n) == 0 && n <= UINT32_MAX)
			*ret_n = n;
		else if (strcmp(opt, "--subject") == 0)
			r = log_filter_set_subject(f, val, strlen(val));
		else if (strcmp(opt, "--scope") == 0)
			r = log_filter_set_scope(f, val, strlen(val));
		else if (strcmp(opt, "--grep") == 0)
			r = log_filter_set_contains(f, val, strlen(val));
		else
			return -EINVAL;
		if (r < 0)
			return r;
	}
	return 0;
}

static int query_parse(int argc, char **argv, log_query_params_b params, bool *ret_json)
{
	uint64_t max = 0;
	log_filter_b f;
	int r = log_query_params_init_filter(params, &f);

	if (r >= 0)
		r = filter_parse(argc, argv, f, "--max", &max, ret_json);
	if (r >= 0)
		log_query_params_set_max(params, (uint32_t)max);
	return r;
}

/* Syntax only, before anything is asked of the system: 0 or -EINVAL (usage). `n_opt` is
 * --max (query) or --count (tail). */
static int filter_check_args(int argc, char **argv, const char *n_opt)
{
	static const char *const with_value[] = {
	        "--since", "--level", "--subject", "--scope", "--grep"};

	for (int i = 0; i < argc; i++) {
		bool known = strcmp(argv[i], n_opt) == 0;

		if (strcmp(argv[i], "--json") == 0)
			continue;
		for (size_t k = 0; k < ELEMENTSOF(with_value); k++)
			known = known || strcmp(argv[i], with_value[k]) == 0;
		if (!known || i + 1 >= argc)
			return -EINVAL;
		i++;
	}
	return 0;
}

static void print_query(
        log_query_results out, const nx_capnp_list *list, const char *transport, bool json)
{
	uint64_t next = log_query_results_get_next_cursor(out);
	uint64_t missed = log_query_results_get_missed(out);
	bool more = log_query_results_get_more(out);

	if (json)
		printf("{\"transport\":\"%s\",\"records\":[", transport);
	for (uint32_t i = 0; i < list->count; i++)
		print_record(log_record_at(list, i), json, i == 0);
	if (json) {
		printf("],\"next_cursor\":%" PRIu64 ",\"more\":%s,\"missed\":%" PRIu64 "}\n", next,
		        more ? "true" : "false", missed);
		return;
	}
	if (more)
		fprintf(stderr, "nx: more records: --since %" PRIu64 "\n", next);
	if (missed)
		fprintf(stderr, "nx: %" PRIu64 " records evicted before they were read\n", missed);
}

/* A query answer whose records came as a VMO: 0, or reported and 1. */
static int print_query_vmo(log_query_results out, bool json)
{
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	struct nx_vmo_map map = {0};
	nx_capnp_list list = {0};
	nx_capnp_reader rd;
	int r;

	r = read_vmo_records(log_query_results_get_vmo(out), &map, &rd, segs, &list);
	if (r < 0)
		r = nxt_report("query: vmo", r);
	else
		print_query(out, &list, "vmo", json);
	nx_vmo_unmap(&map);
	return r;
}

static int cmd_query(struct nxt_session *s, int argc, char **argv)
{
	log_query_params_b params;
	log_query_results out;
	nx_capnp_list list = {0};
	nx_rpc_call *call = NULL;
	bool json = false;
	int r;

	if (filter_check_args(argc, argv, "--max") < 0)
		return usage(stderr, 2);
	r = nxt_session_open(s, "logd");
	if (r)
		return r;
	r = log_query_start(log_from_cap(s->svc), &call, &params);
	if (r >= 0)
		r = query_parse(argc, argv, params, &json);
	if (r < 0) {
		nx_rpc_call_free(call);
		/* -EINVAL: a bad value (--level loud, --since x) */
		return r == -EINVAL ? usage(stderr, 2) : nxt_report("query", r);
	}
	r = log_query_send_wait(call, nexus_deadline(s->nx), &out);
	if (r < 0) {
		r = nxt_report_call(s, call, r, "query");
	} else if (log_query_results_has_vmo(out)) {
		r = print_query_vmo(out, json);
	} else {
		(void)log_query_results_get_records(out, &list); /* results are validated */
		print_query(out, &list, "inline", json);
	}
	nx_rpc_call_free(call);
	return r;
}

/* ---- tail -------------------------------------------------------------------------------- */

struct tail {
	nx_loop *loop;
	uint64_t seen, want; /* want 0: until interrupted */
	bool json;
};

static int serve_records(void *impl, nx_rpc_incoming *in, log_sink_records_params params)
{
	struct tail *t = impl;
	uint64_t missed = log_sink_records_params_get_missed(params);
	nx_capnp_list list = {0};

	(void)log_sink_records_params_get_records(params, &list); /* validated already */
	if (missed)
		(void)fprintf(stderr,
		        "nx: missed %" PRIu64 " records (evicted before they reached us)\n",
		        missed);
	for (uint32_t i = 0; i < list.count && (!t->want || t->seen < t->want); i++, t->seen++) {
		print_record(log_record_at(&list, i), t->json, true);
		if (t->json)
			putchar('\n');
	}
	if (t->want && t->seen >= t->want)
		nx_loop_quit(t->loop, 0);
	return nx_rpc_incoming_return(in);
}

static const struct log_sink_server sink_vt = {
        .records = serve_records,
};

static void on_logd_gone(nexus *nx, const char *name, int error, void *userdata)
{
	struct tail *t = userdata;

	fprintf(stderr, "nx: unavailable: logd closed the channel: %s\n", strerror(-error));
	nx_loop_quit(t->loop, 1);
}

static int cmd_tail(struct nxt_session *s, int argc, char **argv)
{
	log_follow_params_b params;
	log_follow_results out;
	struct log_sink *sink = NULL;
	struct tail t = {0};
	nx_rpc_call *call = NULL;
	log_filter_b f;
	int r;

	if (filter_check_args(argc, argv, "--count") < 0)
		return usage(stderr, 2);
	r = nxt_session_open(s, "logd");
	if (r)
		return r;
	t.loop = s->loop;
	r = log_sink_server_new(&sink_vt, &t, NULL, &sink);
	if (r >= 0)
		r = log_follow_start(log_from_cap(s->svc), &call, &params);
	if (r >= 0)
		r = log_follow_params_init_filter(params, &f);
	if (r >= 0)
		r = filter_parse(argc, argv, f, "--count", &t.want, &t.json);
	if (r >= 0)
		r = log_follow_params_set_sink(params, sink); /* the call holds its own reference */
	if (r < 0) {
		nx_rpc_call_free(call);
		nx_rpc_cap_unref(log_sink_cap(sink));
		/* -EINVAL: a bad value (--level loud, --since x) */
		return r == -EINVAL ? usage(stderr, 2) : nxt_report("follow", r);
	}
	r = log_follow_send_wait(call, nexus_deadline(s->nx), &out);
	if (r < 0)
		r = nxt_report_call(s, call, r, "follow");
	nx_rpc_call_free(call);
	if (r == 0) {
		fprintf(stderr, "nx: following\n");
		nexus_set_gone_cb(s->nx, on_logd_gone, &t);
		r = nx_loop_run(s->loop);
		nexus_set_gone_cb(s->nx, NULL, NULL);
	}
	nx_rpc_cap_unref(log_sink_cap(sink));
	return r;
}

/* ---- stats ------------------------------------------------------------------------------- */

static void print_counters(log_counters st, bool json)
{
	const struct {
		const char *name;
		uint64_t v;
	} rows[] = {
	        {"records", log_counters_get_records(st)},
	        {"bytes_used", log_counters_get_bytes_used(st)},
	        {"capacity", log_counters_get_capacity(st)},
	        {"appended", log_counters_get_appended(st)},
	        {"evicted", log_counters_get_evicted(st)},
	        {"dropped", log_counters_get_dropped(st)},
	        {"rejected", log_counters_get_rejected(st)},
	        {"oldest_id", log_counters_get_oldest_id(st)},
	        {"newest_id", log_counters_get_newest_id(st)},
	        {"next_id", log_counters_get_next_id(st)},
	        {"subjects_tracked", log_counters_get_subjects_tracked(st)},
	        {"clients", log_counters_get_clients(st)},
	        {"followers", log_counters_get_followers(st)},
	        {"torn", log_counters_get_torn(st)},
	};
	const char *boot_id = "";
	size_t boot_id_len = 0;
	nx_capnp_list top = {0};

	(void)log_counters_get_top(st, &top); /* results are validated */
	(void)log_counters_get_boot_id(st, &boot_id, &boot_id_len);
	if (json) {
		printf("{\"boot_id\":");
		nxt_json_string(boot_id, boot_id_len);
	} else {
		printf("%-17s %.*s\n", "boot_id", (int)boot_id_len, boot_id);
	}
	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		if (json)
			printf(",\"%s\":%" PRIu64, rows[i].name, rows[i].v);
		else
			printf("%-17s %" PRIu64 "\n", rows[i].name, rows[i].v);
	}
	if (json)
		printf(",\"top_dropped\":[");
	for (uint32_t i = 0; i < top.count; i++) {
		log_subject_drops e = log_subject_drops_at(&top, i);
		const char *subj = "";
		size_t len = 0;

		(void)log_subject_drops_get_subject(e, &subj, &len);
		if (json) {
			printf("%s{\"subject\":", i ? "," : "");
			nxt_json_string(subj, len);
			printf(",\"dropped\":%" PRIu64 "}", log_subject_drops_get_dropped(e));
		} else {
			printf("dropped_by        %.*s %" PRIu64 "\n", (int)len, subj,
			        log_subject_drops_get_dropped(e));
		}
	}
	if (json)
		printf("]}\n");
}

static int cmd_stats(struct nxt_session *s, bool json)
{
	log_stats_results out;
	nx_rpc_call *call;
	int r;

	r = nxt_session_open(s, "logd");
	if (r)
		return r;
	r = log_stats_wait(log_from_cap(s->svc), nexus_deadline(s->nx), &call, &out);
	if (r < 0)
		r = nxt_report_call(s, call, r, "stats");
	else
		print_counters(log_stats_results_get_stats(out), json);
	nx_rpc_call_free(call);
	return r;
}

int nx_cmd_log(int argc, char **argv)
{
	struct nxt_session s = {0};
	int r;

	if (argc < 2)
		return usage(stderr, 2);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)
		return usage(stdout, 0);
	if (strcmp(argv[1], "append") == 0)
		r = cmd_append(&s, argc - 2, argv + 2);
	else if (strcmp(argv[1], "query") == 0)
		r = cmd_query(&s, argc - 2, argv + 2);
	else if (strcmp(argv[1], "tail") == 0)
		r = cmd_tail(&s, argc - 2, argv + 2);
	else if (strcmp(argv[1], "stats") == 0 && argc == 2)
		r = cmd_stats(&s, false);
	else if (strcmp(argv[1], "stats") == 0 && argc == 3 && strcmp(argv[2], "--json") == 0)
		r = cmd_stats(&s, true);
	else
		return usage(stderr, 2);
	nxt_session_close(&s);
	return r;
}
