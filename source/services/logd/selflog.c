/* SPDX-License-Identifier: MIT */
/*
 * logd's own records: logd cannot resolve itself, so its nx-log sink appends straight into
 * its journal as svc:logd (the subject logd stamps for itself), with logd's clocks like any
 * other append. Followers hear of them from a deferred pump, never from inside a log call
 * (which may come from the middle of follow.c).
 */
#include <errno.h>

#include "logd.h"
#include "nx-abi/clock.h"
#include "nx-log/log.h"

#define LOGD_SELF_SUBJECT "svc:logd"

static void on_pump(nx_source *s, void *userdata)
{
	logd_followers_pump(userdata);
}

static int self_send(void *ctx, const struct nx_log_record *records, size_t n)
{
	struct logd *d = ctx;
	struct jrn_field fields[JRN_FIELDS_MAX];

	for (size_t i = 0; i < n; i++) {
		const struct nx_log_record *rec = &records[i];
		struct jrn_entry e = {
		        .level = (enum jrn_level)rec->level,
		        .scope = rec->scope,
		        .message = rec->message,
		        .fields = fields,
		        .n_fields = rec->n_fields,
		        .call_realtime_ns = rec->realtime_ns,
		};
		uint64_t id;

		for (size_t k = 0; k < rec->n_fields; k++) {
			fields[k].key = rec->fields[k].key;
			fields[k].value = rec->fields[k].value;
		}
		/* The facade already made the record one the journal accepts; a rate-limited one
		 * is counted and reported by the journal. Either way it is taken. */
		(void)jrn_append(d->journal, LOGD_SELF_SUBJECT, &e, nx_clock_realtime_ns(),
		        nx_clock_monotonic_ns(), &id);
	}
	if (d->self_pump)
		nx_source_enable(d->self_pump);
	return (int)n;
}

static const struct nx_log_sink self_ops = {
        .send = self_send,
};

int logd_selflog_start(struct logd *d)
{
	int r = nx_loop_add_defer(nx_svc_loop(d->svc), on_pump, d, &d->self_pump);

	if (r < 0)
		return r;
	nx_source_disable(d->self_pump);
	return nx_log_set_sink(&self_ops, d);
}

void logd_selflog_stop(struct logd *d)
{
	nx_log_set_sink(NULL, NULL);
	d->self_pump = nx_source_free(d->self_pump);
}
