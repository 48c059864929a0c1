/* SPDX-License-Identifier: MIT */
/* nexus-init's events to the journal. See events.h. */
#include "events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h" /* INIT_NAME_MAX */

/* Console lines are short; a record keeps this much of one. */
#define EVENT_MESSAGE_MAX 255u

struct event {
	log_level level;
	char service[INIT_NAME_MAX + 1]; /* "" : init itself */
	char message[EVENT_MESSAGE_MAX + 1];
};

struct init_events {
	struct event queue[INIT_EVENTS_QUEUE_MAX];
	unsigned head, n; /* oldest, count */
	unsigned long dropped, dropped_unsent;
	struct log *log;
};

int init_events_new(init_events **ret)
{
	init_events *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return -ENOMEM;
	*ret = ev;
	return 0;
}

init_events *init_events_free(init_events *ev)
{
	if (!ev)
		return NULL;
	nx_rpc_cap_unref(log_cap(ev->log));
	free(ev);
	return NULL;
}

static void copy_text(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Appends one event to the attached Log; the answer is not waited for. */
static int send_one(init_events *ev, const struct event *e)
{
	log_append_params_b params;
	nx_capnp_blist fields;
	nx_rpc_call *call = NULL;
	log_entry_b entry;
	log_field_b f;
	int r;

	r = log_append_start(ev->log, &call, &params);
	if (r >= 0)
		r = log_append_params_init_entry(params, &entry);
	if (r >= 0) {
		log_entry_set_level(entry, e->level);
		r = log_entry_set_scope(entry, "supervise", strlen("supervise"));
	}
	if (r >= 0)
		r = log_entry_set_message(entry, e->message, strlen(e->message));
	if (r >= 0 && e->service[0]) {
		r = log_entry_init_fields(entry, 1, &fields);
		f = log_field_b_at(&fields, 0);
		if (r >= 0)
			r = log_field_set_key(f, "service", strlen("service"));
		if (r >= 0)
			r = log_field_set_value(f, e->service, strlen(e->service));
	}
	if (r < 0) {
		nx_rpc_call_free(call);
		return r;
	}
	return log_append_send(call, NULL, NULL); /* takes the call */
}

/* Sends the queue, oldest first, and the drop count if any; stops at a failure (kept). */
static void flush(init_events *ev)
{
	if (ev->dropped_unsent) {
		struct event e = {.level = LOG_LEVEL_WARN};

		snprintf(e.message, sizeof(e.message), "dropped %lu events while logd was away",
		        ev->dropped_unsent);
		if (send_one(ev, &e) < 0)
			return;
		ev->dropped_unsent = 0;
	}
	while (ev->n > 0) {
		if (send_one(ev, &ev->queue[ev->head]) < 0)
			return;
		ev->head = (ev->head + 1) % INIT_EVENTS_QUEUE_MAX;
		ev->n--;
	}
}

void init_events_add(init_events *ev, log_level level, const char *service, const char *message)
{
	struct event *e;

	if (ev->n == INIT_EVENTS_QUEUE_MAX) {
		ev->head = (ev->head + 1) % INIT_EVENTS_QUEUE_MAX;
		ev->n--;
		ev->dropped++;
		ev->dropped_unsent++;
	}
	e = &ev->queue[(ev->head + ev->n) % INIT_EVENTS_QUEUE_MAX];
	e->level = level;
	copy_text(e->service, sizeof(e->service), service ? service : "");
	copy_text(e->message, sizeof(e->message), message);
	ev->n++;
	if (ev->log)
		flush(ev);
}

void init_events_attach(init_events *ev, struct log *log)
{
	nx_rpc_cap_unref(log_cap(ev->log));
	ev->log = log_from_cap(nx_rpc_cap_ref(log_cap(log)));
	flush(ev);
}

void init_events_detach(init_events *ev)
{
	ev->log = log_from_cap(nx_rpc_cap_unref(log_cap(ev->log)));
}

unsigned long init_events_dropped(const init_events *ev)
{
	return ev->dropped;
}
