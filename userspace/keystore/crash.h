/* SPDX-License-Identifier: MIT */
/*
 * keystore crash steps: the points of keystored's writes where a test may make it die, to
 * prove that a kill -9 anywhere leaves the old state or the new one (never a torn key).
 *
 * keystored reads one step name from NEXUS_KEYSTORED_CRASH_AT (tests only) and aborts when it
 * reaches that step. The steps, in the order each write passes them:
 *
 *   create-begun       transaction open, nothing written        -> old state (no key)
 *   create-inserted    record inserted, not committed           -> old state (no key)
 *   create-committed   committed, caller not answered           -> new state (the key)
 *   delete-begun, delete-removed, delete-committed              -> likewise for a delete
 *   provision-kek      first boot: KEK file in place, no device key yet
 *   provision-inserted first boot: device key inserted, not committed
 *
 * Pure: no I/O.
 */
#ifndef KEYSTORE_CRASH_H
#define KEYSTORE_CRASH_H

enum ks_step {
	KS_STEP_NONE,
	KS_STEP_CREATE_BEGUN,
	KS_STEP_CREATE_INSERTED,
	KS_STEP_CREATE_COMMITTED,
	KS_STEP_DELETE_BEGUN,
	KS_STEP_DELETE_REMOVED,
	KS_STEP_DELETE_COMMITTED,
	KS_STEP_PROVISION_KEK,
	KS_STEP_PROVISION_INSERTED,
	KS_STEP_COUNT
};

/* The step named `text`: NULL or "" is KS_STEP_NONE; -EINVAL for a name not listed above. */
int ks_step_parse(const char *text, enum ks_step *ret);

/* The step's name ("" for KS_STEP_NONE), NULL past the last. */
const char *ks_step_name(enum ks_step step);

#endif
