/* SPDX-License-Identifier: MIT */
/*
 * nx log: the journal (logd, log.capnp) through samgrd, as uid:<your uid>, with journalctl's
 * options. `query` and `tail` share one option set (tail = query --follow); records print in
 * log-print.c's formats.
 *
 * Time options become logd's filter: a cursor (a record id) as sinceId/untilId, a time as
 * the monotonic window logd keeps (this host's CLOCK_MONOTONIC is logd's). Following survives
 * logd restarting: nx resolves it again, asks what it missed and follows on from its cursor.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "log-print.h"
#include "log.capnp.h"
#include "nx-abi/clock.h"
#include "nx-abi/pager.h"
#include "nx-abi/vmo.h"
#include "nx-util/macro.h"

int nx_cmd_log(int argc, char **argv);
extern const struct nxt_group nx_group_log;

/* The pager when neither $NEXUS_PAGER nor $PAGER says: less, which quits at once when the
 * output fits one screen (-F), passes colours (-R) and leaves the screen as it was (-X); cat
 * where less is not installed, so the output is never lost. */
#define DEFAULT_PAGER "command -v less >/dev/null && exec less -FRX || exec cat"

/* How long a follower waits between attempts to reach logd again after it went away. */
#define RECONNECT_PAUSE_NS (200u * 1000u * 1000u)

/* What query and tail are asked (the shared option set). */
struct logopts {
	const char *cmd; /* "log query" / "log tail", for usage errors */
	uint64_t since_id, until_id, since_ns, until_ns;
	bool since_set, until_set; /* a time window was asked (since_ns may be 0: from boot) */
	uint64_t lines;            /* -n: the newest N (UINT64_MAX: not asked) */
	uint64_t max;              /* --max: stop after N records (0: no limit) */
	const char *subject, *scope, *grep;
	char unit_subject[80];
	log_level min_level;
	bool ignore_case, follow, no_pager;
	enum nxt_log_format format;
	/* While running */
	uint64_t printed;
	uint64_t cursor; /* the id after the last record printed; 0: none printed yet */
	bool colour;
};

/* ---- Times and cursors ---- */

/* "-10min", "-2h", "-30s", "-1d" (also "+..." and bare "10min"): ns from now into *ret. */
static int parse_relative(const char *text, int64_t *ret)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {{"us", 1000ull}, {"ms", 1000000ull}, {"s", 1000000000ull},
	        {"sec", 1000000000ull}, {"m", 60000000000ull}, {"min", 60000000000ull},
	        {"h", 3600000000000ull}, {"hour", 3600000000000ull}, {"d", 86400000000000ull},
	        {"day", 86400000000000ull}};
	int sign = *text == '-' ? -1 : 1;
	unsigned long long n;
	char *end;

	if (*text == '-' || *text == '+')
		text++;
	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno || n > 100000000ull)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(units); i++)
		if (strcmp(end, units[i].unit) == 0) {
			*ret = sign * (int64_t)(n * units[i].ns);
			return 0;
		}
	return -EINVAL;
}

/* ISO 8601 "2026-12-03T11:49:44[.123][Z|+01:00]" (or a space for T; the date alone is
 * midnight; no zone: local time) into realtime ns. */
static int parse_iso(const char *text, uint64_t *ret)
{
	static const char *const forms[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
	        "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"};
	struct tm tm;
	const char *rest = NULL;
	uint64_t frac_ns = 0, scale = 100000000u;
	int64_t offset = 0;
	bool utc = false;
	time_t t;

	for (size_t i = 0; i < ELEMENTSOF(forms) && !rest; i++) {
		memset(&tm, 0, sizeof(tm));
		rest = strptime(text, forms[i], &tm);
	}
	if (!rest)
		return -EINVAL;
	if (*rest == '.')
		for (rest++; *rest >= '0' && *rest <= '9'; rest++, scale /= 10)
			frac_ns += (uint64_t)(*rest - '0') * scale;
	if (*rest == 'Z') {
		utc = true;
		rest++;
	} else if ((*rest == '+' || *rest == '-') && strlen(rest) == 6 && rest[3] == ':') {
		int hh = (rest[1] - '0') * 10 + (rest[2] - '0'),
		    mm = (rest[4] - '0') * 10 + (rest[5] - '0');

		utc = true;
		offset = (*rest == '-' ? -1 : 1) * (int64_t)(hh * 3600 + mm * 60);
		rest += 6;
	}
	if (*rest)
		return -EINVAL;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1 || (int64_t)t - offset < 0)
		return -EINVAL;
	*ret = (uint64_t)((int64_t)t - offset) * 1000000000u + frac_ns;
	return 0;
}

/* The monotonic time logd stamped on records of realtime `real_ns` (0 for before boot). */
static uint64_t monotonic_at(uint64_t real_ns)
{
	uint64_t mono = nx_clock_monotonic_ns(), real = nx_clock_realtime_ns();

	if (real_ns >= real)
		return mono + (real_ns - real);
	return real - real_ns >= mono ? 0 : mono - (real - real_ns);
}

/* --since / --until VALUE: a cursor (digits: a record id) or a time ("now", relative,
 * ISO 8601). 0 or the usage error (2). */
static int parse_when(struct logopts *o, const char *opt, const char *text, bool since)
{
	uint64_t id, real;
	int64_t rel;

	if (text[0] >= '0' && text[0] <= '9' && strspn(text, "0123456789") == strlen(text)) {
		if (nxt_parse_u64(o->cmd, opt, text, 1, UINT64_MAX, &id) != 0)
			return NXT_EXIT_USAGE;
		*(since ? &o->since_id : &o->until_id) = id;
		return 0;
	}
	if (strcmp(text, "now") == 0)
		real = nx_clock_realtime_ns();
	else if (parse_relative(text, &rel) == 0)
		real = (uint64_t)((int64_t)nx_clock_realtime_ns() + rel);
	else if (parse_iso(text, &real) < 0)
		return nxt_usage_error(o->cmd,
		        "%s: '%s' is neither a cursor (a record id) nor a time (now, -10min, -2h, "
		        "2026-12-03T11:00:00, 2026-12-03 11:00:00Z)",
		        opt, text);
	if (since) {
		o->since_ns = monotonic_at(real);
		o->since_set = true;
	} else {
		/* logd's window is [since, until): an until before boot matches nothing. */
		o->until_ns = monotonic_at(real);
		if (o->until_ns == 0)
			o->until_ns = 1;
		o->until_set = true;
	}
	return 0;
}

/* ---- The option set ---- */

enum { OPT_SUBJECT = 256, OPT_SCOPE, OPT_SINCE, OPT_UNTIL, OPT_JSON, OPT_MAX, OPT_NO_PAGER };

static const struct option long_opts[] = {
        {"lines", required_argument, NULL, 'n'},
        {"since", required_argument, NULL, OPT_SINCE},
        {"until", required_argument, NULL, OPT_UNTIL},
        {"unit", required_argument, NULL, 'u'},
        {"subject", required_argument, NULL, OPT_SUBJECT},
        {"scope", required_argument, NULL, OPT_SCOPE},
        {"level", required_argument, NULL, 'p'},
        {"grep", required_argument, NULL, 'g'},
        {"ignore-case", no_argument, NULL, 'i'},
        {"follow", no_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"json", no_argument, NULL, OPT_JSON},
        {"max", required_argument, NULL, OPT_MAX},
        {"no-pager", no_argument, NULL, OPT_NO_PAGER},
        {NULL, 0, NULL, 0},
};

static const char filter_options[] = "-n --lines --since --until -u --unit --subject --scope "
                                     "-p --level -g --grep -i --ignore-case -f --follow -o "
                                     "--output --json --max --no-pager";

static const char filter_help[] =
        "Options (query and tail take the same):\n"
        "  -n, --lines N       the newest N records (at most 4096); tail: N records of "
        "backlog\n"
        "      --since WHEN    from a cursor (a record id) or a time: now, -10min, -2h, -1d,\n"
        "                      2026-12-03T11:00:00 (local), 2026-12-03 11:00:00Z, +01:00\n"
        "      --until WHEN    up to (not including) a cursor or a time\n"
        "  -u, --unit SVC      records of the service SVC (subject svc:SVC)\n"
        "      --subject S     records of subject S, or of a prefix ending in '*' (uid:*)\n"
        "      --scope S       records of scope S\n"
        "  -p, --level L       L or more severe: debug info notice warn error crit alert "
        "emerg\n"
        "  -g, --grep TEXT     the message contains TEXT; -i, --ignore-case: in any case\n"
        "  -f, --follow        go on printing records as they come (tail always does)\n"
        "  -o, --output FMT    short (default), short-iso, verbose, cat, json (one object a\n"
        "                      line), json-pretty; --json is -o json\n"
        "      --max N         stop after N records\n"
        "      --no-pager      no pager: a query on a terminal goes through $NEXUS_PAGER,\n"
        "                      else $PAGER, else less -FRX (which quits when it fits)\n"
        "Times print in local time: the time of the log call, else of logd's receipt.\n"
        "Control characters print as \\xNN and values are quoted as on the daemons' console.\n"
        "Needs log.query (and log.follow to follow).\n";

static int parse_level(const char *text, log_level *ret)
{
	for (log_level v = 0; v < LOG_LEVEL_COUNT; v++)
		if (strcmp(text, log_level_name(v)) == 0) {
			*ret = v;
			return 0;
		}
	return -EINVAL;
}

/* One option of the shared set: 0 or the usage error (2). */
static int opt_apply(struct logopts *o, int c, const char *val)
{
	switch (c) {
	case 'n':
		return nxt_parse_u64(o->cmd, "-n", val, 0, LOG_QUERY_MAX, &o->lines);
	case OPT_SINCE:
		return parse_when(o, "--since", val, true);
	case OPT_UNTIL:
		return parse_when(o, "--until", val, false);
	case 'u':
		if (!*val || strchr(val, ':'))
			return nxt_usage_error(o->cmd,
			        "-u: '%s' is not a service name (--subject "
			        "takes a subject)",
			        val);
		snprintf(o->unit_subject, sizeof(o->unit_subject), "svc:%s", val);
		o->subject = o->unit_subject;
		return 0;
	case OPT_SUBJECT:
		o->subject = val;
		return 0;
	case OPT_SCOPE:
		o->scope = val;
		return 0;
	case 'p':
		if (parse_level(val, &o->min_level) < 0)
			return nxt_usage_error(o->cmd,
			        "--level: '%s' is not a level (debug info notice warn error crit "
			        "alert emerg)",
			        val);
		return 0;
	case 'g':
		o->grep = val;
		return 0;
	case 'i':
		o->ignore_case = true;
		return 0;
	case 'f':
		o->follow = true;
		return 0;
	case 'o':
		if (nxt_log_format_parse(val, &o->format) < 0)
			return nxt_usage_error(o->cmd, "--output: '%s' is not one of %s", val,
			        nxt_log_format_names);
		return 0;
	case OPT_JSON:
		o->format = NXT_LOG_JSON;
		return 0;
	case OPT_MAX:
		return nxt_parse_u64(o->cmd, "--max", val, 1, UINT32_MAX, &o->max);
	case OPT_NO_PAGER:
	default:
		o->no_pager = true;
		return 0;
	}
}

static int opts_parse(struct logopts *o, int argc, char **argv)
{
	int c, r;

	o->lines = UINT64_MAX;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:n:u:p:g:ifo:", long_opts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return nxt_getopt_error(o->cmd, argv, c);
		r = opt_apply(o, c, optarg);
		if (r)
			return r;
	}
	if (optind < argc)
		return nxt_usage_error(o->cmd, "unexpected argument '%s'", argv[optind]);
	if (o->since_id && o->since_set)
		return nxt_usage_error(o->cmd, "--since: a cursor or a time, not both");
	if (o->ignore_case && !o->grep)
		return nxt_usage_error(o->cmd, "-i needs --grep");
	o->colour = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") &&
	            (o->format == NXT_LOG_SHORT || o->format == NXT_LOG_SHORT_ISO);
	return 0;
}

/* The filter of the options, from cursor `since_id`. */
static int filter_fill(const struct logopts *o, log_filter_b f, uint64_t since_id)
{
	int r = 0;

	log_filter_set_since_id(f, since_id);
	log_filter_set_until_id(f, o->until_id);
	log_filter_set_since_ns(f, o->since_ns);
	log_filter_set_until_ns(f, o->until_ns);
	log_filter_set_min_level(f, o->min_level);
	log_filter_set_ignore_case(f, o->ignore_case);
	if (o->subject)
		r = log_filter_set_subject(f, o->subject, strlen(o->subject));
	if (r >= 0 && o->scope)
		r = log_filter_set_scope(f, o->scope, strlen(o->scope));
	if (r >= 0 && o->grep)
		r = log_filter_set_contains(f, o->grep, strlen(o->grep));
	return r;
}

/* Prints records[0..n) up to --max; true once --max is reached. */
static bool print_list(struct logopts *o, const nx_capnp_list *list)
{
	for (uint32_t i = 0; i < list->count; i++) {
		log_record rec = log_record_at(list, i);

		if (o->max && o->printed >= o->max)
			return true;
		nxt_log_print(rec, o->format, o->colour);
		o->printed++;
		o->cursor = log_record_get_id(rec) + 1;
	}
	return o->max && o->printed >= o->max;
}

/* ---- Query ---- */

/* The records of a query VMO: checked (sealed, size within logQueryVmoMaxBytes, the claimed
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

/* One page of the query from `since_id` (newest: the last `n` matches), printed; *ret_more:
 * another page follows at *ret_next; *ret_missed: records evicted before the cursor reached
 * them. 0, or -errno with the reason in nexus_last_error (the caller reports it). */
static int query_page(struct nxt_session *s, struct logopts *o, uint64_t since_id, uint32_t n,
        bool newest, bool *ret_more, uint64_t *ret_next, uint64_t *ret_missed)
{
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	struct nx_vmo_map map = {0};
	log_query_params_b params;
	log_query_results out;
	nx_capnp_list list = {0};
	nx_capnp_reader rd;
	nx_rpc_call *call = NULL;
	log_filter_b f;
	int r;

	r = log_query_start(log_from_cap(s->svc), &call, &params);
	if (r >= 0)
		r = log_query_params_init_filter(params, &f);
	if (r >= 0)
		r = filter_fill(o, f, since_id);
	if (r >= 0) {
		log_query_params_set_max(params, n);
		log_query_params_set_newest(params, newest);
		r = log_query_send_wait(call, nexus_deadline(s->nx), &out);
	}
	if (r >= 0 && log_query_results_has_vmo(out))
		r = read_vmo_records(log_query_results_get_vmo(out), &map, &rd, segs, &list);
	else if (r >= 0 && log_query_results_get_records(out, &list) < 0)
		r = -EBADMSG;
	if (r < 0) {
		(void)nexus_call_failed(s->nx, call, r, "query");
	} else {
		*ret_more = !print_list(o, &list) && log_query_results_get_more(out);
		*ret_next = log_query_results_get_next_cursor(out);
		*ret_missed = log_query_results_get_missed(out);
	}
	nx_vmo_unmap(&map);
	nx_rpc_call_free(call);
	return r < 0 ? r : 0;
}

/* Every match from cursor `since_id` (or the newest -n of the options), page after page, up to
 * --max. Leaves o->cursor where a follower goes on from; *ret_missed: records evicted before
 * they were read. 0, or -errno as query_page. */
static int query_from(struct nxt_session *s, struct logopts *o, uint64_t since_id, bool newest,
        uint64_t *ret_missed)
{
	uint64_t next = since_id, missed = 0;
	bool more = false;
	int r;

	*ret_missed = 0;
	do {
		uint32_t n = newest ? (uint32_t)o->lines : 0;

		if (!newest && o->max && o->max - o->printed < LOG_QUERY_MAX)
			n = (uint32_t)(o->max - o->printed);
		r = query_page(s, o, next, n, newest, &more, &next, &missed);
		if (r < 0)
			return r;
		*ret_missed += missed;
	} while (more && !newest);
	if (next > o->cursor)
		o->cursor = next;
	return 0;
}

/* What the options ask before any following. 0, or reported and 1. */
static int query_initial(struct nxt_session *s, struct logopts *o)
{
	bool newest = o->lines != UINT64_MAX;
	uint64_t missed;

	if (newest && o->lines == 0)
		return 0; /* only what comes: the follower starts at the next record */
	if (query_from(s, o, o->since_id, newest, &missed) < 0)
		return nxt_report_last(s->nx);
	if (missed)
		fprintf(stderr, "nx: %" PRIu64 " records were evicted before they were read\n",
		        missed);
	return 0;
}

/* ---- Follow ---- */

struct tail {
	struct logopts *o;
	nx_loop *loop;
	int status; /* why the loop quit: 0 --max reached, 1 logd went away */
};

static int serve_records(void *impl, nx_rpc_incoming *in, log_sink_records_params params)
{
	struct tail *t = impl;
	uint64_t missed = log_sink_records_params_get_missed(params);
	nx_capnp_list list = {0};

	(void)log_sink_records_params_get_records(params, &list); /* validated already */
	if (missed)
		fprintf(stderr, "nx: missed %" PRIu64 " records (evicted before they reached us)\n",
		        missed);
	if (print_list(t->o, &list)) {
		t->status = 0;
		nx_loop_quit(t->loop, 0);
	}
	return nx_rpc_incoming_return(in);
}

static const struct log_sink_server sink_vt = {
        .records = serve_records,
};

static void on_logd_gone(nexus *nx, const char *name, int error, void *userdata)
{
	struct tail *t = userdata;

	t->status = 1;
	nx_loop_quit(t->loop, 1);
}

/* Registers a follower from o->cursor (0: from the next record). 0, or -errno with the
 * reason in nexus_last_error (not yet reported: the caller decides). */
static int follow_start(struct nxt_session *s, struct tail *t)
{
	log_follow_params_b params;
	log_follow_results out;
	struct log_sink *sink = NULL;
	nx_rpc_call *call = NULL;
	log_filter_b f;
	int r;

	r = log_sink_server_new(&sink_vt, t, NULL, &sink);
	if (r >= 0)
		r = log_follow_start(log_from_cap(s->svc), &call, &params);
	if (r >= 0)
		r = log_follow_params_init_filter(params, &f);
	if (r >= 0)
		r = filter_fill(t->o, f, t->o->cursor);
	if (r >= 0)
		r = log_follow_params_set_sink(params, sink); /* the call holds its own reference */
	if (r >= 0)
		r = log_follow_send_wait(call, nexus_deadline(s->nx), &out);
	if (r < 0)
		(void)nexus_call_failed(s->nx, call, r, "follow");
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(log_sink_cap(sink)); /* logd holds the sink now, on our connection */
	return r;
}

static void pause_ns(uint64_t ns)
{
	struct timespec ts = {
	        .tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* logd went away while following: resolve it again until it is back, then catch up from the
 * cursor and say how many records were missed (logd counts the ones evicted past the cursor;
 * a journal that started over makes the cursor name nothing, and nx goes on from its start).
 * 0, or reported and 1. */
static int follow_reconnect(struct nxt_session *s, struct logopts *o)
{
	uint64_t missed = 0;
	int r;

	fprintf(stderr, "nx: logd went away; waiting for it to come back\n");
	nx_rpc_cap_unref(s->svc);
	s->svc = NULL;
	while (nexus_resolve(s->nx, "logd", &s->svc) < 0)
		pause_ns(RECONNECT_PAUSE_NS);
	if (!o->cursor)
		o->cursor = 1; /* nothing printed yet: everything of the journal as it is now */
	r = query_from(s, o, o->cursor, false, &missed);
	if (r == -EINVAL) {
		fprintf(stderr,
		        "nx: logd's journal started over; records after id %" PRIu64
		        " that were not sent are lost\n",
		        o->cursor - 1);
		o->cursor = 1;
		r = query_from(s, o, o->cursor, false, &missed);
	}
	if (r < 0)
		return nxt_report_last(s->nx);
	fprintf(stderr, "nx: reconnected to logd; missed %" PRIu64 " records\n", missed);
	return 0;
}

static int follow(struct nxt_session *s, struct logopts *o)
{
	struct tail t = {.o = o, .loop = s->loop};
	int r;

	for (;;) {
		r = follow_start(s, &t);
		if (r < 0)
			return nxt_report_last(s->nx);
		fprintf(stderr, "nx: following\n");
		nexus_set_gone_cb(s->nx, on_logd_gone, &t);
		t.status = 0;
		(void)nx_loop_run(s->loop);
		nexus_set_gone_cb(s->nx, NULL, NULL);
		if (t.status == 0)
			return 0; /* --max reached */
		r = follow_reconnect(s, o);
		if (r)
			return r;
	}
}

/* A query's records on a terminal go through a pager (following never does: it never ends).
 * -1: none (not a terminal, --no-pager, or the pager would not start). */
static int pager_start(const struct logopts *o)
{
	const char *cmd = getenv("NEXUS_PAGER");
	int pidfd;

	if (o->follow || o->no_pager || !isatty(STDOUT_FILENO))
		return -1;
	if (!cmd || !*cmd)
		cmd = getenv("PAGER");
	if (!cmd || !*cmd)
		cmd = DEFAULT_PAGER;
	if (strcmp(cmd, "cat") == 0)
		return -1;
	fflush(stdout);
	return nx_pager_start(cmd, &pidfd) < 0 ? -1 : pidfd;
}

static int run(struct logopts *o)
{
	struct nxt_session s = {0};
	int pager = -1, r = nxt_session_open(&s, "logd");

	if (r == 0)
		pager = pager_start(o);
	if (r == 0)
		r = query_initial(&s, o);
	if (r == 0 && o->follow && !(o->max && o->printed >= o->max))
		r = follow(&s, o);
	if (pager >= 0) {
		fflush(stdout);
		nx_pager_end(pager);
	}
	nxt_session_close(&s);
	return r;
}

static int cmd_query(int argc, char **argv)
{
	struct logopts o = {.cmd = "log query"};
	int r = opts_parse(&o, argc, argv);

	return r ? r : run(&o);
}

static int cmd_tail(int argc, char **argv)
{
	struct logopts o = {.cmd = "log tail"};
	int r = opts_parse(&o, argc, argv);

	if (r)
		return r;
	o.follow = true;
	/* tail without -n or --since starts at the next record; with them, from that backlog. */
	if (o.lines == UINT64_MAX && !o.since_id && !o.since_set)
		o.lines = 0;
	return run(&o);
}

/* ---- append ---- */

/* The entry of an append: LEVEL SCOPE MESSAGE [KEY=VALUE...] (checked by the caller). */
static int entry_build(log_entry_b e, log_level level, int argc, char **argv)
{
	nx_capnp_blist fields;
	int r, nf = argc - 4;

	log_entry_set_level(e, level);
	log_entry_set_call_realtime_ns(e, nx_clock_realtime_ns());
	r = log_entry_set_scope(e, argv[2], strlen(argv[2]));
	if (r >= 0)
		r = log_entry_set_message(e, argv[3], strlen(argv[3]));
	if (r >= 0 && nf > 0)
		r = log_entry_init_fields(e, (uint32_t)nf, &fields);
	for (int i = 0; r >= 0 && i < nf; i++) {
		const char *kv = argv[4 + i], *eq = strchr(kv, '=');
		log_field_b f = log_field_b_at(&fields, (uint32_t)i);

		r = log_field_set_key(f, kv, (size_t)(eq - kv));
		if (r >= 0)
			r = log_field_set_value(f, eq + 1, strlen(eq + 1));
	}
	return r;
}

/* Limits (message length, field count, key syntax) are logd's to refuse: its reason names
 * the field ("too_large: entry.message: longer than 1024 bytes"). */
static int cmd_append(int argc, char **argv)
{
	struct nxt_session s = {0};
	log_append_params_b params;
	log_append_results out;
	nx_rpc_call *call = NULL;
	log_entry_b e;
	log_level level;
	int r;

	if (argc < 4)
		return nxt_usage_error("log append", "needs LEVEL SCOPE MESSAGE");
	if (parse_level(argv[1], &level) < 0)
		return nxt_usage_error("log append",
		        "LEVEL: '%s' is not a level (debug info notice warn error crit alert emerg)",
		        argv[1]);
	for (int i = 4; i < argc; i++)
		if (!strchr(argv[i], '='))
			return nxt_usage_error("log append", "'%s' is not KEY=VALUE", argv[i]);
	r = nxt_session_open(&s, "logd");
	if (r == 0) {
		r = log_append_start(log_from_cap(s.svc), &call, &params);
		if (r >= 0)
			r = log_append_params_init_entry(params, &e);
		if (r >= 0)
			r = entry_build(e, level, argc, argv);
		if (r >= 0)
			r = log_append_send_wait(call, nexus_deadline(s.nx), &out);
		if (r < 0)
			r = nxt_report_call(&s, call, r, "append");
		else
			printf("%" PRIu64 "\n", log_append_results_get_id(out));
		nx_rpc_call_free(call);
	}
	nxt_session_close(&s);
	return r;
}

/* ---- stats ---- */

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

static int cmd_stats(int argc, char **argv)
{
	struct nxt_session s = {0};
	log_stats_results out;
	nx_rpc_call *call = NULL;
	bool json = false;
	int r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") != 0)
			return nxt_usage_error("log stats", "unknown argument '%s'", argv[i]);
		json = true;
	}
	r = nxt_session_open(&s, "logd");
	if (r == 0) {
		r = log_stats_wait(log_from_cap(s.svc), nexus_deadline(s.nx), &call, &out);
		if (r < 0)
			r = nxt_report_call(&s, call, r, "stats");
		else
			print_counters(log_stats_results_get_stats(out), json);
		nx_rpc_call_free(call);
	}
	nxt_session_close(&s);
	return r;
}

static const struct nxt_sub subs[] = {
        {"query", "[OPTIONS]", "records of the journal, oldest first (-f: then follow)",
                filter_help, filter_options, cmd_query},
        {"tail", "[OPTIONS]",
                "follow the journal from now (or a backlog: -n, --since); survives logd "
                "restarting",
                filter_help, filter_options, cmd_tail},
        {"append", "LEVEL SCOPE MESSAGE [KEY=VALUE...]",
                "append one record as your subject; prints its id (needs log.append)", "", "",
                cmd_append},
        {"stats", "[--json]", "the journal's counters (needs log.query)", "", "--json", cmd_stats},
};

const struct nxt_group nx_group_log = {
        .name = "log",
        .about = "The journal (logd): every record of every subject, with cursors (record ids).",
        .footer = "",
        .subs = subs,
        .n_subs = ELEMENTSOF(subs),
};

int nx_cmd_log(int argc, char **argv)
{
	return nxt_group_run(&nx_group_log, argc, argv);
}
