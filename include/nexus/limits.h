/* SPDX-License-Identifier: MIT */
/*
 * Every limit Nexus enforces, in one place (DESIGN.md section 4): the system's here, each
 * library's in the limits-<library>.h it includes, under the library's prefix. Each constant
 * has a test that crosses it (tests/unit/limits checks that one exists). Freestanding: no libc
 * headers.
 */
#ifndef NEXUS_LIMITS_H
#define NEXUS_LIMITS_H

/* A control message, framing (segment table) included. Larger payloads travel as VMOs. */
#define NX_MSG_MAX_BYTES 4096u

/* File descriptors attached to one message; more, or a truncated SCM_RIGHTS, fails the link. */
#define NX_MSG_MAX_FDS 4u

/* Segments in one framed message. A control message fits in one or two; 64 leaves room for
 * far pointers in VMO-borne messages while bounding the segment table we must parse. */
#define NX_CAPNP_MAX_SEGMENTS 64u

/* Reader traversal budget: this many times the message's size in words. Stops amplification
 * through pointers that alias the same object. */
#define NX_CAPNP_TRAVERSAL_FACTOR 8u

/* Maximum depth of nested structs and lists a reader follows. */
#define NX_CAPNP_NESTING_LIMIT 64

/* Questions (calls awaiting a return) a peer may have outstanding on one connection. */
#define NX_RPC_MAX_QUESTIONS 256u

/* Capabilities one connection may export or import at once. */
#define NX_RPC_MAX_CAPS 1024u

/* Bytes of stream calls (framed size) a client may have unacknowledged on one target before
 * nx_rpc_stream_send() refuses with -EAGAIN. */
#define NX_RPC_STREAM_WINDOW (16u * 1024u)

/* Longest exception reason nx-rpc keeps or sends (bytes, without the NUL); longer is cut. */
#define NX_RPC_REASON_MAX 255u

/* Pointer fields one pipelined promise may follow from a call's results (its transform). */
#define NX_RPC_PIPELINE_DEPTH_MAX 16u

/* Bytes nx-rpc queues for sending on one connection; a peer that stops reading past it loses
 * the connection. */
#define NX_RPC_TX_QUEUE_MAX (1u << 20)

/* Connections one subject may hold to one service, and one service in total. */
#define NX_CONN_MAX_PER_SUBJECT 64u
#define NX_CONN_MAX_PER_SERVICE 4096u

/* Largest VMO accepted from a peer; interfaces set lower caps. */
#define NX_VMO_MAX_BYTES (1ull << 30)

/* Directories one nx-abi sandbox profile may grant (Landlock rules). */
#define NX_SANDBOX_MAX_PATHS 12u

/* fds one nx-abi spawn may map into the child (bootstrap channel, readiness, stdio, a few
 * more). */
#define NX_SPAWN_MAX_FDS 8u

/* Each library's own limits, under its own prefix. */
#include "nexus/limits-fdstore.h"
#include "nexus/limits-init.h"
#include "nexus/limits-journal.h"
#include "nexus/limits-keystore.h"
#include "nexus/limits-log.h"
#include "nexus/limits-logd.h"
#include "nexus/limits-policy.h"
#include "nexus/limits-policyd.h"
#include "nexus/limits-ratelog.h"
#include "nexus/limits-registry.h"
#include "nexus/limits-supervise.h"
#include "nexus/limits-svc.h"
#include "nexus/limits-forward.h"
#include "nexus/limits-rng.h"
#include "nexus/limits-identity.h"
#include "nexus/limits-vfs.h"
#include "nexus/limits-bundle.h"
#include "nexus/limits-exec.h"
#include "nexus/limits-sandbox.h"

#endif
