/* SPDX-License-Identifier: MIT */
#include "app.h"

#include <string.h>

#include "nx-log/log.h"

int app_connect(nexus **ret_nx)
{
	int r = nexus_connect_fd(APP_BOOTSTRAP_FD, ret_nx);

	if (r < 0)
		nx_log(NX_LOG_ERROR, "bootstrap", "no channel to samgrd on fd %d: %s",
		        APP_BOOTSTRAP_FD, nexus_last_error(NULL));
	return r;
}

const char *app_reason(nexus *nx, const nx_rpc_call *call, int err, const char *what)
{
	(void)nexus_call_failed(nx, call, err, what);
	return nexus_last_error(nx);
}

int app_resolve(nexus *nx, const char *service, nx_rpc_cap **ret_cap, const char **ret_why)
{
	int r = nexus_resolve(nx, service, ret_cap);

	if (r < 0)
		*ret_why = nexus_last_error(nx);
	return r;
}
