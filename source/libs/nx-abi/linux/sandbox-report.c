/* SPDX-License-Identifier: MIT */
/* nx-abi sandbox, the report's names and its one-line summary (sandbox.h). */
#include <string.h>

#include "abi-internal.h"
#include "nx-abi/sandbox.h"

const char *nx_sandbox_mech_name(enum nx_sandbox_mech m)
{
	static const char *const names[NX_SANDBOX_MECH_COUNT] = {
	        [NX_SANDBOX_NO_NEW_PRIVS] = "no_new_privs",
	        [NX_SANDBOX_LANDLOCK] = "landlock",
	        [NX_SANDBOX_SECCOMP] = "seccomp",
	        [NX_SANDBOX_CLOSE_RANGE] = "close_range",
	        [NX_SANDBOX_RLIMITS] = "rlimits",
	        [NX_SANDBOX_MOUNT_NS] = "mount_ns",
	        [NX_SANDBOX_CAPS] = "caps",
	        [NX_SANDBOX_IDENTITY] = "uid",
	        [NX_SANDBOX_NAMESPACES] = "ns",
	        [NX_SANDBOX_CGROUP] = "cgroup",
	};

	return (unsigned)m < NX_SANDBOX_MECH_COUNT ? names[m] : NULL;
}

const char *nx_sandbox_ns_name(enum nx_sandbox_ns ns)
{
	static const char *const names[NX_SANDBOX_NS_COUNT] = {
	        [NX_SANDBOX_NS_USER] = "user",
	        [NX_SANDBOX_NS_MOUNT] = "mnt",
	        [NX_SANDBOX_NS_PID] = "pid",
	        [NX_SANDBOX_NS_NET] = "net",
	        [NX_SANDBOX_NS_IPC] = "ipc",
	        [NX_SANDBOX_NS_UTS] = "uts",
	};

	return (unsigned)ns < NX_SANDBOX_NS_COUNT ? names[ns] : NULL;
}

void nx_sandbox_report_set(struct nx_sandbox_report *ret, enum nx_sandbox_mech m, int error)
{
	ret->mech[m].status = error < 0 ? NX_SANDBOX_UNAVAILABLE : NX_SANDBOX_APPLIED;
	ret->mech[m].error = error < 0 ? error : 0;
}

/* Appends text to buf as far as it fits; *len counts all of it, fitting or not. */
static void put(char *buf, size_t size, size_t *len, const char *text)
{
	size_t n = strlen(text);

	if (*len < size)
		memcpy(buf + *len, text, n < size - *len ? n : size - *len);
	*len += n;
}

/* The namespaces applied, after "ns:", joined by '+'. A namespaces mechanism reported
 * UNAVAILABLE still lists the ones that were made. */
static void put_namespaces(
        const struct nx_sandbox_report *report, char *buf, size_t size, size_t *len)
{
	bool first = true;

	for (int i = 0; i < NX_SANDBOX_NS_COUNT; i++) {
		if (report->ns[i].status != NX_SANDBOX_APPLIED)
			continue;
		put(buf, size, len, first ? ":" : "+");
		put(buf, size, len, nx_sandbox_ns_name(i));
		first = false;
	}
}

static bool any_namespace(const struct nx_sandbox_report *report)
{
	for (int i = 0; i < NX_SANDBOX_NS_COUNT; i++)
		if (report->ns[i].status == NX_SANDBOX_APPLIED)
			return true;
	return false;
}

int nx_sandbox_report_format(const struct nx_sandbox_report *report, char *buf, size_t size)
{
	size_t len = 0;

	assert_return(report && buf && size > 0, -EINVAL);
	for (int m = 0; m < NX_SANDBOX_MECH_COUNT; m++) {
		bool applied = report->mech[m].status == NX_SANDBOX_APPLIED;

		if (m == NX_SANDBOX_NAMESPACES)
			applied = any_namespace(report);
		if (!applied)
			continue;
		put(buf, size, &len, len ? "," : "");
		put(buf, size, &len, nx_sandbox_mech_name(m));
		if (m == NX_SANDBOX_SECCOMP && report->seccomp_profile != NX_SECCOMP_SERVICE &&
		        nx_seccomp_profile_name(report->seccomp_profile)) {
			put(buf, size, &len, ":");
			put(buf, size, &len, nx_seccomp_profile_name(report->seccomp_profile));
		}
		if (m == NX_SANDBOX_NAMESPACES)
			put_namespaces(report, buf, size, &len);
	}
	if (len == 0)
		put(buf, size, &len, "-");
	if (len >= size) {
		buf[size - 1] = '\0';
		return -ENOBUFS;
	}
	buf[len] = '\0';
	return (int)len;
}
