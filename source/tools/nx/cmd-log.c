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

static int parse_level(const char *text, LogLevel *ret)
{
	for (uint16_t v = 0; v < LogLevel_COUNT; v++)
		if (strcmp(text, LogLevel_name(v)) == 0) {
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

static int cmd_append(struct nxt_session *s, int argc, char **argv)
{
	const nx_rpc_result *res;
	Log_append_Params_b params;
	Log_append_Results out;
	nx_rpc_call *call = NULL;
	nx_capnp_blist fields;
	LogEntry_b e;
	LogLevel level;
	int r, nf = argc - 3;

	if (argc < 3 || parse_level(argv[0], &level) < 0)
		return usage(stderr, 2);
	for (int i = 3; i < argc; i++)
		if (!strchr(argv[i], '='))
			return usage(stderr, 2);
	r = nxt_session_open(s, "logd");
	if (r)
		return r;
	r = Log_append_new(s->svc, &call, &params);
	if (r >= 0)
		r = Log_append_Params_init_entry(params, &e);
	if (r >= 0) {
		LogEntry_set_level(e, level);
		r = LogEntry_set_scope(e, argv[1], strlen(argv[1]));
	}
	if (r >= 0)
		r = LogEntry_set_message(e, argv[2], strlen(argv[2]));
	if (r >= 0 && nf > 0)
		r = LogEntry_init_fields(e, (uint32_t)nf, &fields);
	for (int i = 0; r >= 0 && i < nf; i++) {
		const char *kv = argv[3 + i], *eq = strchr(kv, '=');
		LogField_b f = LogField_b_at(&fields, (uint32_t)i);

		r = LogField_set_key(f, kv, (size_t)(eq - kv));
		if (r >= 0)
			r = LogField_set_value(f, eq + 1, strlen(eq + 1));
	}
	if (r < 0) {
		nx_rpc_call_free(call);
		return nxt_report("append", r, NULL);
	}
	r = nxt_call_wait(s, call, "append", &res);
	if (r == 0 && Log_append_results_checked(res, &out) < 0)
		r = nxt_report("append", -EBADMSG, NULL);
	if (r == 0)
		printf("%" PRIu64 "\n", Log_append_Results_get_id(out));
	nx_rpc_call_free(call);
	return r;
}

/* ---- query ------------------------------------------------------------------------------- */

static void print_record(LogRecord rec, bool json, bool first)
{
	const char *subject = "", *scope = "", *message = "";
	size_t slen = 0, sclen = 0, mlen = 0;
	uint64_t rt = LogRecord_get_realtime_ns(rec);
	const char *lvl = LogLevel_name(LogRecord_get_level(rec));
	nx_capnp_list fields = {0};

	LogRecord_get_subject(rec, &subject, &slen);
	LogRecord_get_scope(rec, &scope, &sclen);
	LogRecord_get_message(rec, &message, &mlen);
	if (LogRecord_get_fields(rec, &fields) < 0)
		fields.count = 0;
	if (!lvl)
		lvl = "?";
	if (json) {
		printf("%s{\"id\":%" PRIu64 ",\"realtime_ns\":%" PRIu64 ",\"monotonic_ns\":%" PRIu64
		       ",\"level\":\"%s\",\"subject\":",
		        first ? "" : ",", LogRecord_get_id(rec), rt,
		        LogRecord_get_monotonic_ns(rec), lvl);
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
		printf("%" PRIu64 " %s.%03uZ %s %.*s %.*s: %.*s", LogRecord_get_id(rec), when,
		        (unsigned)(rt / 1000000u % 1000u), lvl, (int)slen, subject, (int)sclen,
		        scope, (int)mlen, message);
	}
	for (uint32_t i = 0; i < fields.count; i++) {
		LogField f = LogField_at(&fields, i);
		const char *k = "", *v = "";
		size_t klen = 0, vlen = 0;

		LogField_get_key(f, &k, &klen);
		LogField_get_value(f, &v, &vlen);
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
 * size within the file), mapped read-only, parsed and validated as a LogQueryPage. */
static int read_vmo_records(nx_rpc_call *call, VmoRef ref, struct nx_vmo_map *map,
        nx_capnp_reader *rd, struct nx_capnp_seg *segs, nx_capnp_list *ret)
{
	uint64_t claimed = VmoRef_get_size(ref);
	nx_rpc_cap *cap = NULL;
	LogQueryPage page;
	uint32_t index, nsegs;
	size_t bytes;
	int r;

	r = VmoRef_get_vmo(ref, &index);
	if (r >= 0)
		r = nx_rpc_call_result_cap(call, index, &cap);
	if (r >= 0)
		r = nx_vmo_map_ro(nx_rpc_cap_peek_fd(cap), LOG_QUERY_VMO_MAX_BYTES, false, map);
	nx_rpc_cap_unref(cap); /* the map stays valid without the fd */
	if (r >= 0 && claimed > map->size)
		r = -EINVAL;
	if (r >= 0)
		r = nx_capnp_frame_parse(map->addr, (size_t)claimed, LOG_QUERY_VMO_MAX_BYTES, segs,
		        NX_CAPNP_MAX_SEGMENTS, &nsegs, &bytes);
	if (r >= 0) {
		nx_capnp_reader_init(rd, segs, nsegs);
		r = LogQueryPage_read_root(rd, &page);
	}
	if (r >= 0)
		r = LogQueryPage_validate(&page.s);
	if (r >= 0)
		r = LogQueryPage_get_records(page, ret);
	return r < 0 ? r : 0;
}

/* Fills `f` from the filter options; --max (query) / --count (tail) go to *ret_n, --json to
 * *ret_json. -EINVAL for an unknown option or a bad value (usage). */
static int filter_parse(
        int argc, char **argv, LogFilter_b f, const char *n_opt, uint64_t *ret_n, bool *ret_json)
{
	int r = 0;

	*ret_json = false;
	for (int i = 0; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;
		LogLevel lvl;

		if (strcmp(opt, "--json") == 0) {
			*ret_json = true;
			continue;
		}
		if (!val)
			return -EINVAL;
		i++;
		if (strcmp(opt, "--since") == 0 && parse_u64(val, &n) == 0)
			LogFilter_set_since_id(f, n);
		else if (strcmp(opt, "--level") == 0 && parse_level(val, &lvl) == 0)
			LogFilter_set_min_level(f, lvl);
		else if (strcmp(opt, n_opt) == 0 && parse_u64(val, &n) == 0 && n <= UINT32_MAX)
			*ret_n = n;
		else if (strcmp(opt, "--subject") == 0)
			r = LogFilter_set_subject(f, val, strlen(val));
		else if (strcmp(opt, "--scope") == 0)
			r = LogFilter_set_scope(f, val, strlen(val));
		else if (strcmp(opt, "--grep") == 0)
			r = LogFilter_set_contains(f, val, strlen(val));
		else
			return -EINVAL;
		if (r < 0)
			return r;
	}
	return 0;
}

static int query_parse(int argc, char **argv, Log_query_Params_b params, bool *ret_json)
{
	uint64_t max = 0;
	LogFilter_b f;
	int r = Log_query_Params_init_filter(params, &f);

	if (r >= 0)
		r = filter_parse(argc, argv, f, "--max", &max, ret_json);
	if (r >= 0)
		Log_query_Params_set_max(params, (uint32_t)max);
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

static int cmd_query(struct nxt_session *s, int argc, char **argv)
{
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	const nx_rpc_result *res;
	Log_query_Params_b params;
	Log_query_Results out;
	struct nx_vmo_map map = {0};
	nx_capnp_reader rd;
	nx_capnp_list list = {0};
	nx_rpc_call *call = NULL;
	bool json = false, via_vmo = false;
	int r;

	if (filter_check_args(argc, argv, "--max") < 0)
		return usage(stderr, 2);
	r = nxt_session_open(s, "logd");
	if (r)
		return r;
	r = Log_query_new(s->svc, &call, &params);
	if (r >= 0)
		r = query_parse(argc, argv, params, &json);
	if (r == -EINVAL) {
		nx_rpc_call_free(call);
		return usage(stderr, 2); /* a bad value: --level loud, --since x */
	}
	if (r < 0) {
		nx_rpc_call_free(call);
		return nxt_report("query", r, NULL);
	}
	r = nxt_call_wait(s, call, "query", &res);
	if (r == 0 && Log_query_results_checked(res, &out) < 0)
		r = nxt_report("query", -EBADMSG, NULL);
	if (r == 0 && Log_query_Results_has_vmo(out)) {
		via_vmo = true;
		r = read_vmo_records(call, Log_query_Results_get_vmo(out), &map, &rd, segs, &list);
		if (r < 0)
			r = nxt_report("query: vmo", r, NULL);
	} else if (r == 0 && Log_query_Results_get_records(out, &list) < 0) {
		r = nxt_report("query", -EBADMSG, NULL);
	}
	if (r == 0) {
		if (json)
			printf("{\"transport\":\"%s\",\"records\":[", via_vmo ? "vmo" : "inline");
		for (uint32_t i = 0; i < list.count; i++)
			print_record(LogRecord_at(&list, i), json, i == 0);
		if (json)
			printf("],\"next_cursor\":%" PRIu64 ",\"more\":%s,\"missed\":%" PRIu64
			       "}\n",
			        Log_query_Results_get_next_cursor(out),
			        Log_query_Results_get_more(out) ? "true" : "false",
			        Log_query_Results_get_missed(out));
		else if (Log_query_Results_get_more(out))
			fprintf(stderr, "nx: more records: --since %" PRIu64 "\n",
			        Log_query_Results_get_next_cursor(out));
		if (!json && Log_query_Results_get_missed(out))
			fprintf(stderr, "nx: %" PRIu64 " records evicted before they were read\n",
			        Log_query_Results_get_missed(out));
	}
	nx_vmo_unmap(&map);
	nx_rpc_call_free(call);
	return r;
}

/* ---- tail -------------------------------------------------------------------------------- */

struct tail {
	nx_loop *loop;
	uint64_t seen, want; /* want 0: until interrupted */
	bool json;
};

static int sink_records(void *impl, nx_rpc_incoming *in, LogSink_records_Params params)
{
	struct tail *t = impl;
	nx_capnp_list list;

	if (LogSink_records_Params_get_records(params, &list) < 0)
		return -EBADMSG;
	if (LogSink_records_Params_get_missed(params))
		(void)fprintf(stderr, "nx: missed %llu records (evicted before they reached us)\n",
		        (unsigned long long)LogSink_records_Params_get_missed(params));
	for (uint32_t i = 0; i < list.count && (!t->want || t->seen < t->want); i++, t->seen++) {
		print_record(LogRecord_at(&list, i), t->json, true);
		if (t->json)
			putchar('\n');
	}
	nx_rpc_incoming_return(in);
	if (t->want && t->seen >= t->want)
		nx_loop_quit(t->loop, 0);
	return 0;
}

static const struct LogSink_server sink_server = {
        .records = sink_records,
};

static void on_logd_gone(nexus *nx, const char *name, int error, void *userdata)
{
	struct tail *t = userdata;

	fprintf(stderr, "nx: unavailable: logd closed the channel: %s\n", strerror(-error));
	nx_loop_quit(t->loop, 1);
}

static int cmd_tail(struct nxt_session *s, int argc, char **argv)
{
	const nx_rpc_result *res;
	Log_follow_Params_b params;
	struct tail t = {0};
	nx_rpc_call *call = NULL;
	nx_rpc_cap *sink = NULL;
	LogFilter_b f;
	uint32_t index;
	int r;

	if (filter_check_args(argc, argv, "--count") < 0)
		return usage(stderr, 2);
	r = nxt_session_open(s, "logd");
	if (r)
		return r;
	t.loop = s->loop;
	r = LogSink_server_new(&sink_server, &t, NULL, &sink);
	if (r >= 0)
		r = Log_follow_new(s->svc, &call, &params);
	if (r >= 0)
		r = Log_follow_Params_init_filter(params, &f);
	if (r >= 0)
		r = filter_parse(argc, argv, f, "--count", &t.want, &t.json);
	if (r == -EINVAL) {
		nx_rpc_call_free(call);
		nx_rpc_cap_unref(sink);
		return usage(stderr, 2);
	}
	if (r >= 0)
		r = nx_rpc_call_add_cap(call, sink, &index);
	if (r >= 0)
		r = Log_follow_Params_set_sink(params, index);
	if (r < 0) {
		nx_rpc_call_free(call);
		nx_rpc_cap_unref(sink);
		return nxt_report("follow", r, NULL);
	}
	r = nxt_call_wait(s, call, "follow", &res);
	nx_rpc_call_free(call);
	if (r == 0) {
		fprintf(stderr, "nx: following\n");
		nexus_set_gone_cb(s->nx, on_logd_gone, &t);
		r = nx_loop_run(s->loop);
		nexus_set_gone_cb(s->nx, NULL, NULL);
	}
	nx_rpc_cap_unref(sink);
	return r;
}

/* ---- stats ------------------------------------------------------------------------------- */

static int cmd_stats(struct nxt_session *s, bool json)
{
	const nx_rpc_result *res;
	Log_stats_Params_b params;
	Log_stats_Results out;
	nx_rpc_call *call = NULL;
	nx_capnp_list top = {0};
	LogStats st;
	int r;

	r = nxt_session_open(s, "logd");
	if (r)
		return r;
	r = Log_stats_new(s->svc, &call, &params);
	if (r < 0)
		return nxt_report("stats", r, NULL);
	r = nxt_call_wait(s, call, "stats", &res);
	if (r == 0 && Log_stats_results_checked(res, &out) < 0)
		r = nxt_report("stats", -EBADMSG, NULL);
	if (r == 0) {
		struct {
			const char *name;
			uint64_t v;
		} rows[] = {
		        {"records", 0},
		        {"bytes_used", 0},
		        {"capacity", 0},
		        {"appended", 0},
		        {"evicted", 0},
		        {"dropped", 0},
		        {"rejected", 0},
		        {"oldest_id", 0},
		        {"newest_id", 0},
		        {"next_id", 0},
		        {"subjects_tracked", 0},
		        {"clients", 0},
		        {"followers", 0},
		};

		st = Log_stats_Results_get_stats(out);
		rows[0].v = LogStats_get_records(st);
		rows[1].v = LogStats_get_bytes_used(st);
		rows[2].v = LogStats_get_capacity(st);
		rows[3].v = LogStats_get_appended(st);
		rows[4].v = LogStats_get_evicted(st);
		rows[5].v = LogStats_get_dropped(st);
		rows[6].v = LogStats_get_rejected(st);
		rows[7].v = LogStats_get_oldest_id(st);
		rows[8].v = LogStats_get_newest_id(st);
		rows[9].v = LogStats_get_next_id(st);
		rows[10].v = LogStats_get_subjects_tracked(st);
		rows[11].v = LogStats_get_clients(st);
		rows[12].v = LogStats_get_followers(st);
		if (LogStats_get_top(st, &top) < 0)
			top.count = 0;
		if (json)
			putchar('{');
		for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
			if (json)
				printf("%s\"%s\":%" PRIu64, i ? "," : "", rows[i].name, rows[i].v);
			else
				printf("%-17s %" PRIu64 "\n", rows[i].name, rows[i].v);
		}
		if (json)
			printf(",\"top_dropped\":[");
		for (uint32_t i = 0; i < top.count; i++) {
			LogSubjectDrops e = LogSubjectDrops_at(&top, i);
			const char *subj = "";
			size_t len = 0;

			LogSubjectDrops_get_subject(e, &subj, &len);
			if (json) {
				printf("%s{\"subject\":", i ? "," : "");
				nxt_json_string(subj, len);
				printf(",\"dropped\":%" PRIu64 "}", LogSubjectDrops_get_dropped(e));
			} else {
				printf("dropped_by        %.*s %" PRIu64 "\n", (int)len, subj,
				        LogSubjectDrops_get_dropped(e));
			}
		}
		if (json)
			printf("]}\n");
	}
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
