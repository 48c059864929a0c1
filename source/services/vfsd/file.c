/* SPDX-License-Identifier: MIT */
/*
 * vfsd's File objects: one open file each (its fd, and what it was opened for), the authority
 * checked at Fs.open. Reads and writes of at most VFS_INLINE_MAX bytes travel inline; larger
 * reads are answered with a sealed VMO filled straight from the file, larger writes come as a
 * VMO mapped read-only once its seals are checked (copied out when unsealed). Growth is
 * charged to the subject's byte quota before the write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx-abi/file.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "vfsd.h"

struct vfsd_file {
	struct vfsd *d;
	int fd;
	bool readable, writable;
	char subject[VFS_SUBJECT_MAX + 1];
};

/* The call's subject is the file's owner (who opened it, or whom the operator acted as). */
static struct vfsd_call call_of(struct vfsd_file *f, nx_rpc_incoming *in)
{
	return (struct vfsd_call){.d = f->d, .in = in, .subject = f->subject};
}

/* ---- read -------------------------------------------------------------------------------- */

static int read_inline(struct vfsd_file *f, nx_rpc_incoming *in, uint64_t offset, size_t len)
{
	char buf[VFS_INLINE_MAX];
	fs_file_read_results_b res;
	size_t n;
	int r = nx_file_pread(f->fd, offset, buf, len, &n);

	if (r < 0) {
		struct vfsd_call c = call_of(f, in);

		return vfsd_fail(&c, r, "read");
	}
	r = fs_file_read_results_init(in, &res);
	if (r >= 0)
		r = fs_file_read_results_set_data(res, buf, n);
	return nx_rpc_incoming_return_built(in, r);
}

/* Up to len bytes from offset into a fresh VMO, sealed: 0 with *ret_fd and *ret_n. */
static int read_vmo_fill(
        struct vfsd_file *f, uint64_t offset, size_t len, int *ret_fd, size_t *ret_n)
{
	struct nx_vmo_map map = {0};
	int fd = -1, r;
	size_t n = 0;

	r = nx_vmo_create("vfsd-read", len, &fd);
	/* Pre-faulted: one populate beats a page fault per 4 KiB page under the copy. */
	if (r >= 0)
		r = nx_vmo_map_rw(fd, true, &map);
	if (r >= 0)
		r = nx_file_pread(f->fd, offset, map.addr, len, &n);
	nx_vmo_unmap(&map);
	/* A file that shrank meanwhile leaves zeros past n: the ref's size says what counts. */
	if (r >= 0)
		r = nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN);
	if (r < 0) {
		if (fd >= 0)
			nx_fd_close(fd);
		return r;
	}
	*ret_fd = fd;
	*ret_n = n;
	return 0;
}

static int read_vmo(struct vfsd_file *f, nx_rpc_incoming *in, uint64_t offset, size_t len)
{
	static const struct nexus_vmo_server vmo_server = {0};
	struct nexus_vmo *vmo = NULL;
	fs_file_read_results_b res;
	nexus_vmo_ref_b ref;
	int r, fd = -1;
	size_t n = 0;

	r = read_vmo_fill(f, offset, len, &fd, &n);
	if (r < 0) {
		struct vfsd_call c = call_of(f, in);

		return vfsd_fail(&c, r, "read");
	}
	r = nexus_vmo_server_new_with_fd(&vmo_server, NULL, NULL, fd, &vmo); /* takes fd */
	if (r >= 0)
		r = fs_file_read_results_init(in, &res);
	if (r >= 0)
		r = fs_file_read_results_init_vmo(res, &ref);
	if (r >= 0) {
		r = nexus_vmo_ref_set_vmo(ref, vmo); /* the results hold their own reference */
		nexus_vmo_ref_set_size(ref, n);
	}
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	return nx_rpc_incoming_return_built(in, r);
}

static int serve_read(void *impl, nx_rpc_incoming *in, fs_file_read_params params)
{
	struct vfsd_file *f = impl;
	uint64_t offset = fs_file_read_params_get_offset(params);
	uint64_t length = fs_file_read_params_get_length(params);
	struct nx_file_stat st;
	int r;

	if (!f->readable)
		return nx_rpc_incoming_failf(in, -EPERM, "the file was not opened for reading");
	if (length > VFS_IO_MAX)
		return nx_rpc_incoming_failf(in, -EMSGSIZE, "length: more than %llu bytes",
		        (unsigned long long)VFS_IO_MAX);
	r = nx_stat_at(f->fd, "", &st);
	if (r < 0) {
		struct vfsd_call c = call_of(f, in);

		return vfsd_fail(&c, r, "read");
	}
	/* What is there to read decides inline or VMO, not what was asked. */
	if (offset >= st.size)
		length = 0;
	else if (length > st.size - offset)
		length = st.size - offset;
	if (length <= VFS_INLINE_MAX)
		return read_inline(f, in, offset, (size_t)length);
	return read_vmo(f, in, offset, (size_t)length);
}

/* ---- write ------------------------------------------------------------------------------- */

/* Writes len bytes at offset, charging the growth first. */
static int write_charged(
        struct vfsd_file *f, nx_rpc_incoming *in, uint64_t offset, const void *buf, size_t len)
{
	struct vfsd_call c = call_of(f, in);
	struct nx_file_stat st;
	uint64_t end = offset + len, growth = 0;
	int r = nx_stat_at(f->fd, "", &st);

	if (r >= 0 && end > st.size) {
		growth = end - st.size;
		r = vfsd_charge(&c, (int64_t)growth, 0);
	}
	if (r >= 0) {
		r = nx_file_pwrite(f->fd, offset, buf, len);
		if (r < 0 && growth) {
			/* Refund what did not land. */
			struct nx_file_stat now = st;
			uint64_t landed;

			(void)nx_stat_at(f->fd, "", &now);
			landed = now.size > st.size ? now.size - st.size : 0;
			if (landed < growth)
				(void)vfsd_charge(&c, -(int64_t)(growth - landed), 0);
		}
	}
	return r;
}

/* Unsealed VMOs could shrink under a mapping: copied out in pieces instead. */
#define WRITE_COPY_CHUNK (1u << 20)

static int write_from_vmo(
        struct vfsd_file *f, nx_rpc_incoming *in, uint64_t offset, int fd, uint64_t size)
{
	struct nx_vmo_map map = {0};
	unsigned seals = 0;
	char *buf;
	int r;

	r = nx_vmo_get_seals(fd, &seals);
	if (r < 0)
		return r;
	if (seals & (NX_VMO_SEAL_FROZEN | NX_VMO_SEAL_PRODUCER)) {
		r = nx_vmo_map_ro(fd, VFS_IO_MAX, false, &map);
		if (r >= 0)
			r = write_charged(f, in, offset, map.addr, (size_t)size);
		nx_vmo_unmap(&map);
		return r;
	}
	buf = malloc(WRITE_COPY_CHUNK);
	if (!buf)
		return -ENOMEM;
	for (uint64_t done = 0; r >= 0 && done < size; done += WRITE_COPY_CHUNK) {
		size_t n =
		        size - done < WRITE_COPY_CHUNK ? (size_t)(size - done) : WRITE_COPY_CHUNK;

		r = nx_vmo_read(fd, done, buf, n);
		if (r >= 0)
			r = write_charged(f, in, offset + done, buf, n);
	}
	free(buf);
	return r;
}

static int serve_write(void *impl, nx_rpc_incoming *in, fs_file_write_params params)
{
	struct vfsd_file *f = impl;
	uint64_t offset = fs_file_write_params_get_offset(params), size;
	struct vfsd_call c = call_of(f, in);
	struct nexus_vmo *vmo = NULL;
	const uint8_t *data;
	size_t len, actual;
	int r, fd;

	if (!f->writable)
		return nx_rpc_incoming_failf(in, -EPERM, "the file was not opened for writing");
	(void)fs_file_write_params_get_data(params, &data, &len);
	if (!fs_file_write_params_has_vmo(params)) {
		if (offset > INT64_MAX - len)
			return nx_rpc_incoming_failf(in, -EINVAL, "offset: past the largest file");
		r = write_charged(f, in, offset, data, len);
		return r < 0 ? vfsd_fail(&c, r, "write") : fs_file_write_return(in, len);
	}
	if (len)
		return nx_rpc_incoming_failf(in, -EINVAL, "data and vmo: both given");
	size = nexus_vmo_ref_get_size(fs_file_write_params_get_vmo(params));
	if (size > VFS_IO_MAX)
		return nx_rpc_incoming_failf(in, -EMSGSIZE, "vmo.size: more than %llu bytes",
		        (unsigned long long)VFS_IO_MAX);
	if (offset > INT64_MAX - size)
		return nx_rpc_incoming_failf(in, -EINVAL, "offset: past the largest file");
	if (nexus_vmo_ref_get_vmo(fs_file_write_params_get_vmo(params), &vmo) < 0)
		return nx_rpc_incoming_failf(in, -EINVAL, "vmo.vmo: not a capability");
	fd = nx_rpc_cap_peek_fd(nexus_vmo_cap(vmo));
	r = fd < 0 ? -EBADF : nx_vmo_size(fd, &actual);
	if (r >= 0 && size > actual)
		r = -ERANGE;
	if (r >= 0)
		r = write_from_vmo(f, in, offset, fd, size);
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	if (r == -EBADF || r == -EINVAL || r == -EPERM)
		return nx_rpc_incoming_failf(in, -EINVAL, "vmo: not a sealable memfd");
	if (r == -EMSGSIZE)
		return nx_rpc_incoming_failf(
		        in, r, "vmo: more than %llu bytes", (unsigned long long)VFS_IO_MAX);
	if (r == -ERANGE)
		return nx_rpc_incoming_failf(in, -EINVAL,
		        "vmo.size: %llu is past the end of the vmo", (unsigned long long)size);
	return r < 0 ? vfsd_fail(&c, r, "write") : fs_file_write_return(in, size);
}

/* ---- stat, truncate, sync ---------------------------------------------------------------- */

static int serve_stat(void *impl, nx_rpc_incoming *in, fs_file_stat_params params)
{
	struct vfsd_file *f = impl;
	struct vfsd_call c = call_of(f, in);
	fs_file_stat_results_b res;
	struct nx_file_stat st;
	fs_info_b info;
	int r = nx_stat_at(f->fd, "", &st);

	if (r < 0)
		return vfsd_fail(&c, r, "stat");
	r = fs_file_stat_results_init(in, &res);
	if (r >= 0)
		r = fs_file_stat_results_init_info(res, &info);
	if (r >= 0) {
		fs_info_set_type(info, FS_TYPE_FILE);
		fs_info_set_size(info, st.size);
		fs_info_set_mtime_ns(info, st.mtime_ns);
	}
	return nx_rpc_incoming_return_built(in, r);
}

static int serve_truncate(void *impl, nx_rpc_incoming *in, fs_file_truncate_params params)
{
	struct vfsd_file *f = impl;
	struct vfsd_call c = call_of(f, in);
	uint64_t size = fs_file_truncate_params_get_size(params);
	struct nx_file_stat st;
	int64_t delta = 0;
	int r;

	if (!f->writable)
		return nx_rpc_incoming_failf(in, -EPERM, "the file was not opened for writing");
	if (size > INT64_MAX)
		return nx_rpc_incoming_failf(in, -EINVAL, "size: past the largest file");
	r = nx_stat_at(f->fd, "", &st);
	if (r >= 0) {
		delta = (int64_t)size - (int64_t)st.size;
		r = vfsd_charge(&c, delta, 0);
	}
	if (r >= 0) {
		r = nx_file_truncate(f->fd, size);
		if (r < 0)
			(void)vfsd_charge(&c, -delta, 0);
	}
	return r < 0 ? vfsd_fail(&c, r, "truncate") : fs_file_truncate_return(in);
}

static int serve_sync(void *impl, nx_rpc_incoming *in, fs_file_sync_params params)
{
	struct vfsd_file *f = impl;
	struct vfsd_call c = call_of(f, in);
	int r = nx_file_sync(f->fd);

	return r < 0 ? vfsd_fail(&c, r, "sync") : fs_file_sync_return(in);
}

static const struct fs_file_server file_vt = {
        .read = serve_read,
        .write = serve_write,
        .stat = serve_stat,
        .truncate = serve_truncate,
        .sync = serve_sync,
};

static void file_destroy(void *impl)
{
	struct vfsd_file *f = impl;

	f->d->open_files--;
	nx_fd_close(f->fd);
	free(f);
}

int vfsd_file_new(struct vfsd *d, const char *subject, int fd, bool readable, bool writable,
        struct fs_file **ret)
{
	struct vfsd_file *f;
	int r;

	if (d->open_files >= VFS_OPEN_FILES_MAX) {
		nx_fd_close(fd);
		return -EDQUOT;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		nx_fd_close(fd);
		return -ENOMEM;
	}
	*f = (struct vfsd_file){.d = d, .fd = fd, .readable = readable, .writable = writable};
	snprintf(f->subject, sizeof(f->subject), "%s", subject);
	d->open_files++;
	r = fs_file_server_new(&file_vt, f, file_destroy, ret);
	if (r < 0)
		file_destroy(f);
	return r;
}
