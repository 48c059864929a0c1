/* SPDX-License-Identifier: MIT */
/* nx-abi cgroup on the cgroup v2 filesystem (cgroup.h): /proc/self/mountinfo names where it
 * is mounted, /proc/self/cgroup our group in it ("0::<path>"). */
#include "nx-abi/cgroup.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi-internal.h"

#define CONTROLLERS_MAX 4096 /* cgroup.controllers: a line of controller names */

/* The line of `file` starting with `prefix`, the rest of it (its newline dropped) into
 * out. -ENOENT: none. */
static int line_find(const char *file, const char *prefix, char *out, size_t size)
{
	size_t plen = strlen(prefix), cap = 0;
	char *line = NULL;
	ssize_t n;
	FILE *f;
	int r = -ENOENT;

	f = fopen(file, "re");
	if (!f)
		return nx_neg_errno();
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (strncmp(line, prefix, plen) != 0)
			continue;
		r = (size_t)n - plen < size ? 0 : -ENAMETOOLONG;
		if (r == 0)
			memcpy(out, line + plen, (size_t)n - plen + 1);
		break;
	}
	free(line);
	fclose(f);
	return r;
}

/* The mount point of the cgroup2 filesystem: mountinfo's fifth field on the line whose
 * filesystem type (after " - ") is cgroup2. Mount points with spaces are escaped as \040
 * there; a cgroup2 mount point never has one in practice, and one that has is not found. */
static int mount_find(char *out, size_t size)
{
	size_t cap = 0;
	char *line = NULL, *sep, *save = NULL, *field = NULL;
	FILE *f;
	int r = -ENODEV;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return nx_neg_errno();
	while (r == -ENODEV && getline(&line, &cap, f) > 0) {
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		field = strtok_r(line, " ", &save);
		for (int i = 1; field && i < 5; i++)
			field = strtok_r(NULL, " ", &save);
		if (field && strlen(field) < size) {
			memcpy(out, field, strlen(field) + 1);
			r = 0;
		}
	}
	free(line);
	fclose(f);
	return r;
}

static int file_read_at(int dir_fd, const char *name, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nx_neg_errno();
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return nx_neg_errno();
	buf[n] = '\0';
	return (int)n;
}

static int file_write_at(int dir_fd, const char *name, const char *text)
{
	size_t len = strlen(text);
	int fd, r = 0;

	fd = openat(dir_fd, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return nx_neg_errno();
	if (write(fd, text, len) != (ssize_t)len)
		r = nx_neg_errno();
	close(fd);
	return r;
}

/* Whether the space-separated list holds `word`. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static bool has_both(const char *list)
{
	return has_word(list, "memory") && has_word(list, "pids");
}

int nx_cgroup_base_open(int *ret_fd)
{
	char mount[PATH_MAX], own[PATH_MAX], path[2 * PATH_MAX], list[CONTROLLERS_MAX];
	int fd, r;

	assert_return(ret_fd, -EINVAL);
	r = mount_find(mount, sizeof(mount));
	if (r == 0)
		r = line_find("/proc/self/cgroup", "0::", own, sizeof(own));
	if (r == -ENOENT)
		r = -ENODEV; /* no v2 line: the process is in v1 hierarchies only */
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s%s", mount, own);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nx_neg_errno();
	r = file_read_at(fd, "cgroup.controllers", list, sizeof(list));
	if (r >= 0 && !has_both(list))
		r = -ENODEV; /* bound to v1, or not delegated to us */
	if (r >= 0)
		r = file_read_at(fd, "cgroup.subtree_control", list, sizeof(list));
	/* Enabling them for children is refused while processes live in a non-root group:
	 * EBUSY, which the caller reports. */
	if (r >= 0 && !has_both(list))
		r = file_write_at(fd, "cgroup.subtree_control", "+memory +pids");
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static bool name_valid(const char *name)
{
	size_t n = strnlen(name, NX_CGROUP_NAME_MAX + 1);

	return n > 0 && n <= NX_CGROUP_NAME_MAX && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

/* "max" for 0 (no limit), else the number. */
static int limit_write(int dir_fd, const char *file, uint64_t value)
{
	char text[24];

	if (value == 0)
		return file_write_at(dir_fd, file, "max");
	snprintf(text, sizeof(text), "%" PRIu64, value);
	return file_write_at(dir_fd, file, text);
}

int nx_cgroup_create(
        int base_fd, const char *name, const struct nx_cgroup_limits *limits, int *ret_fd)
{
	char procs[2];
	bool made = true;
	int fd, r;

	assert_return(base_fd >= 0 && name && limits && ret_fd, -EINVAL);
	if (!name_valid(name))
		return -EINVAL;
	if (mkdirat(base_fd, name, 0755) < 0) {
		if (errno != EEXIST)
			return nx_neg_errno();
		made = false;
	}
	fd = openat(base_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = nx_neg_errno();
		goto fail;
	}
	r = made ? 0 : file_read_at(fd, "cgroup.procs", procs, sizeof(procs));
	if (r > 0)
		r = -EBUSY; /* an earlier run's group with its processes still in it */
	if (r == 0)
		r = limit_write(fd, "memory.max", limits->memory_max);
	if (r == 0)
		r = limit_write(fd, "pids.max", limits->pids_max);
	if (r < 0)
		goto fail;
	*ret_fd = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (made)
		(void)unlinkat(base_fd, name, AT_REMOVEDIR);
	return r;
}

int nx_cgroup_remove(int base_fd, const char *name)
{
	assert_return(base_fd >= 0 && name, -EINVAL);
	if (!name_valid(name))
		return -EINVAL;
	if (unlinkat(base_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return nx_neg_errno();
	return 0;
}
