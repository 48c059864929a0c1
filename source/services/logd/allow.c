/* SPDX-License-Identifier: MIT */
/*
 * logd's policy seam. policyd is being written at the same time as logd, so logd cannot ask
 * it yet: this file holds the INTERIM rule, and is the only place logd decides authority.
 *
 *   svc:<name>  may log.append, log.query and log.follow (the core services, nexus-init)
 *   uid:<n>     may log.append, log.query and log.follow (local users through samgr.sock;
 *               samgrd already limits who gets a channel to logd)
 *   anything else: nothing.
 * This is broader than policies/default.policy (which gives log.query and log.follow to
 * uid:0 and chosen services only): the point of the seam is that the file goes away.
 */
#include <string.h>

#include "logd.h"

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool logd_interim_allowed(const char *subject, const char *capability)
{
	if (!subject || !capability)
		return false;
	if (!(has_prefix(subject, "svc:") && subject[4]) &&
	        !(has_prefix(subject, "uid:") && subject[4]))
		return false;
	return strcmp(capability, "log.append") == 0 || strcmp(capability, "log.query") == 0 ||
	       strcmp(capability, "log.follow") == 0;
}
