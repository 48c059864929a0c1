/* SPDX-License-Identifier: MIT */
/* nx-log test helpers: a pipe standing in for the console, and a fake sink that copies what it
 * takes and also appends it to a real journal (so every record is proven acceptable to logd). */
#ifndef TESTS_NX_LOG_HELPERS_H
#define TESTS_NX_LOG_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal/journal.h"
#include "nx-log/log.h"

/* ---- Console capture. */

struct cap {
	int rfd;
	int wfd;
	char buf[128 << 10];
	size_t len;
};

static inline void cap_open(struct cap *c, const char *name, enum nx_log_level level)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	c->rfd = p[0];
	c->wfd = p[1];
	c->len = 0;
	/* Big enough for the longest test line (all escapes). */
	(void)fcntl(c->wfd, F_SETPIPE_SZ, 1 << 20);
	nx_log_init_fd(name, c->wfd, level);
}

/* Everything written so far, NUL-terminated. */
static inline const char *cap_read(struct cap *c)
{
	for (;;) {
		ssize_t n = read(c->rfd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);

		if (n <= 0)
			break;
		c->len += (size_t)n;
	}
	c->buf[c->len] = '\0';
	return c->buf;
}

static inline void cap_close(struct cap *c)
{
	nx_log_done();
	close(c->rfd);
	close(c->wfd);
}

/* ---- Fake sink. */

#define FAKE_MAX 2048

struct fake_rec {
	struct nx_log_record r; /* pointers into the copies below */
	char *scope;
	char *message;
	char *keys[NX_LOG_FIELDS_MAX];
	char *values[NX_LOG_FIELDS_MAX];
};

struct fake {
	long room; /* records taken per call; < 0 = all */
	int fail;  /* nonzero: return -EPIPE */
	size_t calls;
	size_t max_batch;
	size_t n;
	struct fake_rec recs[FAKE_MAX];
	struct jrn *j;
	int jrn_errors;
	/* Called inside send, to test re-entrancy. */
	void (*inside)(struct fake *f);
};

static inline char *fake_dup(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	return d;
}

static int fake_send(void *ctx, const struct nx_log_record *recs, size_t n)
{
	struct fake *f = ctx;
	size_t i, take = n;

	f->calls++;
	if (n > f->max_batch)
		f->max_batch = n;
	if (f->inside)
		f->inside(f);
	if (f->fail)
		return -EPIPE;
	if (f->room >= 0 && (size_t)f->room < take)
		take = (size_t)f->room;
	for (i = 0; i < take; i++) {
		struct fake_rec *fr;
		struct jrn_field jf[JRN_FIELDS_MAX];
		struct jrn_entry e;
		size_t k;

		assert_true(f->n < FAKE_MAX);
		fr = &f->recs[f->n++];
		fr->r = recs[i];
		fr->scope = fake_dup(recs[i].scope);
		fr->message = fake_dup(recs[i].message);
		fr->r.scope = fr->scope;
		fr->r.message = fr->message;
		assert_true(recs[i].n_fields <= NX_LOG_FIELDS_MAX);
		for (k = 0; k < recs[i].n_fields; k++) {
			fr->keys[k] = fake_dup(recs[i].fields[k].key);
			fr->values[k] = fake_dup(recs[i].fields[k].value);
			fr->r.fields[k].key = fr->keys[k];
			fr->r.fields[k].value = fr->values[k];
			jf[k].key = fr->keys[k];
			jf[k].value = fr->values[k];
		}
		e.level = (enum jrn_level)recs[i].level;
		e.scope = recs[i].scope;
		e.message = recs[i].message;
		e.fields = jf;
		e.n_fields = recs[i].n_fields;
		if (jrn_append(f->j, "svc:test", &e, recs[i].realtime_ns, recs[i].monotonic_ns,
		            NULL) != 0)
			f->jrn_errors++;
	}
	return (int)take;
}

static const struct nx_log_sink fake_ops = {.send = fake_send};

static inline struct fake *fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct jrn_config cfg;

	assert_non_null(f);
	f->room = -1;
	jrn_config_default(&cfg);
	cfg.rate_per_sec = 0; /* no rate limit: every record must land */
	assert_int_equal(jrn_new(&cfg, &f->j), 0);
	return f;
}

static inline void fake_free(struct fake *f)
{
	size_t i, k;

	for (i = 0; i < f->n; i++) {
		free(f->recs[i].scope);
		free(f->recs[i].message);
		for (k = 0; k < f->recs[i].r.n_fields; k++) {
			free(f->recs[i].keys[k]);
			free(f->recs[i].values[k]);
		}
	}
	jrn_free(f->j);
	free(f);
}

#endif
