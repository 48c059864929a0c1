/* SPDX-License-Identifier: MIT */
/*
 * policyd's store: the policy directory and the policy in force.
 *
 * The directory is opened once (nx_dir_open) and every file the policy language asks for (the
 * root `default.policy` and its includes) is read beneath it (nx_file_read_beneath, nx-abi
 * file.h): an absolute path, a `..` or a symlink leading out of the directory is refused by
 * the kernel, and only regular files of at most POL_FILE_MAX bytes are read.
 * A reload parses everything or changes nothing.
 */
#ifndef POLICYD_STORE_H
#define POLICYD_STORE_H

#include <stdbool.h>

#include "policy/policy.h"

/* The root file of a policy directory. */
#define POLD_ROOT_FILE "default.policy"

typedef struct pold_store pold_store;

/* Opens `dir` (a directory; borrowed) and loads its policy. On success *ret owns the store,
 * with a policy in force. On failure *ret is untouched and -ENOTDIR/-ENOENT/... (the
 * directory), or pol_load()'s error with *ret_err (if not NULL) saying file:line. */
int pold_store_open(const char *dir, pold_store **ret, pol_error *ret_err);

/* Re-reads the directory. 0: the new policy is in force and *ret_changed (if not NULL) tells
 * whether its version differs from the old one. < 0: pol_load()'s error, *ret_err filled, the
 * old policy stays in force. */
int pold_store_reload(pold_store *s, bool *ret_changed, pol_error *ret_err);

/* The root of the policy when install-time grants are set (pold_store_set_overlay): a file
 * that is not read from the directory but made of "include default.policy" and the grants. */
#define POLD_GRANTS_FILE "bundle-grants"

/* Sets the install-time grants: `overlay` (len bytes, copied; "allow <subject> <cap>" lines,
 * empty for none) is parsed as the rest of POLD_GRANTS_FILE after its include, with the
 * directory read again. As reload: 0 with the new policy in force (*ret_changed when its
 * version differs), or pol_load()'s error with *ret_err filled and nothing changed. */
int pold_store_set_overlay(
        pold_store *s, const char *overlay, size_t len, bool *ret_changed, pol_error *ret_err);

/* The policy in force (borrowed; valid until the next successful reload or free). */
const pol_policy *pold_store_policy(const pold_store *s);

/* Takes NULL, returns NULL. */
pold_store *pold_store_free(pold_store *s);

#endif
