/* SPDX-License-Identifier: MIT */
/* exec run (run.h): restart decisions over userspace/supervise, uid slots, caps. */
#include "run.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

_Static_assert(APP_PROCESSES_MAX <= 64, "one bit per uid slot in app_slots.used");

static enum sup_restart sup_policy(nxb_restart restart)
{
	switch (restart) {
	case NXB_RESTART_ALWAYS:
		return SUP_RESTART_ALWAYS;
	case NXB_RESTART_ON_FAILURE:
		return SUP_RESTART_ON_FAILURE;
	default: /* never, and anything a newer manifest might name */
		return SUP_RESTART_NEVER;
	}
}

const char *app_restart_name(nxb_restart restart)
{
	switch (restart) {
	case NXB_RESTART_ALWAYS:
		return "always";
	case NXB_RESTART_ON_FAILURE:
		return "on-failure";
	default:
		return "never";
	}
}

void app_run_init(struct app_run *r, nxb_restart restart, bool piped)
{
	assert(r);
	*r = (struct app_run){.piped = piped};
	sup_child_init(&r->sup, piped ? SUP_RESTART_NEVER : sup_policy(restart));
}

void app_run_started(struct app_run *r, uint64_t now_ns)
{
	assert(r);
	sup_child_up(&r->sup, now_ns);
}

void app_run_stop(struct app_run *r)
{
	assert(r);
	r->stopping = true;
}

bool app_run_crashed(const struct app_run *r, int code, int signal)
{
	assert(r);
	return !r->stopping && (code != 0 || signal != 0);
}

enum app_next app_run_exited(
        struct app_run *r, int code, int signal, uint64_t now_ns, uint64_t *ret_delay_ns)
{
	bool failed = code != 0 || signal != 0;
	uint64_t delay;

	assert(r && ret_delay_ns);
	if (r->stopping)
		return APP_NEXT_EXITED;
	switch (sup_child_exited(&r->sup, failed, now_ns, &delay)) {
	case SUP_RESTART:
		r->restarts++;
		*ret_delay_ns = delay;
		return APP_NEXT_RESTART;
	case SUP_FAILED:
		return APP_NEXT_FAILED;
	default:
		return failed ? APP_NEXT_FAILED : APP_NEXT_EXITED;
	}
}

int app_slot_take(struct app_slots *s)
{
	assert(s);
	for (unsigned i = 0; i < APP_PROCESSES_MAX; i++)
		if (!(s->used & (1ull << i))) {
			s->used |= 1ull << i;
			return (int)i;
		}
	return -EAGAIN;
}

void app_slot_put(struct app_slots *s, unsigned i)
{
	assert(s && i < APP_PROCESSES_MAX && (s->used & (1ull << i)));
	s->used &= ~(1ull << i);
}

bool app_caps_has(const char *const *caps, size_t n, const char *cap)
{
	assert(!n || caps);
	for (size_t i = 0; i < n; i++)
		if (strcmp(caps[i], cap) == 0)
			return true;
	return false;
}
