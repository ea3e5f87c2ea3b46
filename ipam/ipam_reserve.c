/* SPDX-License-Identifier: Apache-2.0 */
/* Operator reservations: one block's addresses reserved or unreserved
 * with one compare-and-swap on the block record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni_error.h"
#include "ipam_block.h"
#include "ipam_free.h"
#include "ipam_rec.h"
#include "ipam_reserve.h"
#include "store.h"

#define RESV_RETRIES 100

/* The block of idx as stored, or a new one without an owner node. */
static int resv_load(struct ipam_store *st, const struct ipam_range *r,
		     ipam_u128 idx, const char *key, struct ipam_block *ret,
		     struct cni_err *err)
{
	char *val = NULL;
	uint64_t ver;
	size_t len;
	int rc;

	rc = ipam_store_get(st, key, &val, &len, &ver, err);
	if (rc == -ENOENT)
		return ipam_block_new(r, idx, "", ret);
	if (rc == 0)
		rc = ipam_block_load(idx, key, val, len, ver, ret, err);
	free(val);
	if (rc == 0)
		ipam_block_note_room(r, ret);
	/* the holders named come from the records */
	if (rc == 0 && (rc = ipam_rec_fetch_all(st, r, ret, err)) < 0)
		ipam_block_clear(ret);
	return rc;
}

/* Decide one address of b; 1 when b changed, 0, or a refusal. */
static int resv_one(const struct ipam_range *r, struct ipam_block *b,
		    ipam_u128 v, const struct ipam_resv_opts *o,
		    struct ipam_resv_addr *x, struct cni_err *err)
{
	uint32_t off = (uint32_t)(v - ipam_block_base(r, b->idx));
	char s[IPAM_ADDR_STRLEN];
	const char *at = "";
	bool resv, held;

	memset(x, 0, sizeof(*x));
	x->a.family = r->net.addr.family;
	x->a.v = v;
	if (ipam_range_reserved(r, v))
		return x->state = IPAM_RESV_CONFIG, 0;
	resv = ipam_block_reserved(b, off, &at);
	held = ipam_block_holder(b, off, x->holder, sizeof(x->holder));
	snprintf(x->at, sizeof(x->at), "%s", resv ? at : "");
	if (o->unreserve) {
		if (resv)
			ipam_block_unreserve(b, off);
		return x->state = resv ? IPAM_RESV_CHANGED : IPAM_RESV_SAME,
		       resv;
	}
	if (resv)
		return x->state = IPAM_RESV_SAME, 0;
	x->state = held ? IPAM_RESV_HELD : IPAM_RESV_CHANGED;
	if (held && !o->force)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s in pool %s is held by %s",
				ipam_addr_fmt(&x->a, s), r->pool_id, x->holder);
	if (ipam_block_reserve(b, off, o->at) < 0)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	return 1;
}

/* The free-block index follows (ipam_free.h). */
static int resv_write(struct ipam_store *st, const struct ipam_range *r,
		      struct ipam_block *b, struct cni_err *err)
{
	if (b->ver && !*ipam_block_node(b) && ipam_block_empty(b))
		return ipam_block_drop(st, r, b, err);
	return ipam_block_write(st, r, b, err);
}

static int resv_once(struct ipam_store *st, const struct ipam_range *r,
		     ipam_u128 lo, ipam_u128 hi, const struct ipam_resv_opts *o,
		     struct ipam_resv_addr *ret, struct cni_err *err)
{
	ipam_u128 idx = ipam_block_of(r, lo), v;
	char key[IPAM_KEY_MAX];
	struct ipam_block b;
	int rc, changed = 0;

	ipam_block_key(r, idx, key);
	rc = resv_load(st, r, idx, key, &b, err);
	if (rc < 0)
		return rc;
	for (v = lo; v <= hi && rc >= 0; v++) {
		rc = resv_one(r, &b, v, o, &ret[v - lo], err);
		changed |= rc > 0;
		if (v == hi)
			break; /* hi may be the family's last address */
	}
	if (rc >= 0 && changed && !o->dry_run)
		rc = resv_write(st, r, &b, err);
	ipam_block_clear(&b);
	return rc < 0 ? rc : 0;
}

int ipam_reserve_span(struct ipam_store *st, const struct ipam_range *r,
		      ipam_u128 lo, ipam_u128 hi,
		      const struct ipam_resv_opts *o,
		      struct ipam_resv_addr *ret, struct cni_err *err)
{
	int rc = -ECANCELED, attempt;

	if (hi < lo || ipam_block_of(r, lo) != ipam_block_of(r, hi))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"pool %s: a span to reserve must lie in one "
				"block",
				r->pool_id);
	for (attempt = 0; attempt < RESV_RETRIES; attempt++) {
		if (err)
			*err = (struct cni_err){ 0 };
		rc = resv_once(st, r, lo, hi, o, ret, err);
		if (rc != -ECANCELED)
			return rc;
		usleep((useconds_t)(1000 * (attempt < 20 ? attempt + 1 : 20)));
	}
	return cni_errf(err, CNI_ERR_TRY_AGAIN,
			"pool %s: too many concurrent changes, try again",
			r->pool_id);
}
