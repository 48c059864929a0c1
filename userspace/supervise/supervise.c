/* SPDX-License-Identifier: MIT */
/* supervise (supervise.h): backoff, storm limit and restart policy, time passed in. */
#include "supervise.h"

#include <assert.h>

uint64_t sup_backoff_next(struct sup_backoff *b)
{
	uint64_t delay;

	assert(b);
	delay = b->next_ns ? b->next_ns : SUP_BACKOFF_FIRST_NS;
	b->next_ns = delay >= SUP_BACKOFF_MAX_NS / 2 ? SUP_BACKOFF_MAX_NS : delay * 2;
	return delay;
}

void sup_backoff_reset(struct sup_backoff *b)
{
	assert(b);
	b->next_ns = 0;
}

void sup_child_init(struct sup_child *c, enum sup_restart restart)
{
	assert(c);
	*c = (struct sup_child){.restart = restart};
}

void sup_child_up(struct sup_child *c, uint64_t now_ns)
{
	assert(c);
	c->up = true;
	c->up_since_ns = now_ns;
}

/* Records an exit; true when it completes SUP_STORM_EXITS exits within the window. */
static bool storm(struct sup_child *c, uint64_t now_ns)
{
	uint64_t oldest;

	c->exits[c->exits_head] = now_ns;
	c->exits_head = (c->exits_head + 1) % SUP_STORM_EXITS;
	if (c->exits_count < SUP_STORM_EXITS)
		c->exits_count++;
	if (c->exits_count < SUP_STORM_EXITS)
		return false;
	oldest = c->exits[c->exits_head];
	return now_ns - oldest <= SUP_STORM_WINDOW_NS;
}

enum sup_verdict sup_child_exited(
        struct sup_child *c, bool failed, uint64_t now_ns, uint64_t *ret_delay_ns)
{
	bool stable, restart, stormy;

	assert(c && ret_delay_ns);
	stable = c->up && now_ns - c->up_since_ns >= SUP_STABLE_NS;
	c->up = false;
	if (stable)
		sup_backoff_reset(&c->backoff);
	stormy = storm(c, now_ns);
	restart = c->restart == SUP_RESTART_ALWAYS ||
	          (c->restart == SUP_RESTART_ON_FAILURE && failed);
	if (!restart)
		return SUP_STAY_DOWN;
	if (stormy)
		return SUP_FAILED;
	*ret_delay_ns = sup_backoff_next(&c->backoff);
	return SUP_RESTART;
}
