/* SPDX-License-Identifier: MIT */
/*
 * The session token `nx login` keeps, and presenting it. The file is the user's own, 0600,
 * holding the 32-byte token as 64 hex digits and a newline:
 *   $NEXUS_SESSION_FILE if set, else $XDG_RUNTIME_DIR/nexus/session (a tmpfs that goes with
 *   the user's login session), else ~/.nexus/session.
 * Every nx command connects, then, if the file exists, presents the token with
 * Samgr.authenticate: from then on samgrd sees the connection as user:<name>.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "identity.capnp.h"
#include "nx-abi/secret.h"
#include "samgr.capnp.h"

#define HEX_LEN (2 * IDN_TOKEN_BYTES)
_Static_assert(IDN_TOKEN_BYTES == IDENTITY_TOKEN_LEN, "one token size");

int nxt_session_path(char *buf, size_t size)
{
	const char *file = getenv("NEXUS_SESSION_FILE"), *xdg = getenv("XDG_RUNTIME_DIR");
	const char *home = getenv("HOME");
	int n;

	if (file && *file)
		n = snprintf(buf, size, "%s", file);
	else if (xdg && *xdg)
		n = snprintf(buf, size, "%s/nexus/session", xdg);
	else if (home && *home)
		n = snprintf(buf, size, "%s/.nexus/session", home);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int nxt_token_load(uint8_t token[IDN_TOKEN_BYTES])
{
	char path[4096], text[HEX_LEN + 2];
	size_t len = 0;
	int r = nxt_session_path(path, sizeof(path));

	if (r >= 0)
		r = nx_secret_file_read(path, text, sizeof(text), &len);
	if (r < 0)
		return r;
	if (len != HEX_LEN + 1 || text[HEX_LEN] != '\n')
		r = -EBADMSG;
	for (size_t i = 0; r >= 0 && i < IDENTITY_TOKEN_LEN; i++) {
		int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			r = -EBADMSG;
		else
			token[i] = (uint8_t)(hi << 4 | lo);
	}
	explicit_bzero(text, sizeof(text));
	return r;
}

int nxt_token_save(const uint8_t token[IDN_TOKEN_BYTES])
{
	static const char digits[] = "0123456789abcdef";
	char path[4096], text[HEX_LEN + 1];
	int r = nxt_session_path(path, sizeof(path));

	if (r < 0)
		return r;
	for (size_t i = 0; i < IDENTITY_TOKEN_LEN; i++) {
		text[2 * i] = digits[token[i] >> 4];
		text[2 * i + 1] = digits[token[i] & 15];
	}
	text[HEX_LEN] = '\n';
	r = nx_secret_file_write(path, text, sizeof(text));
	explicit_bzero(text, sizeof(text));
	return r;
}

int nxt_token_forget(void)
{
	char path[4096];
	int r = nxt_session_path(path, sizeof(path));

	return r < 0 ? r : nx_secret_file_remove(path);
}

void nxt_session_authenticate(struct nxt_session *s)
{
	uint8_t token[IDN_TOKEN_BYTES];
	samgr_authenticate_params_b params;
	samgr_authenticate_results out;
	nx_rpc_cap *samgr = NULL;
	nx_rpc_call *call = NULL;
	int r = nxt_token_load(token);

	/* Not logged in (or the path is not ours to read, as for a daemon user whose HOME is
	 * someone else's): the connection's own subject. */
	if (r == -ENOENT || r == -EACCES || r == -ENOTDIR)
		return;
	if (r < 0) {
		fprintf(stderr, "nx: warning: session file unusable (%s); not authenticated\n",
		        r == -EPERM ? "others may read it, or not yours" : strerror(-r));
		return;
	}
	r = nexus_samgr(s->nx, &samgr);
	if (r >= 0)
		r = samgr_authenticate_start(samgr_from_cap(samgr), &call, &params);
	if (r >= 0)
		r = samgr_authenticate_params_set_token(params, token, sizeof(token));
	explicit_bzero(token, sizeof(token));
	if (r >= 0)
		r = samgr_authenticate_send_wait(call, nexus_deadline(s->nx), &out);
	s->authenticated = r >= 0;
	if (r < 0) {
		(void)nexus_call_failed(s->nx, call, r, "authenticate");
		fprintf(stderr, "nx: warning: session not accepted (%s); `nx login` again\n",
		        nexus_last_error(s->nx));
	}
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(samgr);
}

int nxt_read_password(
        const char *what, bool from_stdin, bool confirm, char *buf, size_t size, size_t *ret_len)
{
	char again[IDN_PASSWORD_MAX + 2];
	size_t len = 0, len2 = 0;
	int r;

	if (!from_stdin && !isatty(STDIN_FILENO)) {
		fprintf(stderr,
		        "nx: no terminal to read the password from: use --password-stdin\n");
		return 2;
	}
	if (!from_stdin)
		fprintf(stderr, "%s: ", what);
	r = nx_secret_read_line(STDIN_FILENO, buf, size, &len);
	if (!from_stdin)
		fputc('\n', stderr); /* the newline typed was not echoed */
	if (r >= 0 && len > IDN_PASSWORD_MAX)
		r = -EMSGSIZE; /* said here, before anything is sent */
	if (r >= 0 && confirm && !from_stdin) {
		fprintf(stderr, "%s again: ", what);
		r = nx_secret_read_line(STDIN_FILENO, again, sizeof(again), &len2);
		fputc('\n', stderr);
		if (r >= 0 && (len2 != len || memcmp(again, buf, len) != 0))
			r = -EILSEQ;
		explicit_bzero(again, sizeof(again));
	}
	if (r == -EMSGSIZE) {
		fprintf(stderr, "nx: password: longer than %u bytes\n", IDN_PASSWORD_MAX);
		return 2;
	}
	if (r == -EILSEQ || r == -ENODATA || r == -EINVAL || (r >= 0 && len == 0)) {
		fprintf(stderr, "nx: password: %s\n",
		        r == -EILSEQ   ? "the two differ"
		        : r == -EINVAL ? "contains NUL"
		                       : "empty");
		return 2;
	}
	if (r < 0)
		return nxt_report("reading the password", r);
	*ret_len = len;
	return 0;
}
