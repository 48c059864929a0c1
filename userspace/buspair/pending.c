/* SPDX-License-Identifier: MIT */
#include "buspair/pending.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct buspair_pending {
	struct buspair_request req[BUSPAIR_PENDING_MAX];
	bool used[BUSPAIR_PENDING_MAX];
};

int buspair_pending_new(buspair_pending **ret)
{
	buspair_pending *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	*ret = p;
	return 0;
}

buspair_pending *buspair_pending_free(buspair_pending *p)
{
	free(p);
	return NULL;
}

static void expire(buspair_pending *p, uint64_t now_ns)
{
	for (unsigned i = 0; i < BUSPAIR_PENDING_MAX; i++)
		if (p->used[i] && now_ns >= p->req[i].expires_ns)
			p->used[i] = false;
}

static int slot_of(const buspair_pending *p, const char *device)
{
	for (unsigned i = 0; i < BUSPAIR_PENDING_MAX; i++)
		if (p->used[i] && strcmp(p->req[i].device, device) == 0)
			return (int)i;
	return -ENOENT;
}

int buspair_pending_begin(
        buspair_pending *p, const char *device, const char *sas, uint64_t session, uint64_t now_ns)
{
	struct buspair_request *q;
	int i;

	if (!p || buspair_id_check(device) < 0 || buspair_sas_check(sas) < 0)
		return -EINVAL;
	expire(p, now_ns);
	i = slot_of(p, device);
	for (unsigned k = 0; i < 0 && k < BUSPAIR_PENDING_MAX; k++)
		if (!p->used[k])
			i = (int)k;
	if (i < 0)
		return -EBUSY;
	q = &p->req[i];
	/* The same session again keeps what was confirmed on it; a new one starts over. */
	if (!p->used[i] || q->session != session || strcmp(q->sas, sas) != 0) {
		*q = (struct buspair_request){.session = session};
		memcpy(q->device, device, BUSPAIR_ID_LEN + 1);
		memcpy(q->sas, sas, BUSPAIR_SAS_LEN + 1);
		q->expires_ns = now_ns + BUSPAIR_PENDING_TTL_NS;
	}
	p->used[i] = true;
	return 0;
}

int buspair_pending_confirm(
        buspair_pending *p, const char *device, bool local, uint64_t now_ns, bool *ret_complete)
{
	struct buspair_request *q;
	int i;

	if (!p || !device || !ret_complete)
		return -EINVAL;
	expire(p, now_ns);
	i = slot_of(p, device);
	if (i < 0)
		return i;
	q = &p->req[i];
	if (local)
		q->local_confirmed = true;
	else
		q->remote_confirmed = true;
	*ret_complete = q->local_confirmed && q->remote_confirmed;
	if (*ret_complete)
		p->used[i] = false;
	return 0;
}

int buspair_pending_get(
        buspair_pending *p, const char *device, uint64_t now_ns, struct buspair_request *ret)
{
	int i;

	if (!p || !device || !ret)
		return -EINVAL;
	expire(p, now_ns);
	i = slot_of(p, device);
	if (i < 0)
		return i;
	*ret = p->req[i];
	return 0;
}

int buspair_pending_cancel(buspair_pending *p, const char *device)
{
	int i = p && device ? slot_of(p, device) : -EINVAL;

	if (i < 0)
		return i;
	p->used[i] = false;
	return 0;
}

size_t buspair_pending_drop_session(buspair_pending *p, uint64_t session)
{
	size_t n = 0;

	for (unsigned i = 0; p && i < BUSPAIR_PENDING_MAX; i++)
		if (p->used[i] && p->req[i].session == session) {
			p->used[i] = false;
			n++;
		}
	return n;
}

size_t buspair_pending_list(
        buspair_pending *p, uint64_t now_ns, struct buspair_request *out, size_t cap)
{
	size_t n = 0;

	if (!p)
		return 0;
	expire(p, now_ns);
	for (unsigned i = 0; i < BUSPAIR_PENDING_MAX && n < cap; i++)
		if (p->used[i])
			out[n++] = p->req[i];
	return n;
}
