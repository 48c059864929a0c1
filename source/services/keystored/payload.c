/* SPDX-License-Identifier: MIT */
/* The data of sign() and verify() (payload.h). */
#include <errno.h>

#include "nexus/limits.h"
#include "nx-rpc/rpc.h"
#include "payload.h"

int ksd_payload_read(const uint8_t *data, size_t dlen, bool has_vmo, nexus_vmo_ref ref,
        struct ksd_payload *ret, const char **ret_why)
{
	struct nexus_vmo *vmo = NULL;
	struct nx_vmo_map map = {0};
	int r;

	if (!has_vmo) {
		*ret = (struct ksd_payload){.data = data, .len = dlen};
		return 0;
	}
	if (dlen > 0) {
		*ret_why = "data and vmo: both given";
		return -EINVAL;
	}
	r = nexus_vmo_ref_get_vmo(ref, &vmo);
	if (r < 0) {
		*ret_why = "vmo.vmo: no VMO attached";
		return -EINVAL;
	}
	r = nx_vmo_map_ro(nx_rpc_cap_peek_fd(nexus_vmo_cap(vmo)), KS_VMO_DATA_MAX, false, &map);
	nx_rpc_cap_unref(nexus_vmo_cap(vmo)); /* the map stays valid without the fd */
	if (r == -EMSGSIZE) {
		*ret_why = "vmo: larger than KS_VMO_DATA_MAX (1048576 bytes)";
		return r;
	}
	if (r == -EPERM) {
		*ret_why = "vmo: not sealed against shrink, grow and write";
		return -EINVAL;
	}
	if (r < 0) {
		*ret_why = "vmo: not a memfd";
		return -EINVAL;
	}
	if (nexus_vmo_ref_get_size(ref) != map.size) {
		nx_vmo_unmap(&map);
		*ret_why = "vmo.size: not the VMO's size";
		return -EINVAL;
	}
	*ret = (struct ksd_payload){.data = map.addr, .len = map.size, .map = map};
	return 0;
}

void ksd_payload_done(struct ksd_payload *p)
{
	nx_vmo_unmap(&p->map);
}
