/* SPDX-License-Identifier: MIT */
/*
 * nx-svc policy client: the one way a service asks policyd (DESIGN.md section 7).
 *
 * A handler asks with one call, nx_policy_allowed(pc, in, subject, cap, &allowed):
 *   0           decided: *ret_allowed says whether `subject` holds `cap`;
 *   NX_RPC_ASYNC  the call is held while policyd is asked; the handler returns NX_RPC_ASYNC,
 *               keeps nothing, and runs again from the start (through the `rerun` hook given
 *               at creation) once the answer is in, now finding it decided. Handlers decide
 *               before they change anything, so running them twice is safe.
 *   -errno      -EINVAL (subject or cap empty or over POL_CACHE_SUBJECT_MAX /
 *               POL_CACHE_CAP_MAX), -EBUSY (NX_POLICY_HELD_MAX calls held already), -ENOMEM.
 *
 * policyd's answers are cached per connection, subject and capability (userspace/policy
 * cache.h; POL_CACHE_MAX decisions, oldest replaced) and dropped whenever policyd announces a
 * new version (Policy.watch), comes or goes. An answer about an older policy is not kept: the
 * handler runs again and asks again.
 *
 * Where the Policy capability comes from is pluggable: nx_policy_set / nx_policy_clear (samgrd
 * feeds it from its registry when policyd registers and goes), or nx_policy_follow, which
 * follows "policyd" through samgrd (nx_follow) for every other service.
 *
 * The one behaviour while policyd cannot be asked: THE INTERIM RULE DECIDES. That is, while
 * the client holds no Policy capability (policyd not registered yet, gone, restarting), and
 * for a call whose check() failed, the service's interim rule (a pol_grant table, interim.h)
 * answers at once; it is not cached. Calls arriving while policyd is being resolved (after
 * samgrd said it is up, nx_policy_follow only) are held until the resolve ends, then asked or
 * decided by the interim rule. Held calls are failed with `canceled` when their caller cancels,
 * their connection dies, or the client is freed.
 */
#ifndef NX_SVC_POLICY_H
#define NX_SVC_POLICY_H

#include <stdbool.h>

#include "nexus/limits.h" /* NX_POLICY_HELD_MAX */
#include "nx-abi/loop.h"
#include "nx-rpc/rpc.h"
#include "policy/cache.h"
#include "policy/interim.h"

typedef struct nx_policy nx_policy;
struct policy;
struct samgr;

/* Runs a held call's handler again: the service's dispatch (nx_rpc_server_ops.dispatch). A
 * negative return fails the call with it, as nx-rpc does for a first run. */
typedef int (*nx_policy_rerun_fn)(
        void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id);

/* A client on `loop` (borrowed) with the interim rule interim[0..n_interim) (borrowed: must
 * outlive the client), running held calls again through rerun(impl, ...). Holds no Policy
 * capability yet: the interim rule decides until nx_policy_set or nx_policy_follow brings one.
 * Returns 0, -EINVAL or -ENOMEM. */
int nx_policy_new(nx_loop *loop, const struct pol_grant *interim, size_t n_interim,
        nx_policy_rerun_fn rerun, void *impl, nx_policy **ret);

/* From now on policyd is `policy` (a Policy capability, referenced): its versions are watched
 * and every held call is asked anew on it. Replaces a capability set before. Returns 0, or a
 * negative errno (the client is then cleared: the interim rule decides). */
int nx_policy_set(nx_policy *pc, struct policy *policy);

/* policyd went away: the capability is dropped, the cache invalidated, and every held call
 * decided by the interim rule (its handler runs again now). */
void nx_policy_clear(nx_policy *pc);

/* Follows "policyd" through `samgr` (referenced): nx_policy_set whenever it comes up,
 * nx_policy_clear when it goes. Called again with a new Samgr (samgrd restarted), follows
 * through that one, keeping the channel to policyd it has. Returns 0, or nx_follow_new's
 * (nx_follow_set_samgr's) error. */
int nx_policy_follow(nx_policy *pc, struct samgr *samgr);

/* Whether `subject` (the subject of the connection `in` came through, fixed by a trusted
 * broker) holds `cap`. See the top of this file. */
int nx_policy_allowed(nx_policy *pc, nx_rpc_incoming *in, const char *subject, const char *cap,
        bool *ret_allowed);

/* The connection closed: its cached decisions go (its held calls are canceled by nx-rpc). */
void nx_policy_drop_conn(nx_policy *pc, const nx_rpc_conn *conn);

/* Calls held now (for tests and stats). */
unsigned nx_policy_held(const nx_policy *pc);

/* Fails every held call with `canceled`, drops policyd. Takes NULL, returns NULL. */
nx_policy *nx_policy_free(nx_policy *pc);

#endif
