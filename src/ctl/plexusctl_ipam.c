/* SPDX-License-Identifier: Apache-2.0 */
/* plexusctl ipam ls / gc / show / release: the pools of a plexus-ipam
 * config as stored, the release of allocations whose pod UID is gone
 * from the API, and one address: who holds it, and its release; the
 * command line of every verb. (plexusctl_ipam_reserve.c: reserve and
 * unreserve; plexusctl_ipam_claims.c: claims; plexusctl_ipam_preview.c
 * is plexusctl plan's address preview.) */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cni_error.h"
#include "cni_json.h"
#include "ipam_alloc.h"
#include "ipam_block.h"
#include "ipam_rec.h"
#include "ipam_claim.h"
#include "ipam_conf.h"
#include "ipam_walk.h"
#include "k8s.h"
#include "kube_obj.h"
#include "plexusctl_ipam.h"
#include "plexusctl_ipam_int.h"
#include "store.h"

extern char **environ;

#define EXIT_FAILED 1
#define EXIT_USAGE  2
#define PODS_PAGE   500

void ipamctl_recs_free(struct recs *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		free(rs->v[i].cid);
		free(rs->v[i].ifname);
		free(rs->v[i].ns);
		free(rs->v[i].pod);
		free(rs->v[i].uid);
		free(rs->v[i].node);
		free(rs->v[i].claim);
		free(rs->v[i].at);
	}
	free(rs->v);
	rs->v = NULL;
	rs->n = rs->cap = 0;
}

static char *field(json_object *rec, const char *k)
{
	json_object *v;

	if (json_object_object_get_ex(rec, k, &v) &&
	    json_object_is_type(v, json_type_string))
		return strdup(json_object_get_string(v));
	return strdup("");
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return x->a.v < y->a.v ? -1 : x->a.v > y->a.v;
}

/* A new entry at the end of rs for offset off of b: its strings NULL. */
static struct rec *recs_push(struct recs *rs, const struct ipam_range *r,
			     const struct ipam_block *b, uint32_t off)
{
	struct rec *nv, *x;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 64;
		nv = realloc(rs->v, rs->cap * sizeof(*nv));
		if (!nv)
			return NULL;
		rs->v = nv;
	}
	x = &rs->v[rs->n++];
	*x = (struct rec){ .r = r, .off = off };
	x->a.family = r->net.addr.family;
	x->a.v = ipam_block_base(r, b->idx) + off;
	return x;
}

/* The operator's reservations of b: onto their allocation when held,
 * else an entry of their own (no holder). */
static int recs_add_reserved(struct recs *rs, size_t first,
			     const struct ipam_range *r,
			     const struct ipam_block *b)
{
	json_object *resv = ipam_block_reservations(b), *at;
	struct rec *x;
	uint32_t off;
	size_t i;

	if (!resv)
		return 0;
	json_object_object_foreach (resv, k, v) {
		off = (uint32_t)strtoul(k, NULL, 10);
		for (i = first, x = NULL; i < rs->n && !x; i++)
			if (rs->v[i].off == off)
				x = &rs->v[i];
		if (!x) {
			x = recs_push(rs, r, b, off);
			if (!x)
				return -ENOMEM;
			x->cid = strdup("");
			x->ifname = strdup("");
			x->ns = strdup("");
			x->pod = strdup("");
			x->uid = strdup("");
			x->node = strdup("");
			x->claim = strdup("");
		}
		free(x->at);
		x->conflict = json_object_object_get_ex(v, "reason", &at) &&
			      strcmp(json_object_get_string(at),
				     IPAM_RESV_CONFLICT) == 0;
		x->at = json_object_object_get_ex(v, "at", &at)
				? strdup(json_object_get_string(at))
				: strdup("?");
		if (!x->at || !x->cid || !x->ifname || !x->ns || !x->pod ||
		    !x->uid || !x->node || !x->claim)
			return -ENOMEM;
	}
	return 0;
}

/* Append b's allocations and reservations to rs, sorted by address
 * within the block. */
static int recs_add_block(struct recs *rs, const struct ipam_range *r,
			  const struct ipam_block *b)
{
	size_t first = rs->n;
	struct rec *x;

	json_object_object_foreach (ipam_block_allocs(b), k, v) {
		x = recs_push(rs, r, b, (uint32_t)strtoul(k, NULL, 10));
		if (!x)
			return -ENOMEM;
		x->held = true;
		x->at = strdup("");
		/* a slot without its record: said so where the container
		 * would be */
		x->cid = ipam_block_rec_state(b, x->off)
				 ? strdup(ipam_block_rec_state(b, x->off))
				 : field(v, "cid");
		x->ifname = field(v, "if");
		x->ns = field(v, "ns");
		x->pod = field(v, "pod");
		x->uid = field(v, "uid");
		x->node = field(v, "node");
		x->claim = field(v, "claim");
		if (!x->cid || !x->ifname || !x->ns || !x->pod || !x->uid ||
		    !x->node || !x->claim || !x->at)
			return -ENOMEM;
	}
	if (recs_add_reserved(rs, first, r, b) < 0)
		return -ENOMEM;
	if (rs->n > first)
		qsort(rs->v + first, rs->n - first, sizeof(*rs->v), rec_cmp);
	return 0;
}

/* --- ls --- */

static char *u128_dec(ipam_u128 v, char buf[40])
{
	char *p = buf + 39;

	*p = '\0';
	do {
		*--p = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	return p;
}

/* Addresses of block b that may be handed out. */
static unsigned usable_in(const struct ipam_range *r, ipam_u128 idx)
{
	ipam_u128 base = ipam_block_base(r, idx), last;
	unsigned n = 0, off, size = 1u << ipam_block_host_bits(r);

	last = ipam_prefix_last(&r->net);
	for (off = 0; off < size && base + off <= last; off++)
		if (!ipam_range_reserved(r, base + off))
			n++;
	return n;
}

void ipamctl_rec_print(FILE *f, const struct rec *x)
{
	char s[IPAM_ADDR_STRLEN];

	if (!x->held) {
		fprintf(f, "    %-15s reserved %s since %s\n",
			ipam_addr_fmt(&x->a, s), ipamctl_resv_by(x), x->at);
		return;
	}
	fprintf(f,
		"    %-15s pod %s/%s  uid %s  container %s  interface %s  "
		"node %s%s%s",
		ipam_addr_fmt(&x->a, s), *x->ns ? x->ns : "-",
		*x->pod ? x->pod : "-", *x->uid ? x->uid : "-",
		*x->cid ? x->cid : "-", *x->ifname ? x->ifname : "-", x->node,
		*x->claim ? "  claim " : "", x->claim);
	if (*x->at)
		fprintf(f, "  reserved since %s (after its release)", x->at);
	fprintf(f, "\n");
}

/* Onto o, what holds x (NULL: nothing): "holder" (or null), "reserved"
 * (when an operator or a conflict reserved it, or null) and its
 * "reason" (operator, conflict). */
static void rec_state_json(json_object *o, const struct rec *x)
{
	json_object_object_add(o, "holder",
			       x && x->held ? ipamctl_rec_json(x) : NULL);
	json_object_object_add(o, "reserved",
			       x && *x->at ? json_object_new_string(x->at)
					   : NULL);
	if (x && *x->at)
		json_object_object_add(
			o, "reason",
			json_object_new_string(x->conflict ? IPAM_RESV_CONFLICT
							   : "operator"));
}

/* How many addresses of b an operator reserved, and of those held by
 * nobody. */
static unsigned reserved_in(const struct ipam_block *b, unsigned *ret_free)
{
	json_object *resv = ipam_block_reservations(b), *rec;
	unsigned n = 0;

	*ret_free = 0;
	if (!resv)
		return 0;
	json_object_object_foreach (resv, k, v) {
		(void)v;
		n++;
		if (!json_object_object_get_ex(ipam_block_allocs(b), k, &rec))
			(*ret_free)++;
	}
	return n;
}

/* What ls says of block b: its prefix and counts. */
struct block_sum {
	char prefix[IPAM_PREFIX_STRLEN];
	unsigned used, free, resv;
};

static void block_sum(const struct ipam_range *r, const struct ipam_block *b,
		      struct block_sum *ret)
{
	struct ipam_prefix p = { .addr = { r->net.addr.family,
					   ipam_block_base(r, b->idx) },
				 .len = r->block_len };
	unsigned usable = usable_in(r, b->idx), idle;

	ipam_prefix_fmt(&p, ret->prefix);
	ret->used = (unsigned)json_object_object_length(ipam_block_allocs(b));
	ret->resv = reserved_in(b, &idle);
	ret->free = usable > ret->used + idle ? usable - ret->used - idle : 0;
}

static void print_block(FILE *f, const struct ipam_range *r,
			const struct ipam_block *b, const struct recs *rs)
{
	char rs_s[32] = "";
	struct block_sum bs;
	size_t i;

	block_sum(r, b, &bs);
	if (bs.resv)
		snprintf(rs_s, sizeof(rs_s), "  reserved %u", bs.resv);
	fprintf(f, "  block %s  node %s  used %u  free %u%s\n", bs.prefix,
		*ipam_block_node(b) ? ipam_block_node(b) : "-", bs.used,
		bs.free, rs_s);
	for (i = 0; i < rs->n; i++)
		ipamctl_rec_print(f, &rs->v[i]);
}

/* x as ls -o json lists it: address, holder (or null), reserved (the
 * time, or null) and its reason. */
static json_object *rec_entry_json(const struct rec *x)
{
	char s[IPAM_ADDR_STRLEN];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "address",
			       json_object_new_string(ipam_addr_fmt(&x->a, s)));
	rec_state_json(o, x);
	return o;
}

/* Block b with its records rs as ls -o json lists it. */
static json_object *block_json(const struct ipam_range *r,
			       const struct ipam_block *b,
			       const struct recs *rs)
{
	json_object *o = json_object_new_object(), *arr;
	struct block_sum bs;
	size_t i;

	block_sum(r, b, &bs);
	json_object_object_add(o, "block", json_object_new_string(bs.prefix));
	json_object_object_add(
		o, "node",
		*ipam_block_node(b) ? json_object_new_string(ipam_block_node(b))
				    : NULL);
	json_object_object_add(o, "used", json_object_new_uint64(bs.used));
	json_object_object_add(o, "free", json_object_new_uint64(bs.free));
	json_object_object_add(o, "reserved", json_object_new_uint64(bs.resv));
	arr = json_object_new_array();
	for (i = 0; i < rs->n; i++)
		json_object_array_add(arr, rec_entry_json(&rs->v[i]));
	json_object_object_add(o, "addresses", arr);
	return o;
}

/* What ls gathers of a pool while its blocks stream into the spool. */
struct ls_pool {
	struct ipam_cmd *c;
	struct ipamctl_spool *sp;
	size_t blocks, total, resv;
	size_t orphans; /* records with no block header (ipam_pool_walk) */
};

/* Pool r's line of ls. */
static void pool_line(const struct ipam_range *r, const struct ls_pool *p)
{
	char s[IPAM_PREFIX_STRLEN], d[40];

	ipam_prefix_fmt(&r->net, s);
	printf("pool %s  range %s  blocks /%d: %zu claimed of %s  "
	       "allocations %zu",
	       r->pool_id, s, r->block_len, p->blocks,
	       u128_dec(ipam_block_last(r) - ipam_block_first(r) + 1, d),
	       p->total);
	if (p->resv)
		printf("  reserved %zu", p->resv);
	if (p->orphans)
		printf("  records without a block %zu", p->orphans);
	printf("\n");
}

/* Pool r's object in ls -o json, its "blocks" empty. */
static json_object *pool_obj(const struct ipam_range *r,
			     const struct ls_pool *p)
{
	char s[IPAM_PREFIX_STRLEN], d[40];
	json_object *o = json_object_new_object();

	ipam_prefix_fmt(&r->net, s);
	json_object_object_add(o, "pool", json_object_new_string(r->pool_id));
	json_object_object_add(o, "range", json_object_new_string(s));
	json_object_object_add(o, "blockLen",
			       json_object_new_int(r->block_len));
	json_object_object_add(o, "blocksClaimed",
			       json_object_new_uint64(p->blocks));
	json_object_object_add(
		o, "blocksInRange",
		json_object_new_string(u128_dec(
			ipam_block_last(r) - ipam_block_first(r) + 1, d)));
	json_object_object_add(o, "allocations",
			       json_object_new_uint64(p->total));
	json_object_object_add(o, "reserved", json_object_new_uint64(p->resv));
	if (p->orphans)
		json_object_object_add(o, "recordsWithoutBlock",
				       json_object_new_uint64(p->orphans));
	json_object_object_add(o, "blocks", json_object_new_array());
	return o;
}

static int spool_fail(int rc, struct cni_err *err)
{
	return rc == -ENOMEM
		       ? cni_errf(err, CNI_ERR_IO, "out of memory")
		       : cni_errf(err, CNI_ERR_IO,
				  "temporary file (TMPDIR): %s", strerror(-rc));
}

/* Block b of a pool being listed: counted, its lines (or its JSON
 * object) into the spool. */
static int ls_block(const struct ipam_range *r, const struct ipam_block *b,
		    void *arg, struct cni_err *err)
{
	struct ls_pool *p = arg;
	struct recs rs = { 0 };
	unsigned idle;
	int rc = recs_add_block(&rs, r, b);

	if (rc == 0)
		rc = ipamctl_spool_begin(p->sp, b->idx);
	if (rc == 0 && p->c->json)
		ipamctl_json_write(p->sp->f, block_json(r, b, &rs));
	else if (rc == 0)
		print_block(p->sp->f, r, b, &rs);
	if (rc == 0)
		rc = ipamctl_spool_end(p->sp);
	ipamctl_recs_free(&rs);
	p->blocks++;
	p->total += (size_t)json_object_object_length(ipam_block_allocs(b));
	p->resv += reserved_in(b, &idle);
	return rc < 0 ? spool_fail(rc, err) : 0;
}

/* ls -o json's document, its "pools" empty. */
static json_object *ls_doc(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "pools", json_object_new_array());
	return o;
}

/* Pool r, its blocks streamed through the spool (the head needs the
 * pool's counts), then printed; in -o json an element of pools, which
 * is opened before the first. */
static int ls_range(struct ipam_cmd *c, const struct ipam_range *r,
		    struct ipamctl_spool *sp, struct ipamctl_js *pools,
		    bool *opened, struct cni_err *err)
{
	struct ls_pool p = { .c = c, .sp = sp };
	struct ipamctl_js blocks = { 0 };
	int rc = ipamctl_spool_reset(sp);
	size_t i;

	if (rc < 0)
		return spool_fail(rc, err);
	rc = ipam_pool_walk(c->st, r, c->page, ls_block, &p, &p.orphans, err);
	if (rc < 0)
		return rc;
	ipamctl_spool_sort(sp);
	if (c->json && !*opened) {
		rc = ipamctl_js_open(pools, stdout, ls_doc(), "pools", 0);
		*opened = rc == 0;
	}
	if (rc == 0 && c->json) {
		ipamctl_js_sep(pools);
		rc = ipamctl_js_open(&blocks, stdout, pool_obj(r, &p), "blocks",
				     ipamctl_js_elem_indent(pools));
	} else if (rc == 0) {
		pool_line(r, &p);
	}
	for (i = 0; rc == 0 && i < sp->n; i++) {
		if (c->json)
			ipamctl_js_sep(&blocks);
		rc = ipamctl_spool_copy(
			sp, i, stdout,
			c->json ? ipamctl_js_elem_indent(&blocks) : 0);
	}
	if (rc == 0 && c->json)
		rc = ipamctl_js_close(&blocks, NULL);
	ipamctl_js_drop(&blocks);
	return rc < 0 ? spool_fail(rc, err) : 0;
}

static int cmd_ls(struct ipam_cmd *c, struct cni_err *err)
{
	struct ipamctl_js pools = { 0 };
	struct ipamctl_spool sp;
	bool opened = false;
	size_t i;
	int rc = ipamctl_spool_open(&sp);

	if (rc < 0)
		return spool_fail(rc, err);
	for (i = 0; i < c->conf->n_ranges && rc == 0; i++)
		rc = ls_range(c, &c->conf->ranges[i], &sp, &pools, &opened,
			      err);
	if (rc == 0 && c->json && !opened &&
	    (rc = ipamctl_js_open(&pools, stdout, ls_doc(), "pools", 0)) < 0)
		rc = spool_fail(rc, err);
	if (rc == 0 && c->json && ipamctl_js_close(&pools, NULL) == 0)
		printf("\n");
	ipamctl_js_drop(&pools);
	ipamctl_spool_close(&sp);
	return rc;
}

/* --- gc --- */

/* The pods' UIDs as 64-bit FNV-1a hashes, sorted: 8 bytes a pod. Two
 * UIDs of one hash would keep a gone pod's address, never release a
 * live one's. */
struct uids {
	uint64_t *v;
	size_t n, cap;
};

static uint64_t uid_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static int uids_add(struct uids *u, const char *s)
{
	uint64_t *nv;

	if (u->n == u->cap) {
		u->cap = u->cap ? 2 * u->cap : 256;
		nv = realloc(u->v, u->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		u->v = nv;
	}
	u->v[u->n++] = uid_hash(s);
	return 0;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static const char *str_in(json_object *o, const char *k1, const char *k2)
{
	json_object *a, *b;

	if (!json_object_object_get_ex(o, k1, &a) ||
	    !json_object_object_get_ex(a, k2, &b) ||
	    !json_object_is_type(b, json_type_string))
		return NULL;
	return json_object_get_string(b);
}

static int api_fail(long st, json_object *doc, const char *what,
		    struct cni_err *err)
{
	const char *msg = NULL;
	json_object *m;

	if (doc && json_object_object_get_ex(doc, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		msg = json_object_get_string(m);
	return cni_errf(err, CNI_ERR_KUBERNETES, "%s: HTTP %ld%s%s%s", what, st,
			st == 401   ? " Unauthorized: the API server refused "
				      "the token or certificate"
			: st == 403 ? " Forbidden: the account may not list "
				      "pods"
				    : "",
			msg ? ": " : "", msg ? msg : "");
}

/* One page of GET /api/v1/pods into u; *cont becomes the next token. */
static int pods_page(struct k8s_client *k, char *cont, size_t cont_size,
		     struct uids *u, struct cni_err *err)
{
	char path[KUBE_CONT_MAX * 3 + 64], esc[KUBE_CONT_MAX * 3] = "";
	json_object *doc = NULL, *items;
	const char *uid, *next;
	long st;
	size_t i;
	int rc;

	if (*cont)
		kube_query_escape(cont, esc, sizeof(esc));
	snprintf(path, sizeof(path), "/api/v1/pods?limit=%d%s%s", PODS_PAGE,
		 *esc ? "&continue=" : "", esc);
	rc = k8s_request(k, "GET", path, NULL, NULL, &st, &doc, err);
	if (rc < 0)
		return rc;
	if (st != 200)
		rc = api_fail(st, doc, "list pods", err);
	else if (!doc) /* a body that does not parse fails in k8s_request */
		rc = cni_errf(err, CNI_ERR_KUBERNETES,
			      "list pods: HTTP 200 with an empty answer");
	else if (!json_object_object_get_ex(doc, "items", &items) ||
		 !json_object_is_type(items, json_type_array))
		rc = cni_errf(err, CNI_ERR_KUBERNETES,
			      "list pods: the answer has no \"items\" list");
	for (i = 0; rc == 0 && i < json_object_array_length(items); i++) {
		uid = str_in(json_object_array_get_idx(items, i), "metadata",
			     "uid");
		if (uid && uids_add(u, uid) < 0)
			rc = cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	next = rc == 0 ? str_in(doc, "metadata", "continue") : NULL;
	snprintf(cont, cont_size, "%s", next ? next : "");
	json_object_put(doc);
	return rc;
}

/* The UIDs of every pod in the cluster, sorted. */
static int pods_uids(const char *kubeconfig, struct uids *u,
		     struct cni_err *err)
{
	struct k8s_config *cfg = NULL;
	struct k8s_client *k = NULL;
	char cont[KUBE_CONT_MAX] = "";
	int rc;

	if (kubeconfig)
		rc = k8s_kubeconfig_load(kubeconfig, &cfg, err);
	else
		rc = k8s_config_in_cluster(environ, NULL, &cfg, err);
	if (rc == 0)
		rc = k8s_client_new(cfg, &k, err);
	while (rc == 0) {
		rc = pods_page(k, cont, sizeof(cont), u, err);
		if (!*cont)
			break;
	}
	k8s_client_free(k);
	k8s_config_free(cfg);
	if (rc == 0 && u->n)
		qsort(u->v, u->n, sizeof(*u->v), u64_cmp);
	return rc;
}

static bool uid_alive(const struct uids *u, const char *uid)
{
	uint64_t h = uid_hash(uid);

	return u->n && bsearch(&h, u->v, u->n, sizeof(*u->v), u64_cmp);
}

/* A block of a pool gc reads: its held records into the spool. */
static int gc_block(const struct ipam_range *r, const struct ipam_block *b,
		    void *arg, struct cni_err *err)
{
	struct ipamctl_spool *sp = arg;
	struct recs rs = { 0 };
	int rc = recs_add_block(&rs, r, b);
	size_t i;

	if (rc == 0)
		rc = ipamctl_spool_begin(sp, b->idx);
	for (i = 0; rc == 0 && i < rs.n; i++)
		if (rs.v[i].held)
			ipamctl_rec_write(sp->f, &rs.v[i], (uint32_t)sp->group);
	if (rc == 0)
		rc = ipamctl_spool_end(sp);
	ipamctl_recs_free(&rs);
	return rc < 0 ? spool_fail(rc, err) : 0;
}

/* Every pool's held records into sp (group: the range's index), a page
 * of blocks in memory at a time. */
static int recs_spool(struct ipam_cmd *c, struct ipamctl_spool *sp,
		      struct cni_err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < c->conf->n_ranges && rc == 0; i++) {
		sp->group = i;
		rc = ipam_pool_walk(c->st, &c->conf->ranges[i], c->page,
				    gc_block, sp, NULL, err);
	}
	ipamctl_spool_sort(sp);
	return rc;
}

/* x's outcome (state: what was done; holder: the former holder): into
 * gc's stream (c->js) or release's array (c->out). */
static int outcome_add(struct ipam_cmd *c, const struct rec *x,
		       const char *state)
{
	char s[IPAM_ADDR_STRLEN];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "address",
			       json_object_new_string(ipam_addr_fmt(&x->a, s)));
	json_object_object_add(o, "pool",
			       json_object_new_string(x->r->pool_id));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "holder", ipamctl_rec_json(x));
	if (c->js)
		ipamctl_js_add(c->js, o);
	else
		json_object_array_add(c->out, o);
	return 0;
}

/* {"dryRun", "addresses": c->out}: the document release and gc print. */
static json_object *outcomes_doc(struct ipam_cmd *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "dryRun",
			       json_object_new_boolean(c->dry_run));
	json_object_object_add(o, "addresses", json_object_get(c->out));
	return o;
}

/* Release x; prints what was done. */
static int gc_one(struct ipam_cmd *c, struct ipam_ctx *ctx, const struct rec *x,
		  struct cni_err *err)
{
	char s[IPAM_ADDR_STRLEN];
	int rc = 0;

	if (!c->dry_run) {
		rc = ipam_release_at(ctx, x->r, &x->a, x->cid, x->ifname, err);
		if (rc == -ENOENT && c->json)
			return outcome_add(c, x, "released meanwhile");
		if (rc == -ENOENT) {
			printf("gone      %s (released meanwhile)\n",
			       ipam_addr_fmt(&x->a, s));
			return 0;
		}
		if (rc < 0)
			return rc;
	}
	if (c->json)
		return outcome_add(c, x, "released");
	printf("%s %-15s pool %s  pod %s/%s  uid %s  container %s  "
	       "interface %s  node %s\n",
	       c->dry_run ? "would release" : "released",
	       ipam_addr_fmt(&x->a, s), x->r->pool_id, x->ns, x->pod, x->uid,
	       x->cid, x->ifname, x->node);
	return 0;
}

struct gc_count {
	size_t released, kept, no_uid, claimed;
};

/* Does x's IPAMClaim exist and list x's address? 1, 0 (gone or not
 * listed), or a failure of the API. */
static int gc_claim_holds(struct ipam_cmd *c, struct ipam_claims **cl,
			  const struct rec *x, struct cni_err *err)
{
	const char *slash = strchr(x->claim, '/');
	struct ipam_claim *got = NULL;
	json_object *node;
	char ns[64];
	int rc = 0;
	size_t i;

	if (!slash || (size_t)(slash - x->claim) >= sizeof(ns))
		return 0;
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - x->claim), x->claim);
	if (!*cl) {
		node = json_object_new_object();
		json_object_object_add(
			node, "kubeconfig",
			json_object_new_string(c->kubeconfig ? c->kubeconfig
							     : ""));
		rc = ipam_claims_open(node, NULL, cl, err);
		json_object_put(node);
	}
	if (rc == 0)
		rc = ipam_claims_get(*cl, ns, slash + 1, &got, err);
	if (rc == -ENOENT) {
		if (err)
			*err = (struct cni_err){ 0 };
		return 0;
	}
	for (i = 0; rc == 0 && i < got->n_ips; i++)
		if (got->ips[i].family == x->a.family &&
		    got->ips[i].v == x->a.v)
			rc = 1;
	ipam_claim_free(got);
	return rc;
}

/* A claim's record that changed between its read and its release. */
static int gc_gone(struct ipam_cmd *c, const struct rec *x)
{
	char s[IPAM_ADDR_STRLEN];

	if (c->json)
		return outcome_add(c, x, "changed meanwhile");
	printf("gone      %s (changed meanwhile)\n", ipam_addr_fmt(&x->a, s));
	return 0;
}

/* A claim's record whose pod is gone (or that has none): its container
 * goes while the claim lists the address, the record when the claim is
 * gone or does not. */
static int gc_claim_one(struct ipam_cmd *c, struct ipam_ctx *ctx,
			struct ipam_claims **cl, const struct rec *x,
			struct gc_count *n, struct cni_err *err)
{
	char s[IPAM_ADDR_STRLEN];
	int held = gc_claim_holds(c, cl, x, err), rc = 0;

	if (held < 0)
		return held;
	if (held && !*x->cid) {
		n->claimed++;
		return 0;
	}
	if (!c->dry_run)
		rc = ipam_claim_release_at(ctx, x->r, &x->a, x->claim, x->cid,
					   x->ifname, held, err);
	if (rc == -ENOENT)
		return gc_gone(c, x);
	if (rc < 0)
		return rc;
	if (held)
		n->claimed++;
	else
		n->released++;
	if (c->json)
		return outcome_add(c, x,
				   held ? "released to its claim"
					: "released, claim gone");
	printf("%s %-15s pool %s  %s  claim %s  pod %s/%s  uid %s  node %s\n",
	       c->dry_run ? "would release" : "released",
	       ipam_addr_fmt(&x->a, s), x->r->pool_id,
	       held ? "to its claim" : "claim gone", x->claim, x->ns,
	       *x->pod ? x->pod : "-", *x->uid ? x->uid : "-", x->node);
	return 0;
}

/* gc's -o json document: dryRun, the addresses (streamed: empty here)
 * and the counts. */
static json_object *gc_doc(struct ipam_cmd *c, const struct gc_count *n)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "dryRun",
			       json_object_new_boolean(c->dry_run));
	json_object_object_add(o, "addresses", json_object_new_array());
	json_object_object_add(o, "released",
			       json_object_new_uint64(n->released));
	json_object_object_add(o, "kept", json_object_new_uint64(n->kept));
	json_object_object_add(o, "keptNoPodUid",
			       json_object_new_uint64(n->no_uid));
	json_object_object_add(o, "keptForClaims",
			       json_object_new_uint64(n->claimed));
	return o;
}

/* One held record x read back: kept, released, or left to its claim. */
static int gc_rec(struct ipam_cmd *c, struct ipam_ctx *ctx,
		  struct ipam_claims **cl, const struct uids *u,
		  const struct rec *x, struct gc_count *n, struct cni_err *err)
{
	int rc;

	if (*x->uid && uid_alive(u, x->uid))
		n->kept++;
	else if (*x->claim && (*x->uid || !*x->cid))
		return gc_claim_one(c, ctx, cl, x, n, err);
	else if (!*x->uid)
		n->no_uid++;
	else if ((rc = gc_one(c, ctx, x, err)) < 0)
		return rc;
	else
		n->released++;
	return 0;
}

/* The spooled records, block by block in address order, each read back
 * and judged. */
static int gc_spooled(struct ipam_cmd *c, struct ipamctl_spool *sp,
		      const struct uids *u, struct gc_count *n,
		      struct cni_err *err)
{
	struct ipam_ctx ctx = { .st = c->st,
				.node = "plexusctl",
				.seed = (uint64_t)getpid() ^
					(uint64_t)time(NULL) };
	struct ipam_claims *cl = NULL;
	struct rec x;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < sp->n; i++) {
		rc = ipamctl_spool_seek(sp, i);
		while (rc == 0 && ipamctl_spool_left(sp, i)) {
			rc = ipamctl_rec_read(sp->f, c->conf, &x);
			if (rc == 0)
				rc = gc_rec(c, &ctx, &cl, u, &x, n, err);
			else
				rc = spool_fail(rc, err);
			ipamctl_rec_clear(&x);
		}
		if (rc < 0 && !err->code)
			rc = spool_fail(rc, err);
	}
	ipam_claims_free(cl);
	return rc;
}

static void gc_summary(struct ipam_cmd *c, const struct gc_count *n)
{
	printf("%s %zu, kept %zu (pod exists), kept %zu (no pod UID "
	       "recorded)",
	       c->dry_run ? "would release" : "released", n->released, n->kept,
	       n->no_uid);
	if (n->claimed)
		printf(", kept %zu for their IPAMClaims", n->claimed);
	printf("\n");
}

/* Allocations are read (into a spool) before the pods are listed: a pod
 * that holds an allocation existed before its ADD, so it is in the list
 * unless it was deleted. */
static int cmd_gc(struct ipam_cmd *c, struct cni_err *err)
{
	struct gc_count n = { 0 };
	struct ipamctl_js js = { 0 };
	struct ipamctl_spool sp;
	struct uids u = { 0 };
	int rc = ipamctl_spool_open(&sp);

	if (rc < 0)
		return spool_fail(rc, err);
	rc = recs_spool(c, &sp, err);
	if (rc == 0)
		rc = pods_uids(c->kubeconfig, &u, err);
	if (rc == 0 && c->json) {
		rc = ipamctl_js_open(&js, stdout, gc_doc(c, &n), "addresses",
				     0);
		c->js = rc == 0 ? &js : NULL;
		if (rc < 0)
			rc = cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	if (rc == 0)
		rc = gc_spooled(c, &sp, &u, &n, err);
	if (rc == 0 && c->json && ipamctl_js_close(&js, gc_doc(c, &n)) == 0)
		printf("\n");
	else if (rc == 0 && !c->json)
		gc_summary(c, &n);
	ipamctl_js_drop(&js);
	c->js = NULL;
	ipamctl_spool_close(&sp);
	free(u.v);
	return rc;
}

/* --- show / release: one address, one block read --- */

int ipamctl_addr_holder(struct ipam_cmd *c, const struct ipam_addr *a,
			struct recs *rs, const struct rec **x, const char **why,
			char *node, size_t node_size, struct cni_err *err)
{
	char s[IPAM_ADDR_STRLEN];
	const struct ipam_range *r = ipam_conf_range_of(c->conf, a);
	char key[IPAM_KEY_MAX], *val = NULL;
	struct ipam_block b;
	ipam_u128 idx;
	uint64_t ver;
	size_t len;
	int rc;

	*node = '\0';
	if (!r)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s is in no range of %s", ipam_addr_fmt(a, s),
				c->config);
	if (ipam_range_reserved(r, a->v))
		return *why = "reserved (network, broadcast, gateway, excluded "
			      "or outside the range)",
		       1;
	idx = ipam_block_of(r, a->v);
	ipam_block_key(r, idx, key);
	rc = ipam_store_get(c->st, key, &val, &len, &ver, err);
	if (rc == -ENOENT)
		return *why = "free (its block is claimed by no node)", 1;
	if (rc == 0)
		rc = ipam_block_load(idx, key, val, len, ver, &b, err);
	free(val);
	if (rc < 0)
		return rc;
	rc = ipam_rec_fetch(c->st, r, &b,
			    (uint32_t)(a->v - ipam_block_base(r, idx)), err);
	if (rc < 0) {
		ipam_block_clear(&b);
		return rc;
	}
	snprintf(node, node_size, "%s", ipam_block_node(&b));
	rc = recs_add_block(rs, r, &b);
	ipam_block_clear(&b);
	if (rc < 0)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].a.v == a->v)
			return *x = &rs->v[i], 0;
	return *why = "free", 1;
}

json_object *ipamctl_rec_json(const struct rec *x)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "namespace", json_object_new_string(x->ns));
	json_object_object_add(o, "pod", json_object_new_string(x->pod));
	json_object_object_add(o, "uid", json_object_new_string(x->uid));
	json_object_object_add(o, "container", json_object_new_string(x->cid));
	json_object_object_add(o, "interface",
			       json_object_new_string(x->ifname));
	json_object_object_add(o, "node", json_object_new_string(x->node));
	if (*x->claim)
		json_object_object_add(o, "claim",
				       json_object_new_string(x->claim));
	return o;
}

const char *ipamctl_resv_by(const struct rec *x)
{
	return x->conflict ? "as a conflict (another host on the segment "
			     "answered ARP for it)"
			   : "by an operator";
}

static void show_print(struct ipam_cmd *c, const struct ipam_addr *a,
		       const struct rec *x, const char *why, const char *node)
{
	const struct ipam_range *r = ipam_conf_range_of(c->conf, a);
	char s[IPAM_ADDR_STRLEN];
	json_object *o;

	if (!c->json) {
		printf("address %s  pool %s  block node %s\n",
		       ipam_addr_fmt(a, s), r->pool_id, *node ? node : "-");
		if (x)
			ipamctl_rec_print(stdout, x);
		else
			printf("    %s\n", why);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "address",
			       json_object_new_string(ipam_addr_fmt(a, s)));
	json_object_object_add(o, "pool", json_object_new_string(r->pool_id));
	json_object_object_add(o, "blockNode",
			       *node ? json_object_new_string(node) : NULL);
	rec_state_json(o, x);
	if (!x || !x->held)
		json_object_object_add(
			o, "state",
			json_object_new_string(!x	     ? why
					       : x->conflict ? "reserved as a "
							       "conflict"
							     : "reserved by an "
							       "operator"));
	ipamctl_json_print(o);
}

void ipamctl_json_print(json_object *o)
{
	printf("%s\n",
	       json_object_to_json_string_ext(
		       o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static int parse_addr(struct ipam_cmd *c, struct ipam_addr *a,
		      struct cni_err *err)
{
	if (ipam_addr_parse(c->addr, a) < 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"\"%s\" is not an IP address", c->addr);
	return 0;
}

static int cmd_show(struct ipam_cmd *c, struct cni_err *err)
{
	const struct rec *x = NULL;
	struct recs rs = { 0 };
	const char *why = NULL;
	struct ipam_addr a;
	char node[256];
	int rc = parse_addr(c, &a, err);

	if (rc == 0)
		rc = ipamctl_addr_holder(c, &a, &rs, &x, &why, node,
					 sizeof(node), err);
	if (rc >= 0)
		show_print(c, &a, x, why, node);
	ipamctl_recs_free(&rs);
	return rc < 0 ? rc : 0;
}

/* Is x's pod (by namespace, name and UID) still in the API? */
static int holder_alive(struct ipam_cmd *c, const struct rec *x, bool *ret,
			struct cni_err *err)
{
	struct k8s_config *cfg = NULL;
	struct k8s_client *k = NULL;
	json_object *doc = NULL;
	char path[600];
	long st = 0;
	int rc;

	if (!k8s_name_is_label(x->ns) || !k8s_name_is_subdomain(x->pod))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"the holder's pod is not recorded (container "
				"%s): give --force to release it anyway",
				x->cid);
	if (c->kubeconfig)
		rc = k8s_kubeconfig_load(c->kubeconfig, &cfg, err);
	else
		rc = k8s_config_in_cluster(environ, NULL, &cfg, err);
	if (rc == 0)
		rc = k8s_client_new(cfg, &k, err);
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", x->ns,
		 x->pod);
	if (rc == 0)
		rc = k8s_request(k, "GET", path, NULL, NULL, &st, &doc, err);
	if (rc == 0 && st != 200 && st != 404)
		rc = api_fail(st, doc, "get the holder's pod", err);
	if (rc == 0) {
		const char *uid = str_in(doc, "metadata", "uid");

		*ret = st == 200 && (!*x->uid || (uid && !strcmp(uid, x->uid)));
	}
	json_object_put(doc);
	k8s_client_free(k);
	k8s_config_free(cfg);
	return rc;
}

static void release_print(struct ipam_cmd *c, const struct rec *x)
{
	char s[IPAM_ADDR_STRLEN];

	if (!c->json) {
		printf("%s %s  pool %s  pod %s/%s  uid %s  container %s  "
		       "interface %s  node %s\n",
		       c->dry_run ? "would release" : "released",
		       ipam_addr_fmt(&x->a, s), x->r->pool_id, x->ns, x->pod,
		       x->uid, x->cid, x->ifname, x->node);
		return;
	}
	c->out = json_object_new_array();
	outcome_add(c, x, "released");
	ipamctl_json_print(outcomes_doc(c));
	json_object_put(c->out);
	c->out = NULL;
}

static int cmd_release(struct ipam_cmd *c, struct cni_err *err)
{
	struct ipam_ctx ctx = { .st = c->st, .node = "plexusctl" };
	const struct rec *x = NULL;
	struct recs rs = { 0 };
	const char *why = NULL;
	bool alive = false;
	struct ipam_addr a;
	char node[256];
	int rc = parse_addr(c, &a, err);

	if (rc == 0)
		rc = ipamctl_addr_holder(c, &a, &rs, &x, &why, node,
					 sizeof(node), err);
	if (rc == 1)
		rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
			      "%s is not held by anyone: %s", c->addr, why);
	if (rc == 0 && !x->held)
		rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
			      "%s is not held by anyone: reserved by an "
			      "operator since %s (plexusctl ipam unreserve)",
			      c->addr, x->at);
	if (rc == 0 && !c->force)
		rc = holder_alive(c, x, &alive, err);
	if (rc == 0 && alive)
		rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
			      "%s is held by pod %s/%s (uid %s), which "
			      "exists: give --force to release it anyway",
			      c->addr, x->ns, x->pod, x->uid);
	if (rc == 0 && !c->dry_run)
		rc = ipam_release_at(&ctx, x->r, &x->a, x->cid, x->ifname, err);
	if (rc == -ENOENT)
		rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
			      "%s was released meanwhile", c->addr);
	if (rc == 0)
		release_print(c, x);
	ipamctl_recs_free(&rs);
	return rc < 0 ? rc : 0;
}

/* --- command line --- */

static int usage(FILE *out)
{
	fprintf(out,
		"Usage: plexusctl ipam ls --config FILE [--page-size N] "
		"[-o table|json]\n"
		"       plexusctl ipam gc --config FILE [--kubeconfig FILE] "
		"[--dry-run] [--page-size N] [-o table|json]\n"
		"       plexusctl ipam show --config FILE [-o table|json] "
		"ADDRESS\n"
		"       plexusctl ipam release --config FILE [--kubeconfig "
		"FILE] [--force] [--dry-run] [-o table|json] ADDRESS\n"
		"       plexusctl ipam reserve --config FILE [--force] "
		"[--dry-run] [-o table|json] ADDRESS|CIDR|FIRST-LAST\n"
		"       plexusctl ipam unreserve --config FILE [--dry-run] "
		"[-o table|json] ADDRESS|CIDR|FIRST-LAST\n"
		"       plexusctl ipam claims --config FILE [--kubeconfig "
		"FILE] [-n NAMESPACE] [-o table|json]\n"
		"FILE is a network config with a plexus-ipam \"ipam\" object "
		"(what the plugin reads).\n"
		"ls: pools, claimed blocks (owner node, used/free), "
		"allocations and reservations.\n"
		"gc: release allocations whose pod UID is not in the API "
		"(kubeconfig, else in-cluster).\n"
		"show: who holds ADDRESS (pod, UID, container, interface, "
		"node), or why nobody does.\n"
		"release: free ADDRESS; refused while its pod (same UID) "
		"exists in the API, unless --force.\n"
		"reserve: never hand out these addresses; one a pod or claim "
		"holds is refused unless --force\n"
		"  (then it stays with its holder and is reserved after its "
		"release).\n"
		"unreserve: hand them out again.\n"
		"claims: IPAMClaims (all namespaces, or -n) with their "
		"addresses and who holds each in the pool\n"
		"  (kubeconfig: --kubeconfig, else the node settings' "
		"\"kubeconfig\" or kubernetes store).\n"
		"--page-size N: keys a store list request reads (1..10000; "
		"default the store's pageSize, 500);\n"
		"  ls and gc hold one page of blocks (and on etcd one of "
		"records) in memory at a time.\n");
	return out == stdout ? 0 : EXIT_USAGE;
}

enum ipam_verb {
	VERB_LS,
	VERB_GC,
	VERB_SHOW,
	VERB_RELEASE,
	VERB_RESERVE,
	VERB_UNRESERVE,
	VERB_CLAIMS,
};

/* Is option o (its getopt value) one verb v takes? */
static bool opt_for(int o, enum ipam_verb v)
{
	switch (o) {
	case 'k':
		return v == VERB_GC || v == VERB_RELEASE || v == VERB_CLAIMS;
	case 'N':
		return v == VERB_GC || v == VERB_RELEASE || v == VERB_RESERVE ||
		       v == VERB_UNRESERVE;
	case 'f':
		return v == VERB_RELEASE || v == VERB_RESERVE;
	case 'o':
		return true;
	case 'n':
		return v == VERB_CLAIMS;
	case 'P':
		return v == VERB_LS || v == VERB_GC;
	default:
		return o == 'c' || o == 'h';
	}
}

static bool verb_has_arg(enum ipam_verb v)
{
	return v == VERB_SHOW || v == VERB_RELEASE || v == VERB_RESERVE ||
	       v == VERB_UNRESERVE;
}

/* --page-size N: 1..10000 keys a list request. */
static int page_size_parse(const char *s, size_t *ret)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || n < 1 || n > 10000) {
		fprintf(stderr,
			"plexusctl ipam: --page-size \"%s\": not in "
			"1..10000\n",
			s);
		return -1;
	}
	*ret = n;
	return 0;
}

static int args_parse(struct ipam_cmd *c, int argc, char **argv,
		      enum ipam_verb v)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "dry-run", no_argument, NULL, 'N' },
		{ "force", no_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "page-size", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	optind = 0; /* glibc: start afresh */
	while ((o = getopt_long(argc, argv, "+c:k:fo:n:P:h", opts, NULL)) !=
	       -1) {
		if (o == '?' || !opt_for(o, v))
			return usage(stderr);
		if (o == 'c')
			c->config = optarg;
		else if (o == 'k')
			c->kubeconfig = optarg;
		else if (o == 'N')
			c->dry_run = true;
		else if (o == 'f')
			c->force = true;
		else if (o == 'n')
			c->ns = optarg;
		else if (o == 'P' && page_size_parse(optarg, &c->page) < 0)
			return usage(stderr);
		else if (o == 'P')
			continue;
		else if (o == 'o' &&
			 (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
			c->json = !strcmp(optarg, "json");
		else if (o == 'h')
			return usage(stdout) - 1;
		else
			return usage(stderr);
	}
	if (verb_has_arg(v) && optind + 1 == argc)
		c->addr = argv[optind++];
	if (optind != argc || !c->config || (verb_has_arg(v) && !c->addr)) {
		fprintf(stderr, "plexusctl ipam: %s\n",
			optind != argc ? "unexpected argument"
			: !c->config   ? "--config FILE is needed"
			: v == VERB_RESERVE || v == VERB_UNRESERVE
				? "ADDRESS, CIDR or FIRST-LAST is needed"
				: "ADDRESS is needed");
		return usage(stderr);
	}
	return 0;
}

static int open_all(struct ipam_cmd *c, struct cni_err *err)
{
	char *buf = NULL;
	size_t len;
	int rc;

	rc = cni_read_file(c->config, &buf, &len, err);
	if (rc == 0)
		rc = ipam_conf_parse(buf, len, &c->conf, err);
	free(buf);
	if (rc < 0) {
		cni_err_prefix(err, "%s", c->config);
		return EXIT_USAGE;
	}
	rc = ipam_store_open(c->conf->store, &c->st, err);
	return rc < 0 ? EXIT_FAILED : 0;
}

static int verb_of(const char *s, enum ipam_verb *ret)
{
	static const char *const names[] = { "ls",	"gc",	   "show",
					     "release", "reserve", "unreserve",
					     "claims" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return *ret = (enum ipam_verb)i, 0;
	return -1;
}

static int verb_run(struct ipam_cmd *c, enum ipam_verb v, struct cni_err *err)
{
	switch (v) {
	case VERB_LS:
		return cmd_ls(c, err);
	case VERB_GC:
		return cmd_gc(c, err);
	case VERB_SHOW:
		return cmd_show(c, err);
	case VERB_RELEASE:
		return cmd_release(c, err);
	case VERB_RESERVE:
	case VERB_UNRESERVE:
		return ipamctl_reserve(c, v == VERB_UNRESERVE, err);
	default:
		return ipamctl_claims(c, err);
	}
}

int plexusctl_ipam(int argc, char **argv)
{
	struct ipam_cmd c = { 0 };
	struct cni_err err = { 0 };
	enum ipam_verb v;
	int rc;

	if (argc < 2 || verb_of(argv[1], &v) < 0)
		return argc >= 2 && (!strcmp(argv[1], "--help") ||
				     !strcmp(argv[1], "-h"))
			       ? usage(stdout)
			       : usage(stderr);
	rc = args_parse(&c, argc - 1, argv + 1, v);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	rc = open_all(&c, &err);
	if (rc == 0 && verb_run(&c, v, &err) < 0)
		rc = EXIT_FAILED;
	if (rc)
		fprintf(stderr, "plexusctl ipam %s: %s (code %d)\n", argv[1],
			err.msg, err.code);
	ipam_store_close(c.st);
	ipam_conf_free(c.conf);
	return rc;
}
