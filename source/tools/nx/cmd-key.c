/* SPDX-License-Identifier: MIT */
/*
 * nx key: the caller's keys in keystored (keystore.capnp), through samgrd, as uid:<your uid>.
 * A key is a name of your own or @device (the device key). Private keys never leave
 * keystored: these commands see public keys and signatures only.
 *
 *   nx key list [--json]                          your keys: name, public key, created
 *   nx key create NAME [--json]                   a new Ed25519 key (crypto.key.manage)
 *   nx key delete NAME [--json]                   (crypto.key.manage)
 *   nx key public KEY [--json]                    its public key, hex
 *   nx key sign KEY DOMAIN [--data TEXT] [--json] sign TEXT or stdin (crypto.sign.DOMAIN)
 *   nx key verify PUBLIC DOMAIN SIGNATURE [--data TEXT] [--json]
 *                                                 exit 0 valid, 1 invalid
 *
 * Data up to KS_INLINE_DATA_MAX bytes travels inline, larger (to KS_VMO_DATA_MAX) as a
 * sealed VMO. Exit codes: 0 success (valid), 1 refused, unreachable or invalid, 2 usage.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "keystore.capnp.h"
#include "nexus/limits.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"

int nx_cmd_key(int argc, char **argv);

#define PUBLIC_LEN    32u
#define SIGNATURE_LEN 64u

struct kargs {
	const char *pos[3]; /* positional arguments after the subcommand */
	unsigned npos;
	const char *data; /* --data TEXT, else NULL: stdin */
	bool json;
};

static const struct {
	const char *name;
	unsigned npos;
	bool data;
	const char *usage;
} subs[] = {
        {"list", 0, false, "nx key list [--json]                 your keys"},
        {"create", 1, false, "nx key create NAME [--json]          a new Ed25519 key"},
        {"delete", 1, false, "nx key delete NAME [--json]          delete one of your keys"},
        {"public", 1, false, "nx key public KEY [--json]           KEY: NAME or @device"},
        {"sign", 2, true, "nx key sign KEY DOMAIN [--data TEXT] [--json]   data: TEXT or stdin"},
        {"verify", 3, true,
                "nx key verify PUBLIC DOMAIN SIGNATURE [--data TEXT] [--json]   hex keys "
                "and signatures; exit 0 valid, 1 invalid"},
};

static int usage(FILE *f, int code)
{
	fprintf(f, "usage:");
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		fprintf(f, "%s%s\n", i ? "       " : " ", subs[i].usage);
	fprintf(f, "       nx key [SUBCOMMAND] --help\n"
	           "Asks keystored, resolved through samgrd at $NEXUS_RUNTIME_DIR/samgr.sock. "
	           "Private keys never leave it.\n"
	           "Exit codes: 0 success/valid, 1 refused, unreachable or invalid, 2 usage.\n");
	return code;
}

static int bad(const char *culprit, const char *why)
{
	fprintf(stderr, "nx key: %s: %s\n", culprit, why);
	return 2;
}

static void print_hex(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		printf("%02x", b[i]);
}

/* HEX (2 * len hex digits) into out; false if it is not that. */
static bool parse_hex(const char *hex, uint8_t *out, size_t len)
{
	size_t got = 0;

	return hex && strlen(hex) == 2 * len &&
	       sodium_hex2bin(out, len, hex, 2 * len, NULL, &got, NULL) == 0 && got == len;
}

/* ---- Data: --data TEXT or stdin, inline or as a VMO ---- */

struct data {
	uint8_t *buf;
	size_t len;
	struct nexus_vmo *vmo; /* when len > KS_INLINE_DATA_MAX */
};

static int read_data(const char *text, struct data *d)
{
	size_t cap = KS_VMO_DATA_MAX + 1, n;

	if (text) {
		d->len = strlen(text);
		d->buf = malloc(d->len + 1);
		if (!d->buf)
			return nxt_report("data", -ENOMEM);
		memcpy(d->buf, text, d->len + 1);
	} else {
		d->buf = malloc(cap);
		if (!d->buf)
			return nxt_report("data", -ENOMEM);
		n = fread(d->buf, 1, cap, stdin);
		if (ferror(stdin))
			return nxt_report("stdin", -EIO);
		d->len = n;
	}
	if (d->len > KS_VMO_DATA_MAX)
		return bad("data", "longer than 1048576 bytes");
	return 0;
}

/* Over the inline limit: a sealed VMO holding the data. */
static int make_vmo(struct data *d)
{
	static const struct nexus_vmo_server vt = {0};
	int fd = -1, r;

	if (d->len <= KS_INLINE_DATA_MAX)
		return 0;
	r = nx_vmo_create("nx-key-data", d->len, &fd);
	if (r >= 0)
		r = nx_vmo_write(fd, 0, d->buf, d->len);
	if (r >= 0)
		r = nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN);
	if (r >= 0) {
		r = nexus_vmo_server_new_with_fd(&vt, NULL, NULL, fd, &d->vmo); /* takes fd */
		return r < 0 ? nxt_report("vmo", r) : 0;
	}
	nx_fd_close(fd);
	return nxt_report("vmo", r);
}

static void data_done(struct data *d)
{
	free(d->buf);
	nx_rpc_cap_unref(nexus_vmo_cap(d->vmo));
}

/* ---- Commands (s->svc is keystored) ---- */

static struct keystore *ks(struct nxt_session *s)
{
	return keystore_from_cap(s->svc);
}

/* Prints a public key result of create/public: hex, or JSON naming `field` = `value`. */
static void print_public(
        const struct kargs *a, const char *field, const char *value, const uint8_t *pub, size_t len)
{
	if (a->json) {
		printf("{\"%s\":", field);
		nxt_json_string(value, value ? strlen(value) : 0);
		printf(",\"publicKey\":\"");
		print_hex(pub, len);
		printf("\"}\n");
	} else {
		print_hex(pub, len);
		printf("\n");
	}
}

static int cmd_list(struct nxt_session *s, const struct kargs *a)
{
	keystore_list_results out;
	nx_capnp_list list = {0};
	nx_rpc_call *call;
	int r = keystore_list_wait(ks(s), nexus_deadline(s->nx), &call, &out);

	if (r < 0) {
		r = nxt_report_call(s, call, r, "list");
		nx_rpc_call_free(call);
		return r;
	}
	(void)keystore_list_results_get_keys(out, &list); /* results are validated */
	printf(a->json ? "[" : "%-24s %-64s %s\n", "NAME", "PUBLIC KEY", "CREATED (ns)");
	for (uint32_t i = 0; i < list.count; i++) {
		keystore_key_info k = keystore_key_info_at(&list, i);
		const uint8_t *pub = NULL;
		const char *name = "";
		size_t nlen = 0, plen = 0;

		(void)keystore_key_info_get_name(k, &name, &nlen);
		(void)keystore_key_info_get_public_key(k, &pub, &plen);
		if (a->json) {
			printf("%s{\"name\":", i ? "," : "");
			nxt_json_string(name, nlen);
			printf(",\"publicKey\":\"");
			print_hex(pub, plen);
			printf("\",\"createdNs\":%llu}",
			        (unsigned long long)keystore_key_info_get_created_ns(k));
		} else {
			printf("%-24.*s ", (int)nlen, name);
			print_hex(pub, plen);
			printf(" %llu\n", (unsigned long long)keystore_key_info_get_created_ns(k));
		}
	}
	if (a->json)
		printf("]\n");
	nx_rpc_call_free(call);
	return 0;
}

static int cmd_create(struct nxt_session *s, const struct kargs *a)
{
	keystore_create_results out;
	const uint8_t *pub = NULL;
	nx_rpc_call *call;
	size_t len = 0;
	int r = keystore_create_wait(ks(s), a->pos[0], nexus_deadline(s->nx), &call, &out);

	if (r < 0) {
		r = nxt_report_call(s, call, r, "create");
	} else {
		(void)keystore_create_results_get_public_key(out, &pub, &len);
		print_public(a, "name", a->pos[0], pub, len);
	}
	nx_rpc_call_free(call);
	return r;
}

static int cmd_delete(struct nxt_session *s, const struct kargs *a)
{
	keystore_delete_results out;
	nx_rpc_call *call;
	int r = keystore_delete_wait(ks(s), a->pos[0], nexus_deadline(s->nx), &call, &out);

	if (r < 0) {
		r = nxt_report_call(s, call, r, "delete");
	} else if (a->json) {
		printf("{\"deleted\":");
		nxt_json_string(a->pos[0], strlen(a->pos[0]));
		printf("}\n");
	} else {
		printf("deleted %s\n", a->pos[0]);
	}
	nx_rpc_call_free(call);
	return r;
}

static int cmd_public(struct nxt_session *s, const struct kargs *a)
{
	keystore_public_key_results out;
	const uint8_t *pub = NULL;
	nx_rpc_call *call;
	size_t len = 0;
	int r = keystore_public_key_wait(ks(s), a->pos[0], nexus_deadline(s->nx), &call, &out);

	if (r < 0) {
		r = nxt_report_call(s, call, r, "public");
	} else {
		(void)keystore_public_key_results_get_public_key(out, &pub, &len);
		print_public(a, "key", a->pos[0], pub, len);
	}
	nx_rpc_call_free(call);
	return r;
}

static int cmd_sign(struct nxt_session *s, const struct kargs *a, struct data *d)
{
	keystore_sign_params_b p;
	keystore_sign_results out;
	nexus_vmo_ref_b ref;
	const uint8_t *sig = NULL;
	nx_rpc_call *call = NULL;
	size_t len = 0;
	int r = keystore_sign_start(ks(s), &call, &p);

	if (r >= 0)
		r = keystore_sign_params_set_key(p, a->pos[0], strlen(a->pos[0]));
	if (r >= 0)
		r = keystore_sign_params_set_domain(p, a->pos[1], strlen(a->pos[1]));
	if (r >= 0 && d->vmo) {
		r = keystore_sign_params_init_vmo(p, &ref);
		if (r >= 0)
			r = nexus_vmo_ref_set_vmo(ref, d->vmo);
		nexus_vmo_ref_set_size(ref, d->len);
	} else if (r >= 0) {
		r = keystore_sign_params_set_data(p, d->buf, d->len);
	}
	if (r >= 0)
		r = keystore_sign_send_wait(call, nexus_deadline(s->nx), &out);
	if (r < 0) {
		r = nxt_report_call(s, call, r, "sign");
	} else {
		(void)keystore_sign_results_get_signature(out, &sig, &len);
		if (a->json) {
			printf("{\"key\":");
			nxt_json_string(a->pos[0], strlen(a->pos[0]));
			printf(",\"domain\":");
			nxt_json_string(a->pos[1], strlen(a->pos[1]));
			printf(",\"signature\":\"");
			print_hex(sig, len);
			printf("\"}\n");
		} else {
			print_hex(sig, len);
			printf("\n");
		}
	}
	nx_rpc_call_free(call);
	return r;
}

static int cmd_verify(struct nxt_session *s, const struct kargs *a, struct data *d,
        const uint8_t *pub, const uint8_t *sig)
{
	keystore_verify_params_b p;
	keystore_verify_results out;
	nexus_vmo_ref_b ref;
	nx_rpc_call *call = NULL;
	bool valid;
	int r = keystore_verify_start(ks(s), &call, &p);

	if (r >= 0)
		r = keystore_verify_params_set_public_key(p, pub, PUBLIC_LEN);
	if (r >= 0)
		r = keystore_verify_params_set_domain(p, a->pos[1], strlen(a->pos[1]));
	if (r >= 0)
		r = keystore_verify_params_set_signature(p, sig, SIGNATURE_LEN);
	if (r >= 0 && d->vmo) {
		r = keystore_verify_params_init_vmo(p, &ref);
		if (r >= 0)
			r = nexus_vmo_ref_set_vmo(ref, d->vmo);
		nexus_vmo_ref_set_size(ref, d->len);
	} else if (r >= 0) {
		r = keystore_verify_params_set_data(p, d->buf, d->len);
	}
	if (r >= 0)
		r = keystore_verify_send_wait(call, nexus_deadline(s->nx), &out);
	if (r < 0) {
		r = nxt_report_call(s, call, r, "verify");
	} else {
		valid = keystore_verify_results_get_valid(out);
		if (a->json)
			printf("{\"valid\":%s}\n", valid ? "true" : "false");
		else
			printf("%s\n", valid ? "valid" : "invalid");
		r = valid ? 0 : 1;
	}
	nx_rpc_call_free(call);
	return r;
}

/* ---- Arguments ---- */

/* Splits argv (after the subcommand) into options and positionals: 0, 1 (--help printed), or
 * the usage exit code 2. */
static int parse(int argc, char **argv, size_t sub, struct kargs *a)
{
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			printf("usage: %s\n", subs[sub].usage);
			return 1;
		}
		if (strcmp(argv[i], "--json") == 0) {
			a->json = true;
		} else if (strcmp(argv[i], "--data") == 0 && subs[sub].data) {
			if (++i == argc)
				return bad("--data", "needs TEXT");
			a->data = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			return bad(argv[i], "unknown option");
		} else if (a->npos == subs[sub].npos) {
			return bad(argv[i], "one argument too many");
		} else {
			a->pos[a->npos++] = argv[i];
		}
	}
	if (a->npos < subs[sub].npos)
		return bad(subs[sub].name, "missing arguments (nx key --help)");
	return 0;
}

static int run(struct nxt_session *s, size_t sub, const struct kargs *a)
{
	uint8_t pub[PUBLIC_LEN], sig[SIGNATURE_LEN];
	struct data d = {0};
	int r = 0;

	if (strcmp(subs[sub].name, "verify") == 0) {
		if (!parse_hex(a->pos[0], pub, sizeof(pub)))
			return bad(a->pos[0], "PUBLIC: not 64 hex digits");
		if (!parse_hex(a->pos[2], sig, sizeof(sig)))
			return bad(a->pos[2], "SIGNATURE: not 128 hex digits");
	}
	if (subs[sub].data) {
		r = read_data(a->data, &d);
		if (r == 0)
			r = make_vmo(&d);
	}
	if (r == 0)
		r = nxt_session_open(s, "keystored");
	if (r == 0) {
		switch (sub) {
		case 0:
			r = cmd_list(s, a);
			break;
		case 1:
			r = cmd_create(s, a);
			break;
		case 2:
			r = cmd_delete(s, a);
			break;
		case 3:
			r = cmd_public(s, a);
			break;
		case 4:
			r = cmd_sign(s, a, &d);
			break;
		default:
			r = cmd_verify(s, a, &d, pub, sig);
			break;
		}
	}
	data_done(&d);
	return r;
}

int nx_cmd_key(int argc, char **argv)
{
	struct nxt_session s = {0};
	struct kargs a = {0};
	size_t sub;
	int r;

	if (argc < 2)
		return usage(stderr, 2);
	if (strcmp(argv[1], "--help") == 0)
		return usage(stdout, 0);
	for (sub = 0; sub < sizeof(subs) / sizeof(subs[0]); sub++)
		if (strcmp(argv[1], subs[sub].name) == 0)
			break;
	if (sub == sizeof(subs) / sizeof(subs[0]))
		return bad(argv[1], "no such subcommand (nx key --help)");
	r = parse(argc, argv, sub, &a);
	if (r != 0)
		return r == 1 ? 0 : r;
	r = run(&s, sub, &a);
	nxt_session_close(&s);
	return r;
}
