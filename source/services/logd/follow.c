/* SPDX-License-Identifier: MIT */
/*
 * logd's followers (Log.follow): each holds a LogSink, a filter (its texts copied) and a
 * cursor into the journal. logd_followers_pump() runs after every append and from the 1 s
 * timer; it sends what matched since the cursor as LogSink.records stream calls, as far as
 * the sink's stream window allows (a full window waits for the next pump: a slow follower
 * lags, it never makes logd buffer). A follower whose sink broke (its connection ended, a
 * stream call failed, the caller dropped it) is freed at the next pump.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "logd.h"

struct logd_follower {
	struct logd_follower *next;
	struct log_sink *sink;
	struct jrn_filter filter; /* texts point into text[] */
	uint64_t missed;          /* evicted before sent, not reported yet */
	char text[JRN_SUBJECT_MAX + 1 + JRN_SCOPE_MAX + 1 + JRN_MESSAGE_MAX + 1];
};

static struct logd_follower *follower_free(struct logd_follower *f)
{
	if (f) {
		nx_rpc_cap_unref(log_sink_cap(f->sink));
		free(f);
	}
	return NULL;
}

void logd_followers_free(struct logd *d)
{
	for (struct logd_follower *f = d->followers, *next; f; f = next) {
		next = f->next;
		follower_free(f);
	}
	d->followers = NULL;
	d->nfollowers = 0;
}

/* Copies `s` into the follower's text area at *pos. */
static const char *keep(struct logd_follower *f, size_t *pos, const char *s)
{
	char *dst;
	size_t len;

	if (!s)
		return NULL;
	len = strlen(s);
	dst = f->text + *pos;
	memcpy(dst, s, len + 1);
	*pos += len + 1;
	return dst;
}

int logd_follower_add(struct logd *d, const struct jrn_filter *filter, struct log_sink *sink)
{
	struct logd_follower *f = NULL;
	struct jrn_stats st;
	size_t pos = 0;
	int r = 0;

	if (d->nfollowers >= LOGD_FOLLOWERS_MAX)
		r = -EDQUOT;
	else if ((filter->subject && strlen(filter->subject) > JRN_SUBJECT_MAX) ||
	         (filter->scope && strlen(filter->scope) > JRN_SCOPE_MAX) ||
	         (filter->contains && strlen(filter->contains) > JRN_MESSAGE_MAX))
		r = -EMSGSIZE;
	else if (!(f = calloc(1, sizeof(*f))))
		r = -ENOMEM;
	if (r < 0) {
		nx_rpc_cap_unref(log_sink_cap(sink));
		return r;
	}
	f->filter = *filter;
	f->filter.subject = keep(f, &pos, filter->subject);
	f->filter.scope = keep(f, &pos, filter->scope);
	f->filter.contains = keep(f, &pos, filter->contains);
	if (!f->filter.since_id) { /* live: from the next record on */
		jrn_stats(d->journal, &st);
		f->filter.since_id = st.next_id;
	}
	f->sink = sink;
	f->next = d->followers;
	d->followers = f;
	d->nfollowers++;
	return 0;
}

/* Rough framed size of one record in a LogSink.records call (texts, NULs, padding, the
 * record struct and field structs, list tags). */
static size_t record_cost(const struct jrn_record *rec)
{
	size_t n = rec->subject_len + rec->scope_len + rec->message_len + 3 * 8 + 8 * 8 + 16;

	for (size_t i = 0; i < rec->n_fields; i++)
		n += strlen(rec->fields[i].key) + strlen(rec->fields[i].value) + 2 * 8 + 24;
	return n;
}

/* Sends the next run of matching records to one follower. Returns 1 if more may be sent
 * now, 0 when caught up or the window is full, or a negative errno when the sink is done. */
static int pump_one(struct logd *d, struct logd_follower *f)
{
	struct jrn_record recs[LOGD_FOLLOW_BATCH];
	log_sink_records_params_b params;
	struct jrn_query_result qr;
	nx_rpc_call *call = NULL;
	nx_capnp_blist list;
	size_t n = 0, bytes = 0;
	int r;

	if (nx_rpc_cap_is_broken(log_sink_cap(f->sink)))
		return -ECONNRESET;
	r = nx_rpc_stream_ready(log_sink_cap(f->sink));
	if (r <= 0)
		return r;
	r = jrn_query(d->journal, &f->filter, recs, LOGD_FOLLOW_BATCH, &qr);
	if (r < 0)
		return r;
	/* Whatever was evicted before the follower read it is gone: move on, and say how many
	 * with the next call. */
	f->missed += qr.missed;
	while (n < qr.count && bytes + record_cost(&recs[n]) <= LOGD_INLINE_MAX_BYTES)
		bytes += record_cost(&recs[n++]);
	if (n == 0 && qr.count > 0) {
		/* One record too large for a message on its own: skipped, not resent forever. */
		f->filter.since_id = recs[0].id + 1;
		return 1;
	}
	if (n == 0 && f->missed == 0) {
		f->filter.since_id = qr.next_cursor;
		return 0;
	}
	r = log_sink_records_start(f->sink, &call, &params);
	if (r >= 0)
		r = log_sink_records_params_init_records(params, (uint32_t)n, &list);
	if (r >= 0)
		log_sink_records_params_set_missed(params, f->missed);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = logd_record_encode(log_record_b_at(&list, (uint32_t)i), &recs[i]);
	if (r < 0) {
		nx_rpc_call_free(call);
		return r;
	}
	r = log_sink_records_send(call); /* consumes the call except on -EAGAIN */
	if (r == -EAGAIN) {
		nx_rpc_call_free(call);
		return 0;
	}
	if (r < 0)
		return r;
	f->missed = 0;
	f->filter.since_id = n ? recs[n - 1].id + 1 : qr.next_cursor;
	return n ? 1 : 0;
}

void logd_followers_pump(struct logd *d)
{
	struct logd_follower **p = &d->followers;

	while (*p) {
		struct logd_follower *f = *p;
		int r;

		do
			r = pump_one(d, f);
		while (r > 0);
		if (r < 0) {
			*p = f->next;
			d->nfollowers--;
			follower_free(f);
		} else {
			p = &f->next;
		}
	}
}
