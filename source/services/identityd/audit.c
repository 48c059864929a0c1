/* SPDX-License-Identifier: MIT */
/*
 * The audit trail: one journal record (scope "auth") per login attempt and per change of
 * users and sessions, through nx-log to logd, with fields a query can select on. Passwords
 * and tokens never reach it; a login for a user that does not exist is recorded without the
 * name tried, since people type passwords into the user field.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "identityd.h"
#include "nx-log/log.h"

void idd_audit(const char *event, const char *user, const char *subject, const char *outcome,
        uint64_t session)
{
	char id[24], message[64];
	struct nx_log_field fields[] = {
	        {"event", event},
	        {"user", user},
	        {"subject", subject},
	        {"outcome", outcome},
	        {"session", id},
	};
	bool ok = strcmp(outcome, "ok") == 0;

	(void)snprintf(id, sizeof(id), "%" PRIu64, session);
	(void)snprintf(message, sizeof(message), "%s %s", event, ok ? "succeeded" : "refused");
	nx_log_fields(ok ? NX_LOG_NOTICE : NX_LOG_WARN, "auth", message, fields, session ? 5 : 4);
}
