/* SPDX-License-Identifier: MIT */
/*
 * keystore refs: the names a caller gives keys and signing domains, and which stored key a
 * reference means for a given subject (ownership).
 *
 * A subject addresses only its own keys: the owner of a named key is always the subject of the
 * connection it was asked through (samgrd's word), so no reference can reach another
 * subject's key. The one shared key is the device key, "@device": owned by svc:keystored,
 * usable by any subject policy lets sign, never created or deleted through a reference.
 *
 * Pure: no I/O.
 */
#ifndef KEYSTORE_REF_H
#define KEYSTORE_REF_H

#include <stdbool.h>
#include <stddef.h>

#include "nexus/limits.h" /* KS_NAME_MAX, KS_DOMAIN_MAX */

/* The reference that means the device key, and where it is stored. */
#define KS_DEVICE_REF   "@device"
#define KS_DEVICE_OWNER "svc:keystored"
#define KS_DEVICE_NAME  "device"

/* 1..KS_NAME_MAX bytes of [A-Za-z0-9._-], not starting with '.' or '-' (so no name is "." or
 * "..", or looks like an option on a command line). */
bool ks_name_valid(const char *name, size_t len);

/* 1..KS_DOMAIN_MAX bytes of [a-z0-9._-], not starting or ending with '.' and without "..":
 * the domain becomes the capability segment crypto.sign.<domain>, which must stay one
 * well-formed policy token. */
bool ks_domain_valid(const char *domain, size_t len);

/* The stored key a reference means. owner and name point into the caller's strings or static
 * text, valid as long as those. */
struct ks_ref {
	const char *owner;
	const char *name;
	bool device;
};

/* Resolves `key` (len bytes, NUL-terminated at key[len]) as asked by
 * `subject`: KS_DEVICE_REF is the device key, a valid name is the subject's own key of that
 * name. -EINVAL: neither (or an empty subject); -EPERM: `subject` is keystored's own, whose
 * only key is the device key. */
int ks_ref_resolve(const char *subject, const char *key, size_t len, struct ks_ref *ret);

#endif
