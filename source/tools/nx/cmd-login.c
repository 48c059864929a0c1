/* SPDX-License-Identifier: MIT */
/*
 * nx login / nx logout: open and end a session with identityd (identity.capnp). The token is
 * kept in the user's own 0600 file (session.c says where); every later nx command presents
 * it to samgrd and is user:<name> for policy.
 *
 *   nx login USER [--password-stdin]   the password from the terminal without echo, or one
 *                                      line of stdin; never from argv
 *   nx logout                          end the session and forget the token
 *
 * Exit codes: 0 success, 1 refused or unreachable, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "identity.capnp.h"

int nx_cmd_login(int argc, char **argv);
int nx_cmd_logout(int argc, char **argv);

static int usage(FILE *f, int code)
{
	fprintf(f,
	        "usage: nx login USER [--password-stdin]   open a session as USER\n"
	        "       nx logout                          end it\n"
	        "The password is read without echo from the terminal, or as one line of stdin\n"
	        "with --password-stdin. The session token is kept, readable by you only, in\n"
	        "$NEXUS_SESSION_FILE, else $XDG_RUNTIME_DIR/nexus/session, else\n"
	        "~/.nexus/session; while it is there every nx command is user:USER to policy.\n");
	return code;
}

static int login(struct nxt_session *s, const char *user, bool from_stdin)
{
	char pw[IDN_PASSWORD_MAX + 2], path[4096];
	identity_login_results out;
	identity_session session;
	nx_rpc_call *call = NULL;
	const uint8_t *token = NULL;
	size_t len = 0, tlen = 0;
	int r;

	r = nxt_read_password("Password", from_stdin, false, pw, sizeof(pw), &len);
	if (r != 0)
		return r;
	s->anonymous = true; /* a new session: the old token, if any, is not presented */
	r = nxt_session_open(s, "identityd");
	if (r == 0) {
		r = identity_login_wait(
		        identity_from_cap(s->svc), user, pw, nexus_deadline(s->nx), &call, &out);
		if (r < 0)
			r = nxt_report_call(s, call, r, "login");
	}
	explicit_bzero(pw, sizeof(pw));
	if (r == 0) {
		(void)identity_login_results_get_token(out, &token, &tlen); /* validated */
		session = identity_login_results_get_session(out);
		r = tlen == IDN_TOKEN_BYTES ? nxt_token_save(token) : -EBADMSG;
		if (r < 0)
			r = nxt_report("keeping the session token", r);
		else if (nxt_session_path(path, sizeof(path)) == 0)
			printf("logged in as %s (session %" PRIu64 "), token in %s\n", user,
			        identity_session_get_id(session), path);
	}
	nx_rpc_call_free(call); /* the token bytes lived in its answer */
	return r;
}

static int logout(struct nxt_session *s)
{
	uint8_t token[IDN_TOKEN_BYTES];
	identity_logout_results out;
	nx_rpc_call *call = NULL;
	int r = nxt_token_load(token);

	if (r == -ENOENT) {
		fprintf(stderr, "nx: not_found: not logged in (no session file)\n");
		return 1;
	}
	if (r < 0)
		return nxt_report("reading the session file", r);
	s->anonymous = true;
	r = nxt_session_open(s, "identityd");
	if (r == 0)
		r = identity_logout_wait(identity_from_cap(s->svc), token, sizeof(token),
		        nexus_deadline(s->nx), &call, &out);
	explicit_bzero(token, sizeof(token));
	/* An expired or revoked session is over already: the file goes either way. */
	if (r == 0 || r == -EPERM) {
		(void)nxt_token_forget();
		printf("%s\n",
		        r == 0 ? "logged out" : "session had ended already; token forgotten");
		r = 0;
	} else if (r < 0) {
		r = nxt_report_call(s, call, r, "logout");
	}
	nx_rpc_call_free(call);
	return r;
}

int nx_cmd_login(int argc, char **argv)
{
	struct nxt_session s = {0};
	bool pw_stdin = argc == 3 && strcmp(argv[2], "--password-stdin") == 0;
	int r;

	if (argc >= 2 && strcmp(argv[argc - 1], "--help") == 0)
		return usage(stdout, 0);
	if (argc != 2 && !pw_stdin) {
		fprintf(stderr, "nx: login: %s\n",
		        argc < 2 ? "USER missing" : "too many arguments");
		return usage(stderr, 2);
	}
	r = login(&s, argv[1], pw_stdin);
	nxt_session_close(&s);
	return r;
}

int nx_cmd_logout(int argc, char **argv)
{
	struct nxt_session s = {0};
	int r;

	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return usage(stdout, 0);
	if (argc != 1) {
		fprintf(stderr, "nx: logout: %s: not understood\n", argv[1]);
		return usage(stderr, 2);
	}
	r = logout(&s);
	nxt_session_close(&s);
	return r;
}
