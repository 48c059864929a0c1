/* SPDX-License-Identifier: MIT */
/*
 * logd's ring: the journal's region (userspace/journal, jrn_open) is a memfd held in
 * nexus-init's fd store (DESIGN.md section 6), mapped shared. Whatever logd had written there
 * when it died, at any instruction, is read back by the next logd: every acknowledged record,
 * the id sequence and the boot id. A ring of another size (NEXUS_LOGD_CAPACITY changed) is
 * replaced by a fresh one.
 */
#include <errno.h>
#include <string.h>

#include "logd.h"
#include "nx-abi/random.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"

/* The held ring if it has the size this configuration needs: 0 with *ret_fd, -ENOENT if none
 * (or another size: then dropped), or the store's error. */
static int ring_fetch(struct logd *d, size_t size, int *ret_fd)
{
	size_t held;
	int fd, r;

	r = nx_svc_fd_fetch(d->svc, LOGD_RING_NAME, &fd);
	if (r < 0)
		return r;
	r = nx_vmo_size(fd, &held);
	if (r < 0 || held != size) {
		nx_log(NX_LOG_WARN, "ring",
		        "held ring is %zu bytes, %zu wanted: starting a new one",
		        r < 0 ? (size_t)0 : held, size);
		nx_fd_close(fd);
		return -ENOENT;
	}
	*ret_fd = fd;
	return 0;
}

int logd_ring_open(struct logd *d, const struct jrn_config *cfg)
{
	size_t size = jrn_region_size(cfg->capacity);
	uint8_t boot_id[JRN_BOOT_ID_BYTES];
	struct jrn_recovery rec;
	bool fresh = false, held = true;
	int fd = -1, r;

	r = ring_fetch(d, size, &fd);
	if (r == -ENOTCONN)
		held = false; /* run by hand: no store, the ring dies with us */
	if (r < 0 && r != -ENOENT && r != -ENOTCONN) {
		nx_log(NX_LOG_ERROR, "ring", "cannot fetch the ring from init: %s", strerror(-r));
		return r;
	}
	if (r < 0) {
		fresh = true;
		r = nx_vmo_create("logd-journal", size, &fd);
	}
	if (r >= 0)
		r = nx_vmo_map_rw(fd, true, &d->ring);
	if (r >= 0)
		r = nx_random_fill(boot_id, sizeof(boot_id)); /* used only if the ring is new */
	if (r >= 0)
		r = jrn_open(d->ring.addr, size, cfg, boot_id, &d->journal, &rec);
	/* Deposited once it holds a journal: a logd killed before that leaves nothing half-made. */
	if (r >= 0 && fresh && held)
		r = nx_svc_fd_deposit(d->svc, LOGD_RING_NAME, fd);
	nx_fd_close(fd); /* the map keeps the pages */
	if (r < 0) {
		nx_log(NX_LOG_ERROR, "ring", "cannot open the journal ring: %s", strerror(-r));
		return r;
	}
	if (rec.formatted)
		nx_log(NX_LOG_INFO, "ring", "new journal ring, %zu bytes%s", size,
		        held ? "" : " (no fd store: it dies with logd)");
	else
		nx_log(rec.torn ? NX_LOG_WARN : NX_LOG_INFO, "ring",
		        "journal ring read back: %llu records, %llu torn dropped",
		        (unsigned long long)rec.records, (unsigned long long)rec.torn);
	return 0;
}

void logd_ring_close(struct logd *d)
{
	d->journal = jrn_free(d->journal);
	nx_vmo_unmap(&d->ring);
}
