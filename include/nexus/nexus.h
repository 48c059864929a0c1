/* SPDX-License-Identifier: MIT */
/*
 * libnexus: the client side of a running Nexus (DESIGN.md section 10).
 *
 * A `nexus` is one connection to samgrd plus a cache of resolved services. Typed calls are the
 * generated code of the schemas (echo.capnp.h, log.capnp.h, ...): resolve a service, view its
 * capability as its interface (`echo_from_cap(cap)`) and call the generated one-call forms:
 * blocking with the handle's deadline for tools (`echo_echo_wait(echod, text,
 * nexus_deadline(nx), &call, &out)`, a failure kept with nexus_call_failed()), or with a
 * callback (`echo_echo(echod, text, cb, userdata)`) while nexus_loop() runs, for daemons.
 *
 * Errors are negative errno values; the DESIGN.md section 9 sentence that goes with the last
 * one ("not_found: no service named x") is kept and read with nexus_last_error().
 *
 * Nothing here is thread-safe: one nexus per thread.
 */
#ifndef NEXUS_NEXUS_H
#define NEXUS_NEXUS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define NEXUS_EXPORT __attribute__((visibility("default")))
#else
#define NEXUS_EXPORT
#endif

typedef struct nexus nexus;

/* nx-rpc and nx-abi objects, opaque here (nx-rpc/rpc.h, nx-abi/loop.h when used). */
struct nx_rpc_cap;
struct nx_rpc_call;
struct nx_rpc_result;
struct nx_loop;

/* Deadline of nexus_call_wait() and of resolving, unless changed: 5 s. */
#define NEXUS_DEFAULT_TIMEOUT_NS (5ull * 1000 * 1000 * 1000)

/* Called once each time the channel to a resolved service dies (`name` is the service;
 * `error` why, as for nx_rpc_disconnect_cb). The next nexus_resolve() of that name asks
 * samgrd again. */
typedef void (*nexus_gone_cb)(nexus *nx, const char *name, int error, void *userdata);

/* Connects to samgrd: the fd named by $NEXUS_BOOTSTRAP_FD (a process started by nexus-init or
 * execd; the fd is taken and the variable unset), else $NEXUS_RUNTIME_DIR/samgr.sock (default ./.nexus/run). Returns 0 with the
 * handle in *ret_nx (the caller's, nexus_free() it), or -ENAMETOOLONG, -EBADF, -ENOMEM, or the
 * error of connect(2) (-ENOENT, -ECONNREFUSED, ...); the message is then in
 * nexus_last_error(NULL). *ret_nx is untouched on failure. */
NEXUS_EXPORT int nexus_connect(nexus **ret_nx);

/* Same over `fd`, a connected channel whose peer serves Samgr as its bootstrap. The fd is
 * taken, on success and on failure. -EBADF if fd < 0. */
NEXUS_EXPORT int nexus_connect_fd(int fd, nexus **ret_nx);

/* Closes every channel; caps the caller still holds become broken (unref them as usual).
 * Takes NULL, returns NULL. */
NEXUS_EXPORT nexus *nexus_free(nexus *nx);

/* The bootstrap capability of service `name` (a new reference in *ret_cap, the caller's to
 * nx_rpc_cap_unref()). Cached per name: a second call reuses the channel, unless that channel
 * died (the service was restarted), then samgrd is asked again. A connection made from
 * $NEXUS_RUNTIME_DIR is made again if samgrd itself went away.
 * Errors: -EINVAL (bad arguments), -ENOENT (not_found), -EPERM (denied), -ETIMEDOUT, -ENOTCONN
 * (samgrd gone), -EBADMSG (malformed answer), the errno of samgrd's section 9 code otherwise. */
NEXUS_EXPORT int nexus_resolve(nexus *nx, const char *name, struct nx_rpc_cap **ret_cap);

/* The same for service `name` on the paired device `device` (a device id), through the local
 * dsoftbusd's Bus.open: the capability speaks to the remote service exactly as a local one
 * would (there the caller is peer:<this device>/<this connection's subject>). Cached per
 * device and name like nexus_resolve(). Errors: those of nexus_resolve() for dsoftbusd, and
 * of Bus.open: -EAGAIN (unavailable: not paired, unreachable), -EPERM (denied here or there),
 * -ENOENT (not exported there), -EDQUOT (too many streams). */
NEXUS_EXPORT int nexus_resolve_peer(
        nexus *nx, const char *device, const char *name, struct nx_rpc_cap **ret_cap);

/* samgrd's own capability (Samgr: list, watch, ...), a new reference in *ret_cap;
 * reconnects first like nexus_resolve(). -ENOTCONN if samgrd is gone and cannot be reached. */
NEXUS_EXPORT int nexus_samgr(nexus *nx, struct nx_rpc_cap **ret_cap);

/* The deadline of a call starting now: CLOCK_MONOTONIC now plus the handle's timeout, or
 * UINT64_MAX when there is none (NULL: the default timeout); the deadline_ns to give a
 * generated <iface>_<m>_wait(). */
NEXUS_EXPORT uint64_t nexus_deadline(const nexus *nx);

/* Keeps the failure `err` of a blocking call on `call` (may be NULL: a generated _wait() sets
 * it to NULL when no call was made) as nexus_last_error(nx): the section 9 reason the call
 * holds ("too_large: text: longer than 256 bytes"), else, and for -ETIMEDOUT,
 * "<code>: <what>: <strerror>". `call` stays the caller's. Returns err. */
NEXUS_EXPORT int nexus_call_failed(
        nexus *nx, const struct nx_rpc_call *call, int err, const char *what);

/* The untyped blocking call, for calls built with a generated <iface>_<m>_start(): sends
 * `call` if not sent yet and waits until it returns or the deadline passes (then it is
 * canceled). 0 with *ret_result set (valid while `call` lives; the results are not checked
 * against the schema: the generated _send_wait() does that) when the call succeeded;
 * otherwise the negative errno of the failure (-ETIMEDOUT, -ENOENT for not_found, ...) kept
 * as nexus_call_failed() does. `call` stays the caller's. Do not call from a callback of
 * nexus_loop(). */
NEXUS_EXPORT int nexus_call_wait(nexus *nx, struct nx_rpc_call *call, const char *what,
        const struct nx_rpc_result **ret_result);

/* The timeout of nexus_resolve(), nexus_call_wait() and nexus_deadline(), in ns from the
 * start of each (UINT64_MAX: none). */
NEXUS_EXPORT void nexus_set_timeout(nexus *nx, uint64_t timeout_ns);

/* The loop that drives every channel of `nx` (borrowed, lives as long as nx): run it to serve
 * callbacks (the generated one-call forms, servers passed to services). */
NEXUS_EXPORT struct nx_loop *nexus_loop(nexus *nx);

/* Replaces the callback run when a resolved service's channel dies (NULL: none). */
NEXUS_EXPORT void nexus_set_gone_cb(nexus *nx, nexus_gone_cb cb, void *userdata);

/* The section 9 message of the last failure on `nx` ("" if none), or, with NULL, of the last
 * failed nexus_connect*() in this thread. Valid until the next call on the same handle. */
NEXUS_EXPORT const char *nexus_last_error(const nexus *nx);

/* Sets the message for a failure the caller detected itself (e.g. a malformed answer) in the
 * same form as the library's: "<code>: <what>: <strerror>". Returns err. */
NEXUS_EXPORT int nexus_set_error(nexus *nx, int err, const char *what);

#ifdef __cplusplus
}
#endif

#endif
