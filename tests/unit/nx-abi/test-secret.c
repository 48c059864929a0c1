/* SPDX-License-Identifier: MIT */
/* nx-abi secrets: a line from a pipe and from a terminal (nothing echoed, echo restored after),
 * an over-long line, end of input, NUL; the 0600 file: written, read back, refused when others
 * may read it, replaced atomically, removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "fdcheck.h"
#include "nx-abi/secret.h"

static void feed(int fd, const char *text, size_t len)
{
	assert_int_equal(write(fd, text, len), (ssize_t)len);
}

static void line_from_pipe(void **state)
{
	char buf[8];
	size_t len = 0;
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	feed(p[1], "hunter2\nnext\n", 13);
	assert_int_equal(nx_secret_read_line(p[0], buf, sizeof(buf), &len), 0);
	assert_string_equal(buf, "hunter2");
	assert_int_equal(len, 7);
	/* Only the first line was taken. */
	assert_int_equal(nx_secret_read_line(p[0], buf, sizeof(buf), &len), 0);
	assert_string_equal(buf, "next");
	/* Too long for buf: refused, the rest of the line dropped. */
	feed(p[1], "12345678\nok\n", 12);
	assert_int_equal(nx_secret_read_line(p[0], buf, sizeof(buf), &len), -EMSGSIZE);
	assert_int_equal(nx_secret_read_line(p[0], buf, sizeof(buf), &len), 0);
	assert_string_equal(buf, "ok");
	feed(p[1], "a\0b\n", 4);
	assert_int_equal(nx_secret_read_line(p[0], buf, sizeof(buf), &len), -EINVAL);
	feed(p[1], "last", 4); /* no newline before the end */
	close(p[1]);
	assert_int_equal(nx_secret_read_line(p[0], buf, sizeof(buf), &len), 0);
	assert_string_equal(buf, "last");
	assert_int_equal(nx_secret_read_line(p[0], buf, sizeof(buf), &len), -ENODATA);
	close(p[0]);
}

struct typist {
	int master, slave;
};

/* Types the password only once echo is off, as a person would after the prompt. */
static void *type_when_quiet(void *arg)
{
	struct typist *t = arg;
	struct termios tio;

	do
		(void)tcgetattr(t->slave, &tio);
	while (tio.c_lflag & ECHO);
	if (write(t->master, "s3cret\n", 7) != 7)
		return (void *)1;
	return NULL;
}

static void line_from_terminal_without_echo(void **state)
{
	struct typist typist;
	pthread_t thread;
	void *res;
	struct termios t;
	char buf[32], echoed[64];
	size_t len = 0;
	int master, slave;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		skip();
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	assert_int_equal(tcgetattr(slave, &t), 0);
	t.c_lflag |= ECHO | ICANON;
	assert_int_equal(tcsetattr(slave, TCSANOW, &t), 0);
	typist = (struct typist){master, slave};
	assert_int_equal(pthread_create(&thread, NULL, type_when_quiet, &typist), 0);
	assert_int_equal(nx_secret_read_line(slave, buf, sizeof(buf), &len), 0);
	assert_int_equal(pthread_join(thread, &res), 0);
	assert_null(res);
	assert_string_equal(buf, "s3cret");
	/* Echo is back on for whatever the terminal reads next. */
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true(t.c_lflag & ECHO);
	/* Nothing of the password came back to the terminal's screen side. */
	assert_int_equal(fcntl(master, F_SETFL, O_NONBLOCK), 0);
	assert_true(read(master, echoed, sizeof(echoed)) <= 0);
	close(slave);
	close(master);
}

static void owner_only_file(void **state)
{
	char dir[] = "/tmp/nx-secret-XXXXXX", path[96], buf[16];
	struct stat st;
	size_t len = 0;

	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/sub/session", dir);
	assert_int_equal(nx_secret_file_read(path, buf, sizeof(buf), &len), -ENOENT);
	assert_int_equal(nx_secret_file_write(path, "token-1", 7), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(nx_secret_file_read(path, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(buf, "token-1", 7);
	/* Replaced whole. */
	assert_int_equal(nx_secret_file_write(path, "t2", 2), 0);
	assert_int_equal(nx_secret_file_read(path, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 2);
	assert_int_equal(nx_secret_file_read(path, buf, 1, &len), -EMSGSIZE);
	/* Readable by others: not a secret any more, refused. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(nx_secret_file_read(path, buf, sizeof(buf), &len), -EPERM);
	assert_int_equal(nx_secret_file_remove(path), 0);
	assert_int_equal(nx_secret_file_remove(path), -ENOENT);
	(void)snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

FDCHECK_GROUP("nx-abi secret tests")

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(line_from_pipe),
	        cmocka_unit_test(line_from_terminal_without_echo),
	        cmocka_unit_test(owner_only_file),
	};

	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
