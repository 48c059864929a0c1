/* SPDX-License-Identifier: MIT */
#include "common.h"

#include <stdio.h>
#include <string.h>

int nxt_report(const char *what, int err, const nx_rpc_result *res)
{
	if (res && res->reason && *res->reason)
		fprintf(stderr, "nx: %s\n", res->reason);
	else
		fprintf(stderr, "nx: %s: %s: %s\n", nx_rpc_reason_code(err), what, strerror(-err));
	return 1;
}

int nxt_report_last(const nexus *nx)
{
	fprintf(stderr, "nx: %s\n", nexus_last_error(nx));
	return 1;
}

int nxt_session_open(struct nxt_session *s, const char *service)
{
	if (nexus_connect(&s->nx) < 0)
		return nxt_report_last(NULL);
	s->loop = nexus_loop(s->nx);
	if (service && nexus_resolve(s->nx, service, &s->svc) < 0)
		return nxt_report_last(s->nx);
	return 0;
}

void nxt_session_close(struct nxt_session *s)
{
	nx_rpc_cap_unref(s->svc);
	nexus_free(s->nx);
}

int nxt_call_wait(
        struct nxt_session *s, nx_rpc_call *call, const char *what, const nx_rpc_result **ret)
{
	return nexus_call_wait(s->nx, call, what, ret) < 0 ? nxt_report_last(s->nx) : 0;
}

void nxt_json_string(const char *s, size_t len)
{
	putchar('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}
