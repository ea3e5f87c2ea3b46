/* SPDX-License-Identifier: Apache-2.0 */
/* plexusctl ipam reserve / unreserve ADDRESS|CIDR|FIRST-LAST: addresses
 * an operator keeps out of allocation, written into their blocks'
 * records (ipam_reserve.h), block by block. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cni_error.h"
#include "ipam_block.h"
#include "ipam_conf.h"
#include "ipam_reserve.h"
#include "plexusctl_ipam_int.h"

/* At most this many addresses in one command. */
#define RESV_SPAN_MAX 4096

struct span {
	const struct ipam_range *r;
	ipam_u128 first, last;
	size_t n;
};

static int span_bad(struct ipam_cmd *c, const char *why, struct cni_err *err)
{
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			"\"%s\": %s (an address, a CIDR or FIRST-LAST)",
			c->addr, why);
}

/* c->addr as [first, last]. */
static int span_ends(struct ipam_cmd *c, struct ipam_addr *a,
		     struct ipam_addr *b, struct cni_err *err)
{
	const char *dash = strchr(c->addr, '-');
	struct ipam_prefix p;
	char lo[IPAM_PREFIX_STRLEN];

	if (dash) {
		if ((size_t)(dash - c->addr) >= sizeof(lo))
			return span_bad(c, "not an address range", err);
		snprintf(lo, sizeof(lo), "%.*s", (int)(dash - c->addr),
			 c->addr);
		if (ipam_addr_parse(lo, a) < 0 ||
		    ipam_addr_parse(dash + 1, b) < 0 ||
		    a->family != b->family || a->v > b->v)
			return span_bad(c, "not an address range", err);
		return 0;
	}
	if (strchr(c->addr, '/')) {
		if (ipam_prefix_parse(c->addr, true, &p, NULL) < 0)
			return span_bad(c,
					"not a CIDR (its host bits must be "
					"zero)",
					err);
		*a = p.addr;
		*b = (struct ipam_addr){ p.addr.family, ipam_prefix_last(&p) };
		return 0;
	}
	if (ipam_addr_parse(c->addr, a) < 0)
		return span_bad(c, "not an address", err);
	*b = *a;
	return 0;
}

static int span_parse(struct ipam_cmd *c, struct span *ret, struct cni_err *err)
{
	struct ipam_addr a, b;
	int rc = span_ends(c, &a, &b, err);

	if (rc < 0)
		return rc;
	ret->r = ipam_conf_range_of(c->conf, &a);
	if (!ret->r || ipam_conf_range_of(c->conf, &b) != ret->r)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s is not inside one range of %s", c->addr,
				c->config);
	if (b.v - a.v >= RESV_SPAN_MAX)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: more than %d addresses at once", c->addr,
				RESV_SPAN_MAX);
	ret->first = a.v;
	ret->last = b.v;
	ret->n = (size_t)(b.v - a.v) + 1;
	return 0;
}

/* Run o over the span, block by block, into res[0 .. n). */
static int span_run(struct ipam_cmd *c, const struct span *sp,
		    const struct ipam_resv_opts *o, struct ipam_resv_addr *res,
		    struct cni_err *err)
{
	const struct ipam_range *r = sp->r;
	ipam_u128 lo = sp->first, hi, size;
	int rc = 0;

	size = (ipam_u128)1 << ipam_block_host_bits(r);
	while (rc == 0) {
		hi = ipam_block_base(r, ipam_block_of(r, lo)) + size - 1;
		if (hi > sp->last)
			hi = sp->last;
		rc = ipam_reserve_span(c->st, r, lo, hi, o,
				       &res[lo - sp->first], err);
		if (hi == sp->last)
			break;
		lo = hi + 1;
	}
	return rc;
}

static const char *state_name(enum ipam_resv_state st, bool unreserve)
{
	switch (st) {
	case IPAM_RESV_CHANGED:
		return unreserve ? "unreserved" : "reserved";
	case IPAM_RESV_HELD:
		return "reserved after release";
	case IPAM_RESV_SAME:
		return unreserve ? "not reserved" : "already reserved";
	default:
		return "skipped";
	}
}

static void res_row(const struct span *sp, const struct ipam_resv_addr *x,
		    bool unreserve, bool dry)
{
	char s[IPAM_ADDR_STRLEN], what[48];
	bool change =
		x->state == IPAM_RESV_CHANGED || x->state == IPAM_RESV_HELD;

	snprintf(what, sizeof(what), "%s%s", dry && change ? "would be " : "",
		 state_name(x->state, unreserve));
	printf("%-31s %-15s pool %s", what, ipam_addr_fmt(&x->a, s),
	       sp->r->pool_id);
	if (x->state == IPAM_RESV_HELD)
		printf("  held by %s: it keeps it until released", x->holder);
	else if (x->state == IPAM_RESV_SAME && *x->at)
		printf("  (since %s)", x->at);
	else if (x->state == IPAM_RESV_CONFIG)
		printf("  (network, broadcast, gateway, excluded or outside "
		       "the range: never handed out)");
	printf("\n");
}

static json_object *res_json(const struct span *sp,
			     const struct ipam_resv_addr *x, bool unreserve)
{
	json_object *o = json_object_new_object();
	char s[IPAM_ADDR_STRLEN];

	json_object_object_add(o, "address",
			       json_object_new_string(ipam_addr_fmt(&x->a, s)));
	json_object_object_add(o, "pool",
			       json_object_new_string(sp->r->pool_id));
	json_object_object_add(
		o, "state",
		json_object_new_string(state_name(x->state, unreserve)));
	json_object_object_add(o, "holder",
			       *x->holder ? json_object_new_string(x->holder)
					  : NULL);
	json_object_object_add(o, "reservedSince",
			       *x->at ? json_object_new_string(x->at) : NULL);
	return o;
}

static void res_print(struct ipam_cmd *c, const struct span *sp,
		      const struct ipam_resv_addr *res, bool unreserve)
{
	json_object *o, *arr;
	size_t i, n[4] = { 0 };

	for (i = 0; i < sp->n; i++)
		n[res[i].state]++;
	if (c->json) {
		o = json_object_new_object();
		arr = json_object_new_array();
		for (i = 0; i < sp->n; i++)
			json_object_array_add(arr,
					      res_json(sp, &res[i], unreserve));
		json_object_object_add(o, "dryRun",
				       json_object_new_boolean(c->dry_run));
		json_object_object_add(o, "addresses", arr);
		ipamctl_json_print(o);
		return;
	}
	for (i = 0; i < sp->n; i++)
		res_row(sp, &res[i], unreserve, c->dry_run);
	printf("%s%s %zu, %s %zu, skipped %zu", c->dry_run ? "would have " : "",
	       unreserve ? "unreserved" : "reserved",
	       n[IPAM_RESV_CHANGED] + n[IPAM_RESV_HELD],
	       unreserve ? "not reserved" : "already reserved",
	       n[IPAM_RESV_SAME], n[IPAM_RESV_CONFIG]);
	if (n[IPAM_RESV_HELD])
		printf(" (%zu held: reserved after their release)",
		       n[IPAM_RESV_HELD]);
	printf("\n");
}

/* A refusal for a held address: the message says how to go on. */
static int held_refusal(struct ipam_cmd *c, const struct ipam_resv_addr *res,
			size_t n, int rc, struct cni_err *err)
{
	char s[IPAM_ADDR_STRLEN];

	for (size_t i = 0; i < n; i++)
		if (res[i].state == IPAM_RESV_HELD)
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"%s is held by %s: give --force to "
					"reserve it for after its release "
					"(nothing reserved)",
					ipam_addr_fmt(&res[i].a, s),
					res[i].holder);
	(void)c;
	return rc;
}

int ipamctl_reserve(struct ipam_cmd *c, bool unreserve, struct cni_err *err)
{
	struct ipam_resv_opts o = { .unreserve = unreserve,
				    .force = c->force,
				    .dry_run = true };
	struct ipam_resv_addr *res;
	char at[32];
	time_t now = time(NULL);
	struct span sp = { 0 };
	struct tm tm;
	int rc = span_parse(c, &sp, err);

	if (rc < 0)
		return rc;
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	o.at = at;
	res = calloc(sp.n, sizeof(*res));
	if (!res)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	/* every block checked first: a refusal writes nothing */
	rc = span_run(c, &sp, &o, res, err);
	if (rc < 0 && !unreserve && !c->force)
		rc = held_refusal(c, res, sp.n, rc, err);
	o.dry_run = c->dry_run;
	if (rc == 0 && !c->dry_run) {
		rc = span_run(c, &sp, &o, res, err);
		if (rc < 0 && ipam_block_of(sp.r, sp.first) !=
				      ipam_block_of(sp.r, sp.last))
			cni_err_prefix(err,
				       "%s changed meanwhile, blocks before "
				       "this one are done",
				       c->addr);
	}
	if (rc == 0)
		res_print(c, &sp, res, unreserve);
	free(res);
	return rc;
}
