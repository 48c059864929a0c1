/* SPDX-License-Identifier: MIT */
#include "common.h"

#include <stdio.h>

int nxt_session_open(struct nxt_session *s, const char *service)
{
	if (nexus_connect(&s->nx) < 0)
		return nxt_report_last(NULL);
	s->loop = nexus_loop(s->nx);
	if (!s->anonymous)
		nxt_session_authenticate(s);
	if (service && nexus_resolve(s->nx, service, &s->svc) < 0)
		return nxt_report_last(s->nx);
	return 0;
}

void nxt_session_close(struct nxt_session *s)
{
	nx_rpc_cap_unref(s->svc);
	nexus_free(s->nx);
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
