/* SPDX-License-Identifier: MIT */
/*
 * The policy language (DESIGN.md section 8): parse, compile, check, explain, version.
 *
 * Pure: no I/O. Files are read through a caller-supplied loader; a load either yields a complete
 * compiled policy or an error "file:line: message", never half of one.
 *
 * Grammar, one statement per line (tabs and spaces separate tokens):
 *   # comment                        ('#' at the start of a token comments out the rest)
 *   allow <subject-pattern> <capability-pattern>...
 *   deny  <subject-pattern> <capability-pattern>...
 *   include <relative-file>
 *
 * Tokens are printable ASCII (0x21-0x7e) except '#'. A pattern is either exact or ends in '*'
 * at a segment boundary. Subjects' separators are ':' and '/' (svc:logd, peer:dev1/app:x);
 * capabilities' separator is '.' (ipc.connect.logd). "P*" requires P to be empty or to end in a
 * separator, and matches every string that starts with P and has at least one more character:
 * "app:*" matches "app:mail" and "app:mail/x", never "app:", "app" or "apple"; "*" matches
 * every non-empty string. '*' anywhere else is an error.
 *
 * Decision: a request is allowed iff an allow rule matches and no deny rule matches (deny wins,
 * default deny). Order in the file does not change decisions.
 */
#ifndef NEXUS_POLICY_H
#define NEXUS_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "nexus/limits.h" /* POL_*_MAX: nexus/limits-policy.h */

#define POL_VERSION_LEN   64u                       /* hex digits of the version (SHA-256) */
#define POL_RULE_TEXT_MAX (2u * POL_TOKEN_MAX + 8u) /* "allow S C" plus NUL */

#define POL_EXPORT __attribute__((visibility("default")))

typedef struct pol_policy pol_policy;

typedef enum pol_verdict {
	POL_DENY = 0,
	POL_ALLOW = 1,
} pol_verdict;

/*
 * Reads one file. path is relative to the policy root ("default.policy", "sub/apps.policy"),
 * never absolute and never containing "." or ".." segments. On success sets *ret_data and *ret_len
 * to bytes the loader keeps alive until pol_load() returns (the library copies what it keeps)
 * and returns >= 0; on failure returns a negative errno (-ENOENT, ...), reported in the error.
 */
typedef int (*pol_loader_fn)(void *ctx, const char *path, const void **ret_data, size_t *ret_len);

/* Where and why a load failed. text is the whole message, "file:line: message". */
typedef struct pol_error {
	char file[POL_PATH_MAX + 1]; /* empty when no file is involved */
	unsigned line;               /* 0 when the error is about a whole file */
	char text[POL_ERROR_MAX];
} pol_error;

/* Which rule decided a check. */
typedef struct pol_explanation {
	pol_verdict verdict;
	bool by_default;              /* no rule matched: deny by default */
	const char *file;             /* borrowed from the policy; NULL when by_default */
	unsigned line;                /* 0 when by_default */
	char rule[POL_RULE_TEXT_MAX]; /* "deny app:* policy.reload" or "no rule: deny by default" */
} pol_explanation;

typedef struct pol_query {
	const char *subject;
	const char *cap;
} pol_query;

/*
 * Loads root_path through loader, following includes, and compiles it. On success *ret_policy
 * owns a new policy (free with pol_free) and 0 is returned; on failure *ret_policy is untouched,
 * *ret_err (if not NULL) describes the first error and:
 *   -EINVAL   bad arguments (NULL, root_path not a valid relative path)
 *   -EBADMSG  syntax error, bad pattern, bad include path
 *   -EMSGSIZE a line, token, path or file too long; too many rules or files
 *   -ELOOP    include cycle or include depth over POL_INCLUDE_DEPTH_MAX
 *   -ENOMEM   out of memory
 *   other     the loader's own negative errno
 */
POL_EXPORT int pol_load(const char *root_path, pol_loader_fn loader, void *ctx,
        pol_policy **ret_policy, pol_error *ret_err);

/* Same, with the root file's bytes given (borrowed for the call); loader may be NULL if the
 * policy has no includes (an include then fails with -ENOENT). */
POL_EXPORT int pol_parse(const char *root_path, const void *data, size_t len, pol_loader_fn loader,
        void *ctx, pol_policy **ret_policy, pol_error *ret_err);

/* Takes NULL; returns NULL. */
POL_EXPORT pol_policy *pol_free(pol_policy *p);

/* Decides one request. Fails closed: a NULL/empty/over-long/non-printable subject or capability,
 * or a NULL policy, is POL_DENY. */
POL_EXPORT pol_verdict pol_check(const pol_policy *p, const char *subject, const char *cap);

/* Decides n requests into ret_verdicts[0..n). Returns 0, -EINVAL (NULL arguments) or -E2BIG
 * (n > POL_CHECK_MANY_MAX); ret_verdicts untouched on failure. */
POL_EXPORT int pol_check_many(
        const pol_policy *p, const pol_query *queries, size_t n, pol_verdict *ret_verdicts);

/* Like pol_check, also saying which rule decided: the first deny rule in load order that matches,
 * else the first matching allow rule, else "no rule: deny by default". The explanation borrows
 * the file name from p. Returns 0, or -EINVAL for NULL p/ret or an invalid subject/capability. */
POL_EXPORT int pol_explain(
        const pol_policy *p, const char *subject, const char *cap, pol_explanation *ret);

/* SHA-256 of the canonical form, POL_VERSION_LEN lowercase hex digits; borrowed from p. */
POL_EXPORT const char *pol_version(const pol_policy *p);

/* The canonical form: one "allow|deny SUBJECT CAP\n" line per distinct rule, sorted bytewise,
 * includes flattened, no comments. Borrowed from p; *ret_len excludes the NUL terminator. */
POL_EXPORT const char *pol_canonical(const pol_policy *p, size_t *ret_len);

/* Number of distinct (effect, subject, capability) rules. */
POL_EXPORT size_t pol_rule_count(const pol_policy *p);

/* One rule as written: one subject pattern and one capability pattern of an allow or deny line
 * (a line naming several capabilities is several rules). Texts are NUL-terminated and
 * borrowed from the policy. */
typedef struct pol_rule {
	pol_verdict effect;
	const char *subject;
	const char *cap;
	const char *file;
	unsigned line;
} pol_rule;

/* Rules in load order (includes where they are included; duplicates kept): how many, and the
 * i-th into *ret (0, or -ERANGE past the last). */
POL_EXPORT size_t pol_rules_len(const pol_policy *p);
POL_EXPORT int pol_rule_at(const pol_policy *p, size_t i, pol_rule *ret);

/* Whether `pattern` (a token of the language, already checked: exact, or "P*" with P ending
 * at a separator) matches the string s: "P*" matches every s that starts with P and has at
 * least one byte more. */
POL_EXPORT bool pol_pattern_matches(const char *pattern, const char *s);

#endif
