/* SPDX-License-Identifier: MIT */
/* bundlemgrd's parts (main.c lists them) and the state they share. */
#ifndef BUNDLEMGRD_H
#define BUNDLEMGRD_H

#include "bundle.capnp.h"
#include "nx-svc/follow.h"
#include "policy.capnp.h"
#include "store.h"
#include "svc.h"

/* The trust anchors' directory when $NEXUS_BUNDLE_TRUST_DIR is not set: beneath the state dir,
 * the one place the default sandbox lets bundlemgrd read. */
#define BMD_TRUST_ENV      "NEXUS_BUNDLE_TRUST_DIR"
#define BMD_TRUST_SUBDIR   "trust"
#define BMD_TRUST_FILE_MAX 256u /* bytes of one <key id>.pub file */

struct bundlemgrd {
	nx_svc *svc;
	bmd_store *store;
	int trust_dirfd;
	nx_follow *policyd;    /* grants.c */
	struct policy *policy; /* while policyd is up */
	struct {
		struct bundle_watcher *cb;
		nx_rpc_conn *conn; /* compared only */
	} watchers[BUNDLEMGRD_WATCHERS_MAX];
	unsigned nwatchers;
};

/* trust.c: opens the trust dir (creating it beneath the state dir when it is the default). */
int bmd_trust_open(struct bundlemgrd *d, const char *state_dir);
/* bnd_trust_fn over d->trust_dirfd: <key id>.pub holds the key as 64 hex digits. */
int bmd_trust_lookup(void *ctx, const char *key_id, const uint8_t claimed[BND_KEY_LEN],
        uint8_t ret_key[BND_KEY_LEN]);

/* grants.c: follows policyd; sets every bundle's grants whenever it comes up. */
int bmd_grants_start(struct bundlemgrd *d);
void bmd_grants_stop(struct bundlemgrd *d);
/* Sets the grants of app:<id> from its record (none when not installed); done(userdata, err)
 * runs once policyd answered. -EAGAIN when policyd is not up (it gets them all when it
 * comes): done does not run. */
int bmd_grants_push(struct bundlemgrd *d, const char *id, void (*done)(void *userdata, int error),
        void *userdata);
/* Asks policyd whether publisher:<key id> holds grant.<cap> for each cap of b; done(userdata,
 * err, allowed) with allowed[i] per cap. -EAGAIN when policyd is not up. */
typedef void (*bmd_grants_answer_fn)(void *userdata, int error, const bool *allowed);
int bmd_grants_ask(
        struct bundlemgrd *d, const bnd_bundle *b, bmd_grants_answer_fn done, void *userdata);

/* bundles.c: the Bundles interface. */
int bmd_bundles_new(struct bundlemgrd *d, struct bundle_bundles **ret);
int bmd_dispatch(void *impl, nx_rpc_incoming *in, uint64_t iface, uint16_t method);
void bmd_watchers_free(struct bundlemgrd *d);

#endif
