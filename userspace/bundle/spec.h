/* SPDX-License-Identifier: MIT */
/*
 * The manifest source `nx bundle pack --manifest FILE` reads: what a publisher writes by hand,
 * one `key = value` per line (the files come from the directory packed):
 *
 *   # comment (a line starting with '#'; blank lines are skipped)
 *   id         = org.nexus.hello          required: the bundle id (rules.h)
 *   version    = 3                        required: 1 .. 2^64-1
 *   entry      = bin/hello                required: the path of an executable file
 *   restart    = on-failure               never | on-failure | always (default never)
 *   caps       = log.append rng.entropy   requested capabilities; the key may repeat
 *   memory     = 64M                      bytes, with an optional K, M or G suffix (0: default)
 *   tasks      = 16                       (0: default)
 *   open-files = 64                       (0: default)
 *
 * Every key but caps at most once; unknown keys, a bad value, an id, entry or capability
 * breaking rules.h are errors naming the line. At most BND_SPEC_MAX bytes, lines of at most
 * BND_SPEC_LINE_MAX.
 */
#ifndef BUNDLE_SPEC_H
#define BUNDLE_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"

struct bnd_limits {
	uint64_t memory_bytes;
	uint32_t tasks;
	uint32_t open_files;
};

/* What the manifest says besides the files. Restart values are the schema's (NXB_RESTART_*:
 * 0 never, 1 on-failure, 2 always). */
struct bnd_spec {
	char id[BND_ID_MAX + 1];
	uint64_t version;
	char entry[BND_PATH_MAX + 1];
	char caps[BND_CAPS_MAX][BND_CAP_MAX + 1];
	size_t ncaps;
	unsigned restart;
	struct bnd_limits limits;
};

/* "line N: message". */
struct bnd_spec_error {
	unsigned line; /* 0: about the whole text */
	char text[BND_ERROR_MAX];
};

/* Parses `text` (len bytes, borrowed) into *ret. 0, or -EINVAL (a line breaks the format or a
 * rule), -EMSGSIZE (text, a line or the caps over their limits) with *ret_err filled (if not
 * NULL); *ret is untouched on failure. */
int bnd_spec_parse(
        const char *text, size_t len, struct bnd_spec *ret, struct bnd_spec_error *ret_err);

/* The name of a restart value as the manifest source writes it, or NULL. */
const char *bnd_restart_name(unsigned restart);

#endif
