/* SPDX-License-Identifier: MIT */
/* The store's reference-count plan (plan.h): two sorted distinct sets, merged. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

static int cmp_hash(const void *a, const void *b)
{
	return memcmp(a, b, BND_HASH_LEN);
}

/* A sorted copy of hashes without duplicates: *ret (free()) and its count. */
static int distinct(const bnd_hash *h, size_t n, bnd_hash **ret, size_t *ret_n)
{
	bnd_hash *c = malloc((n ? n : 1) * sizeof(*c));
	size_t m = 0;

	if (!c)
		return -ENOMEM;
	if (n)
		memcpy(c, h, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_hash);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || memcmp(c[m - 1], c[i], BND_HASH_LEN) != 0)
			memmove(c[m++], c[i], BND_HASH_LEN);
	*ret = c;
	*ret_n = m;
	return 0;
}

int bnd_plan_make(
        const bnd_hash *old, size_t nold, const bnd_hash *new_, size_t nnew, struct bnd_plan *ret)
{
	bnd_hash *o = NULL, *n = NULL;
	size_t no = 0, nn = 0, i = 0, j = 0;
	struct bnd_plan p = {0};
	int r;

	if ((!old && nold) || (!new_ && nnew) || !ret)
		return -EINVAL;
	r = distinct(old, nold, &o, &no);
	if (r >= 0)
		r = distinct(new_, nnew, &n, &nn);
	if (r >= 0) {
		p.add = malloc((nn ? nn : 1) * sizeof(*p.add));
		p.drop = malloc((no ? no : 1) * sizeof(*p.drop));
		if (!p.add || !p.drop)
			r = -ENOMEM;
	}
	while (r >= 0 && (i < no || j < nn)) {
		int c = i == no ? 1 : j == nn ? -1 : memcmp(o[i], n[j], BND_HASH_LEN);

		if (c < 0)
			memcpy(p.drop[p.ndrop++], o[i++], BND_HASH_LEN);
		else if (c > 0)
			memcpy(p.add[p.nadd++], n[j++], BND_HASH_LEN);
		else
			i++, j++;
	}
	free(o);
	free(n);
	if (r < 0) {
		bnd_plan_done(&p);
		return r;
	}
	*ret = p;
	return 0;
}

void bnd_plan_done(struct bnd_plan *p)
{
	free(p->add);
	free(p->drop);
	p->add = p->drop = NULL;
	p->nadd = p->ndrop = 0;
}
