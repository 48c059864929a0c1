/* SPDX-License-Identifier: MIT */
#include "registry.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nx-util/macro.h"

struct entry {
	char name[REG_NAME_MAX + 1];
	char subject[REG_SUBJECT_MAX + 1];
	uint64_t owner;
	uint64_t generation;
	void *host;
};

struct watcher {
	uint64_t handle;
	uint64_t owner;
	bool wildcard;
	char name[REG_NAME_MAX + 1];
};

struct reg {
	struct reg_callbacks cb;
	void *userdata;
	/* Sorted by name; REG_NAMES_MAX slots allocated up front. */
	struct entry **entries;
	size_t n_entries;
	/* Sorted by name, wildcards first, equal names in watch order. */
	struct watcher *watchers;
	size_t n_watchers;
	size_t cap_watchers;
	uint64_t next_generation;
	/* Set while a callback runs: the modifying functions refuse re-entry. */
	bool in_callback;
};

static const char *const reserved_names[] = {"init", "samgr", "samgrd"};

static bool name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '.' || c == '_' || c == '-');
}

/* Like reg_name_check() on the first len bytes of s (which may go on). */
static int name_check_n(const char *s, size_t len)
{
	if (len == 0)
		return -EINVAL;
	if (len > REG_NAME_MAX)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < len; i++)
		if (!name_char(s[i], i == 0))
			return -EINVAL;
	for (size_t i = 0; i < sizeof(reserved_names) / sizeof(reserved_names[0]); i++)
		if (strlen(reserved_names[i]) == len && memcmp(reserved_names[i], s, len) == 0)
			return -EPERM;
	return 0;
}

int reg_name_check(const char *name)
{
	assert_return(name, -EINVAL);
	/* Bounded scan: a long name is rejected without reading all of it. */
	size_t len = strnlen(name, REG_NAME_MAX + 1);
	return name_check_n(name, len);
}

static int subject_check(const char *subject)
{
	if (!subject || !subject[0])
		return -EINVAL;
	if (strnlen(subject, REG_SUBJECT_MAX + 1) > REG_SUBJECT_MAX)
		return -EMSGSIZE;
	return 0;
}

int reg_new(const struct reg_callbacks *cb, void *userdata, struct reg **ret_registry)
{
	assert_return(ret_registry, -EINVAL);
	struct reg *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->entries = calloc(REG_NAMES_MAX, sizeof(struct entry *));
	if (!r->entries) {
		free(r);
		return -ENOMEM;
	}
	if (cb)
		r->cb = *cb;
	r->userdata = userdata;
	r->next_generation = 1;
	*ret_registry = r;
	return 0;
}

static void call_host_drop(struct reg *r, void *host)
{
	if (!r->cb.host_drop)
		return;
	r->in_callback = true;
	r->cb.host_drop(r->userdata, host);
	r->in_callback = false;
}

static void call_watcher_drop(struct reg *r, uint64_t handle)
{
	if (!r->cb.watcher_drop)
		return;
	r->in_callback = true;
	r->cb.watcher_drop(r->userdata, handle);
	r->in_callback = false;
}

struct reg *reg_free(struct reg *r)
{
	if (!r)
		return NULL;
	assert(!r->in_callback);
	/* Detach first so callbacks see an empty registry. */
	size_t n_entries = r->n_entries, n_watchers = r->n_watchers;
	r->n_entries = 0;
	r->n_watchers = 0;
	for (size_t i = 0; i < n_watchers; i++)
		call_watcher_drop(r, r->watchers[i].handle);
	for (size_t i = 0; i < n_entries; i++) {
		call_host_drop(r, r->entries[i]->host);
		free(r->entries[i]);
	}
	free(r->watchers);
	free(r->entries);
	free(r);
	return NULL;
}

/* Index of the first entry whose name is >= name (n_entries if none). */
static size_t entry_lower_bound(const struct reg *r, const char *name)
{
	size_t lo = 0, hi = r->n_entries;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(r->entries[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct entry *entry_find(const struct reg *r, const char *name, size_t *ret_index)
{
	size_t i = entry_lower_bound(r, name);
	if (i >= r->n_entries || strcmp(r->entries[i]->name, name) != 0)
		return NULL;
	if (ret_index)
		*ret_index = i;
	return r->entries[i];
}

/* Watcher order: wildcards (NULL) first, then by name. */
static int watch_key_cmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* First watcher whose key is > key (upper) or >= key (!upper). */
static size_t watcher_bound(const struct reg *r, const char *key, bool upper)
{
	size_t lo = 0, hi = r->n_watchers;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct watcher *w = &r->watchers[mid];
		int c = watch_key_cmp(w->wildcard ? NULL : w->name, key);
		if (c < 0 || (upper && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void emit(struct reg *r, const struct watcher *w, const struct entry *e, bool up)
{
	struct reg_event ev = {
	        .watcher = w->handle,
	        .watcher_owner = w->owner,
	        .name = e->name,
	        .subject = e->subject,
	        .generation = e->generation,
	        .up = up,
	};
	r->in_callback = true;
	r->cb.event(r->userdata, &ev);
	r->in_callback = false;
}

/* Tells the watchers of e's name, then the wildcard watchers. Callbacks cannot change the
 * watcher array (re-entry is refused), so indexes stay valid. */
static void notify(struct reg *r, const struct entry *e, bool up)
{
	if (!r->cb.event)
		return;
	size_t lo = watcher_bound(r, e->name, false), hi = watcher_bound(r, e->name, true);
	for (size_t i = lo; i < hi; i++)
		emit(r, &r->watchers[i], e, up);
	hi = watcher_bound(r, NULL, true);
	for (size_t i = 0; i < hi; i++)
		emit(r, &r->watchers[i], e, up);
}

int reg_register(struct reg *r, uint64_t owner, const char *subject, const char *name, void *host,
        uint64_t *ret_generation, const char **ret_holder)
{
	assert_return(r && name, -EINVAL);
	assert_return(owner != 0, -EINVAL);
	if (r->in_callback)
		return -EBUSY;
	int rc = subject_check(subject);
	if (rc < 0)
		return rc;
	rc = reg_name_check(name);
	if (rc < 0)
		return rc;
	size_t at = entry_lower_bound(r, name);
	if (at < r->n_entries && strcmp(r->entries[at]->name, name) == 0) {
		if (ret_holder)
			*ret_holder = r->entries[at]->subject;
		return -EEXIST;
	}
	if (r->n_entries >= REG_NAMES_MAX)
		return -ENOSPC;
	struct entry *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	/* Both lengths were checked against the buffers above. */
	memcpy(e->name, name, strlen(name) + 1);
	memcpy(e->subject, subject, strlen(subject) + 1);
	e->owner = owner;
	e->host = host;
	e->generation = r->next_generation++;
	memmove(&r->entries[at + 1], &r->entries[at], (r->n_entries - at) * sizeof(struct entry *));
	r->entries[at] = e;
	r->n_entries++;
	notify(r, e, true);
	if (ret_generation)
		*ret_generation = e->generation;
	return 0;
}

/* Takes the entry at index i out of the array, tells its watchers, drops its host. */
static void entry_remove(struct reg *r, size_t i)
{
	struct entry *e = r->entries[i];
	memmove(&r->entries[i], &r->entries[i + 1],
	        (r->n_entries - i - 1) * sizeof(struct entry *));
	r->n_entries--;
	notify(r, e, false);
	call_host_drop(r, e->host);
	free(e);
}

int reg_unregister(struct reg *r, uint64_t owner, const char *name)
{
	assert_return(r && name && owner != 0, -EINVAL);
	if (r->in_callback)
		return -EBUSY;
	size_t i;
	struct entry *e = entry_find(r, name, &i);
	if (!e)
		return -ENOENT;
	if (e->owner != owner)
		return -EPERM;
	entry_remove(r, i);
	return 0;
}

static void entry_view(const struct entry *e, struct reg_entry *out)
{
	out->name = e->name;
	out->subject = e->subject;
	out->owner = e->owner;
	out->generation = e->generation;
	out->host = e->host;
}

int reg_resolve(const struct reg *r, const char *name, struct reg_entry *ret_entry)
{
	assert_return(r && name && ret_entry, -EINVAL);
	const struct entry *e = entry_find(r, name, NULL);
	if (!e)
		return -ENOENT;
	entry_view(e, ret_entry);
	return 0;
}

size_t reg_count(const struct reg *r)
{
	return r ? r->n_entries : 0;
}

int reg_list(
        const struct reg *r, const char *after, struct reg_entry *out, size_t max, bool *ret_more)
{
	assert_return(r && (out || max == 0), -EINVAL);
	if (max > REG_LIST_MAX)
		max = REG_LIST_MAX;
	size_t i = 0;
	if (after && after[0]) {
		i = entry_lower_bound(r, after);
		if (i < r->n_entries && strcmp(r->entries[i]->name, after) == 0)
			i++;
	}
	size_t n = 0;
	for (; i < r->n_entries && n < max; i++, n++)
		entry_view(r->entries[i], &out[n]);
	if (ret_more)
		*ret_more = i < r->n_entries;
	return (int)n;
}

static size_t watchers_of(const struct reg *r, uint64_t owner)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_watchers; i++)
		n += r->watchers[i].owner == owner;
	return n;
}

static struct watcher *watcher_find(const struct reg *r, uint64_t handle, size_t *ret_index)
{
	for (size_t i = 0; i < r->n_watchers; i++)
		if (r->watchers[i].handle == handle) {
			*ret_index = i;
			return &r->watchers[i];
		}
	return NULL;
}

int reg_watch(struct reg *r, uint64_t owner, const char *name, uint64_t watcher)
{
	assert_return(r && owner != 0 && watcher != 0, -EINVAL);
	if (r->in_callback)
		return -EBUSY;
	if (name) {
		int rc = reg_name_check(name);
		if (rc < 0)
			return rc;
	}
	size_t unused;
	if (watcher_find(r, watcher, &unused))
		return -EEXIST;
	if (watchers_of(r, owner) >= REG_WATCHERS_PER_OWNER_MAX)
		return -EDQUOT;
	if (r->n_watchers >= REG_WATCHERS_MAX)
		return -ENOSPC;
	if (r->n_watchers == r->cap_watchers) {
		size_t cap = r->cap_watchers ? r->cap_watchers * 2 : 16;
		if (cap > REG_WATCHERS_MAX)
			cap = REG_WATCHERS_MAX;
		struct watcher *w = realloc(r->watchers, cap * sizeof(*w));
		if (!w)
			return -ENOMEM;
		r->watchers = w;
		r->cap_watchers = cap;
	}
	/* After the last one with the same key: events go out in watch order. */
	size_t at = watcher_bound(r, name, true);
	memmove(&r->watchers[at + 1], &r->watchers[at],
	        (r->n_watchers - at) * sizeof(*r->watchers));
	struct watcher *nw = &r->watchers[at];
	*nw = (struct watcher){.handle = watcher, .owner = owner, .wildcard = !name};
	if (name)
		memcpy(nw->name, name, strlen(name) + 1);
	r->n_watchers++;

	if (!r->cb.event)
		return 0;
	struct watcher w = r->watchers[at];
	if (name) {
		const struct entry *e = entry_find(r, name, NULL);
		if (e)
			emit(r, &w, e, true);
	} else {
		for (size_t i = 0; i < r->n_entries; i++)
			emit(r, &w, r->entries[i], true);
	}
	return 0;
}

int reg_unwatch(struct reg *r, uint64_t watcher)
{
	assert_return(r && watcher != 0, -EINVAL);
	if (r->in_callback)
		return -EBUSY;
	size_t i;
	struct watcher *w = watcher_find(r, watcher, &i);
	if (!w)
		return -ENOENT;
	memmove(&r->watchers[i], &r->watchers[i + 1],
	        (r->n_watchers - i - 1) * sizeof(*r->watchers));
	r->n_watchers--;
	return 0;
}

int reg_owner_gone(struct reg *r, uint64_t owner)
{
	assert_return(r && owner != 0, -EINVAL);
	if (r->in_callback)
		return -EBUSY;
	/* Compact out the owner's watchers (order of the rest kept), then tell the daemon. */
	size_t kept = 0, n = r->n_watchers;
	uint64_t dropped[REG_WATCHERS_PER_OWNER_MAX];
	size_t n_dropped = 0;
	for (size_t i = 0; i < n; i++) {
		if (r->watchers[i].owner == owner) {
			assert(n_dropped < REG_WATCHERS_PER_OWNER_MAX);
			dropped[n_dropped++] = r->watchers[i].handle;
			continue;
		}
		r->watchers[kept++] = r->watchers[i];
	}
	r->n_watchers = kept;
	for (size_t i = 0; i < n_dropped; i++)
		call_watcher_drop(r, dropped[i]);

	int freed = 0;
	for (size_t i = 0; i < r->n_entries;) {
		if (r->entries[i]->owner == owner) {
			entry_remove(r, i);
			freed++;
		} else {
			i++;
		}
	}
	return freed;
}

/* The rest of "svc:<name>" / "app:<bundle>": a service name. */
static int adopt_name_check(const char *rest)
{
	return name_check_n(rest, strnlen(rest, REG_NAME_MAX + 1));
}

static bool hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* The rest of "peer:<device>/<subject>": a device id, then the caller's subject on that
 * device, itself "<prefix>:<name>" of a local kind (never another peer: a remote caller's
 * subject is its own device's word, one hop). Its name may be a reserved one there. */
static int adopt_peer_check(const char *rest)
{
	static const char *const inner[] = {"svc:", "app:", "uid:", "user:"};

	for (size_t i = 0; i < REG_PEER_ID_LEN; i++)
		if (!hex_lower(rest[i]))
			return -EINVAL;
	if (rest[REG_PEER_ID_LEN] != '/')
		return -EINVAL;
	rest += REG_PEER_ID_LEN + 1;
	for (size_t i = 0; i < sizeof(inner) / sizeof(inner[0]); i++) {
		size_t plen = strlen(inner[i]);
		if (strncmp(rest, inner[i], plen) != 0)
			continue;
		int rc = name_check_n(rest + plen, strnlen(rest + plen, REG_NAME_MAX + 1));
		return rc == -EPERM ? 0 : rc;
	}
	return -EINVAL;
}

/* Every subject prefix of DESIGN.md section 3 and who may hand it out. uid: comes from
 * SO_PEERCRED and user: from identityd's token, never through adoption. */
static const struct {
	const char *prefix;
	const char *adopter;
	int (*rest_check)(const char *rest);
} adopt_table[] = {
        {"svc:", REG_INIT_SUBJECT, adopt_name_check},
        {"app:", REG_EXECD_SUBJECT, adopt_name_check},
        {"peer:", REG_DSOFTBUSD_SUBJECT, adopt_peer_check},
        {"uid:", NULL, NULL},
};

int reg_adopt_check(const char *adopter_subject, const char *new_subject)
{
	assert_return(adopter_subject && new_subject, -EINVAL);
	for (size_t i = 0; i < sizeof(adopt_table) / sizeof(adopt_table[0]); i++) {
		size_t plen = strlen(adopt_table[i].prefix);
		if (strncmp(new_subject, adopt_table[i].prefix, plen) != 0)
			continue;
		if (!adopt_table[i].adopter)
			return -EPERM;
		/* Malformed is malformed whoever asks; reserved (svc:init, svc:samgrd) is denied. */
		int rc = adopt_table[i].rest_check(new_subject + plen);
		if (rc < 0)
			return rc;
		if (strcmp(adopter_subject, adopt_table[i].adopter) != 0)
			return -EPERM;
		/* Nobody hands out its own subject. */
		if (strcmp(new_subject, adopter_subject) == 0)
			return -EPERM;
		return 0;
	}
	return -EINVAL;
}
