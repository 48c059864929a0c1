/* SPDX-License-Identifier: MIT */
/*
 * samgrd's interim rule. DESIGN.md section 6 says "until policyd is up samgrd admits only
 * init's own adoptions": this rule decides until policyd has registered (policyd's own
 * registration is the first thing it admits) and again while policyd is down (killed, being
 * restarted). Otherwise every decision is policyd's, asked and cached by ask.c
 * (samgrd_decide), the one place samgr.c asks.
 *
 * Interim rule, deny by default:
 *   svc:<name>     may ipc.register.<name> (its own name only) and ipc.connect.*
 *   uid:<own uid>  may samgr.list and ipc.connect.* (the user samgrd runs as, through
 *                  samgr.sock: the operator's `nx`)
 *   anything else  nothing.
 */
#include <stdio.h>
#include <string.h>

#include "samgrd.h"

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool samgrd_allowed(const struct samgrd *d, const char *subject, const char *capability)
{
	char own_uid[32];

	if (has_prefix(subject, "svc:")) {
		const char *name = subject + 4;

		if (has_prefix(capability, "ipc.register."))
			return strcmp(capability + strlen("ipc.register."), name) == 0 && *name;
		return has_prefix(capability, "ipc.connect.");
	}
	snprintf(own_uid, sizeof(own_uid), "uid:%u", (unsigned)d->uid);
	if (strcmp(subject, own_uid) == 0)
		return strcmp(capability, "samgr.list") == 0 ||
		       has_prefix(capability, "ipc.connect.");
	return false;
}
