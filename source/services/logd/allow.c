/* SPDX-License-Identifier: MIT */
/*
 * logd's fallback rule: what logd allows while policyd cannot be asked (not registered yet,
 * restarting, or a check failed). Every other decision is policyd's (ask.c).
 *
 *   svc:<name>  may log.append (the services' nx-log records are not lost meanwhile)
 *   anything else: nothing (no query, no follow, no uid:/app:/peer: append).
 */
#include <string.h>

#include "logd.h"

bool logd_fallback_allowed(const char *subject, const char *capability)
{
	if (!subject || !capability)
		return false;
	return strncmp(subject, "svc:", 4) == 0 && subject[4] &&
	       strcmp(capability, "log.append") == 0;
}
