/* SPDX-License-Identifier: MIT */
/* nx-svc's limits, crossed: NX_SVC_NAME_MAX at nx_svc_new(), NX_SVC_SUBJECT_MAX at the
 * ServiceHost.accept params the skeleton copies its subject from, NX_LOGSINK_BATCH_BYTES_MAX
 * and log.capnp's LOG_BATCH_MAX where the log sink cuts a batch. NX_POLICY_HELD_MAX:
 * test-policy-held.c. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nexus-types.capnp.h"
#include "nx-abi/sock.h"
#include "daemon.h"
#include "log.capnp.h"
#include "logsink.h"
#include "nx-log/log.h"
#include "svc.h"

/* A name one byte over the limit is refused before anything is set up, and the granted fds
 * are closed as on every failure. */
static void test_name_max(void **state)
{
	char name[NX_SVC_NAME_MAX + 2];
	int before = fdcheck_count();
	nx_svc *svc = NULL;
	int fds[2];

	(void)state;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(nx_chan_pair(fds), 0);
	if (fds[0] != NX_DAEMON_BOOTSTRAP_FD) {
		assert_int_equal(dup2(fds[0], NX_DAEMON_BOOTSTRAP_FD), NX_DAEMON_BOOTSTRAP_FD);
		nx_fd_close(fds[0]);
	}
	assert_int_equal(nx_svc_new(name, &svc), -EINVAL);
	assert_null(svc);
	assert_int_equal(fcntl(NX_DAEMON_BOOTSTRAP_FD, F_GETFD), -1);
	nx_fd_close(fds[1]);
	fdcheck_assert(before);
}

/* Validates accept params whose subject has `len` bytes. */
static int accept_subject(size_t len)
{
	static char subject[NX_SVC_SUBJECT_MAX + 1];
	uint64_t first[64];
	nx_capnp_builder b;
	nexus_service_host_accept_params_b params;
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_reader rd;
	nx_capnp_struct root;
	int r;

	memset(subject, 's', sizeof(subject));
	nx_capnp_builder_init(&b, first, sizeof(first), &nx_capnp_malloc_allocator);
	assert_int_equal(nexus_service_host_accept_params_init_root(&b, &params), 0);
	assert_int_equal(nexus_service_host_accept_params_set_subject(params, subject, len), 0);
	nx_capnp_builder_as_reader(&b, segs, &rd);
	assert_int_equal(nx_capnp_reader_root_struct(&rd, &root), 0);
	r = nexus_service_host_accept_params_validate(&root, NULL);
	nx_capnp_builder_done(&b);
	return r;
}

/* The skeleton copies the subject samgrd vouches for into NX_SVC_SUBJECT_MAX + 1 bytes: the
 * schema's cap is the same number and the generated validator refuses one byte more. */
static void test_subject_max(void **state)
{
	(void)state;
	assert_int_equal(NEXUS_SUBJECT_MAX_LEN, NX_SVC_SUBJECT_MAX);
	assert_int_equal(accept_subject(NX_SVC_SUBJECT_MAX), 0);
	assert_int_equal(accept_subject(NX_SVC_SUBJECT_MAX + 1), -EMSGSIZE);
}

/* Bytes of an entry without fields: 32, then its texts padded to words ("s" 8, 100 bytes 104). */
#define SMALL_ENTRY_BYTES 48u
#define LARGE_ENTRY_BYTES 144u

/* A batch stops at LOG_BATCH_MAX entries, and before the entry that would take it past
 * NX_LOGSINK_BATCH_BYTES_MAX bytes. */
static void test_batch_max(void **state)
{
	static struct nx_log_record recs[LOG_BATCH_MAX + 1];
	char message[101];
	size_t fit;

	(void)state;
	for (size_t i = 0; i < LOG_BATCH_MAX + 1; i++)
		recs[i] = (struct nx_log_record){.scope = "s", .message = "m"};
	assert_int_equal(nx_logsink_entry_bytes(&recs[0]), SMALL_ENTRY_BYTES);
	assert_true(LOG_BATCH_MAX * SMALL_ENTRY_BYTES < NX_LOGSINK_BATCH_BYTES_MAX);
	assert_int_equal(nx_logsink_batch_fit(recs, LOG_BATCH_MAX + 1), LOG_BATCH_MAX);

	/* Larger entries: as many as fit the byte budget, one more does not. */
	memset(message, 'm', sizeof(message) - 1);
	message[sizeof(message) - 1] = '\0';
	for (size_t i = 0; i < LOG_BATCH_MAX + 1; i++)
		recs[i].message = message;
	assert_int_equal(nx_logsink_entry_bytes(&recs[0]), LARGE_ENTRY_BYTES);
	fit = NX_LOGSINK_BATCH_BYTES_MAX / LARGE_ENTRY_BYTES;
	assert_true(fit < LOG_BATCH_MAX);
	assert_int_equal(nx_logsink_batch_fit(recs, fit), fit);
	assert_int_equal(nx_logsink_batch_fit(recs, fit + 1), fit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_name_max),
	        cmocka_unit_test(test_subject_max),
	        cmocka_unit_test(test_batch_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
