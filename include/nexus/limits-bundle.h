/* SPDX-License-Identifier: MIT */
/* Limits of userspace/bundle (the bundle format and its checks) and of bundlemgrd, included by
 * limits.h. The schema (bundle-format.capnp) states the same numbers. Freestanding. */
#ifndef NEXUS_LIMITS_BUNDLE_H
#define NEXUS_LIMITS_BUNDLE_H

#define BND_PAYLOAD_MAX   (256u * 1024u * 1024u) /* bytes of a bundle file (install payload) */
#define BND_ID_MAX        128u                   /* bytes of a bundle id */
#define BND_ID_LABELS_MAX 16u                    /* dot-separated labels of a bundle id */
#define BND_LABEL_MAX     63u                    /* bytes of one label */
#define BND_PATH_MAX      255u                   /* bytes of a path inside a bundle */
#define BND_FILES_MAX     4096u                  /* files in one bundle */
#define BND_CAPS_MAX      16u                    /* capabilities one bundle requests */
#define BND_CAP_MAX       128u                   /* bytes of one requested capability */
#define BND_ERROR_MAX     256u /* bytes of a check's error text, NUL included (longer: cut) */

/* The manifest source `nx bundle pack --manifest FILE` reads (spec.h): its size and the
 * longest line. */
#define BND_SPEC_MAX      16384u
#define BND_SPEC_LINE_MAX 1024u

/* bundlemgrd: summaries per list() page, watchers in all and per connection, bundles
 * installed at once (each one's grants are an overlay in policyd). */
#define BUNDLEMGRD_LIST_MAX              16u
#define BUNDLEMGRD_WATCHERS_MAX          64u
#define BUNDLEMGRD_WATCHERS_PER_CONN_MAX 4u
#define BUNDLEMGRD_BUNDLES_MAX           1024u

#endif
