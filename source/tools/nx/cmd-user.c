/* SPDX-License-Identifier: MIT */
/*
 * nx user: local users kept by identityd (identity.capnp). Needs identity.admin (root, in
 * policies/default.policy).
 *
 *   nx user add NAME [--password-stdin]      create NAME; the password is read from the
 *                                            terminal without echo (twice) or from one line
 *                                            of stdin, never from argv
 *   nx user passwd NAME [--password-stdin]   replace NAME's password; its sessions end
 *   nx user remove NAME                      remove NAME; its sessions end
 *   nx user list [--json]                    every user, with its live sessions
 *
 * Exit codes: 0 success, 1 refused or unreachable, 2 usage.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "identity.capnp.h"

int nx_cmd_user(int argc, char **argv);

static int usage(FILE *f, int code)
{
	fprintf(f,
	        "usage: nx user add NAME [--password-stdin]     create a user (identity.admin)\n"
	        "       nx user passwd NAME [--password-stdin]  set its password; its sessions end\n"
	        "       nx user remove NAME                     remove it; its sessions end\n"
	        "       nx user list [--json]                   users and their live sessions\n"
	        "The password is read without echo from the terminal, or as one line of stdin\n"
	        "with --password-stdin; never from the command line.\n");
	return code;
}

static int add_or_passwd(struct nxt_session *s, bool add, const char *name, bool from_stdin)
{
	char pw[IDN_PASSWORD_MAX + 2];
	nx_rpc_call *call = NULL;
	size_t len = 0;
	int r;

	r = nxt_read_password("New password", from_stdin, true, pw, sizeof(pw), &len);
	if (r != 0)
		return r;
	r = nxt_session_open(s, "identityd");
	if (r == 0) {
		if (add) {
			identity_add_user_results out;

			r = identity_add_user_wait(identity_from_cap(s->svc), name, pw,
			        nexus_deadline(s->nx), &call, &out);
		} else {
			identity_set_password_results out;

			r = identity_set_password_wait(identity_from_cap(s->svc), name, pw,
			        nexus_deadline(s->nx), &call, &out);
		}
		if (r < 0)
			r = nxt_report_call(s, call, r, add ? "add" : "passwd");
		else
			printf("%s: %s\n", name, add ? "added" : "password set, sessions ended");
	}
	explicit_bzero(pw, sizeof(pw));
	nx_rpc_call_free(call);
	return r;
}

static int user_remove(struct nxt_session *s, const char *name)
{
	identity_remove_user_results out;
	nx_rpc_call *call = NULL;
	int r = nxt_session_open(s, "identityd");

	if (r != 0)
		return r;
	r = identity_remove_user_wait(
	        identity_from_cap(s->svc), name, nexus_deadline(s->nx), &call, &out);
	if (r < 0)
		r = nxt_report_call(s, call, r, "remove");
	else
		printf("%s: removed\n", name);
	nx_rpc_call_free(call);
	return r;
}

/* One page of users after `after`; *ret_more/ret_last say where the next starts. */
static int list_page(struct nxt_session *s, const char *after, bool json, unsigned *count,
        bool *ret_more, char *ret_last, size_t last_size)
{
	identity_list_users_results out;
	nx_capnp_list users = {0};
	nx_rpc_call *call = NULL;
	int r;

	r = identity_list_users_wait(
	        identity_from_cap(s->svc), after, nexus_deadline(s->nx), &call, &out);
	if (r < 0) {
		r = nxt_report_call(s, call, r, "list");
		nx_rpc_call_free(call);
		return r;
	}
	(void)identity_list_users_results_get_users(out, &users); /* validated */
	for (uint32_t i = 0; i < users.count; i++) {
		identity_user_entry e = identity_user_entry_at(&users, i);
		const char *name = "";
		size_t len = 0;

		(void)identity_user_entry_get_name(e, &name, &len);
		if (json) {
			printf("%s{\"name\":", (*count)++ ? "," : "");
			nxt_json_string(name, len);
			printf(",\"created_ns\":%" PRIu64 ",\"sessions\":%" PRIu32 "}",
			        identity_user_entry_get_created_at(e),
			        identity_user_entry_get_sessions(e));
		} else {
			(*count)++;
			printf("%-32.*s %" PRIu32 "\n", (int)len, name,
			        identity_user_entry_get_sessions(e));
		}
		(void)snprintf(ret_last, last_size, "%.*s", (int)len, name);
	}
	*ret_more = identity_list_users_results_get_more(out) && users.count > 0;
	nx_rpc_call_free(call);
	return 0;
}

static int user_list(struct nxt_session *s, bool json)
{
	char after[IDN_USER_MAX + 1] = "";
	unsigned count = 0;
	bool more = true;
	int r = nxt_session_open(s, "identityd");

	if (r != 0)
		return r;
	if (json)
		printf("[");
	else
		printf("%-32s %s\n", "NAME", "SESSIONS");
	while (more && r == 0)
		r = list_page(s, after, json, &count, &more, after, sizeof(after));
	if (json && r == 0)
		printf("]\n");
	return r;
}

int nx_cmd_user(int argc, char **argv)
{
	struct nxt_session s = {0};
	const char *sub = argc >= 2 ? argv[1] : "";
	bool pw_stdin = argc == 4 && strcmp(argv[3], "--password-stdin") == 0;
	int r;

	if (argc >= 2 && strcmp(argv[argc - 1], "--help") == 0)
		return usage(stdout, 0);
	if ((strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0) && (argc == 3 || pw_stdin))
		r = add_or_passwd(&s, strcmp(sub, "add") == 0, argv[2], pw_stdin);
	else if (strcmp(sub, "remove") == 0 && argc == 3)
		r = user_remove(&s, argv[2]);
	else if (strcmp(sub, "list") == 0 &&
	         (argc == 2 || (argc == 3 && strcmp(argv[2], "--json") == 0)))
		r = user_list(&s, argc == 3);
	else {
		if (argc >= 2)
			fprintf(stderr, "nx: user: %s: not understood\n",
			        argc > 4 || !*sub ? "arguments" : argv[argc - 1]);
		return usage(stderr, 2);
	}
	nxt_session_close(&s);
	return r;
}
