// SPDX-License-Identifier: Apache-2.0
/* plexusctl plan's preview of the addresses plexus-ipam would hand out:
 * the allocator's own first choice (a requested address, else the first
 * free slot of this node's blocks in key order), read from the store
 * with get and list only. Nothing is written or reserved; addresses
 * previewed for earlier attachments of the plan count as taken. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "ipam_addr.h"
#include "ipam_alloc.h"
#include "ipam_block.h"
#include "ipam_rec.h"
#include "ipam_conf.h"
#include "ipam_refs.h"
#include "plexusctl.h"
#include "store.h"

#define IPAM_TYPE "plexus-ipam"

struct seen_block {
	char *key; /* the store's config + the block key */
	struct ipam_block b;
	bool stored;
};

struct ctl_ipam {
	struct seen_block *blocks;
	size_t n;
};

/* One plugin's preview: its config, store, node and owner. */
struct preview {
	struct ctl_ipam *ctx;
	struct ipam_conf *conf;
	struct ipam_store *st;
	char node[256];
	struct ipam_owner owner;
};

struct ctl_ipam *ctl_ipam_new(void)
{
	return calloc(1, sizeof(struct ctl_ipam));
}

void ctl_ipam_free(struct ctl_ipam *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->blocks[i].key);
		ipam_block_clear(&c->blocks[i].b);
	}
	free(c->blocks);
	free(c);
}

/* The block idx of r, from this preview's copies or the store (a block
 * not stored yet is a new one of this node). */
static int block_load(struct preview *p, const struct ipam_range *r,
		      ipam_u128 idx, struct ipam_block **ret,
		      struct cni_err *err)
{
	char key[IPAM_KEY_MAX], *val = NULL, *full = NULL;
	struct seen_block *grown, *s;
	uint64_t ver = 0;
	size_t len = 0;
	int rc;

	ipam_block_key(r, idx, key);
	if (asprintf(&full, "%s %s", cni_json_str(p->conf->store), key) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < p->ctx->n; i++)
		if (!strcmp(p->ctx->blocks[i].key, full)) {
			free(full);
			*ret = &p->ctx->blocks[i].b;
			return 0;
		}
	grown = realloc(p->ctx->blocks, (p->ctx->n + 1) * sizeof(*grown));
	if (!grown) {
		free(full);
		return -ENOMEM;
	}
	p->ctx->blocks = grown;
	s = &grown[p->ctx->n];
	memset(s, 0, sizeof(*s));
	rc = ipam_store_get(p->st, key, &val, &len, &ver, err);
	if (rc == 0)
		rc = ipam_block_load(idx, key, val, len, ver, &s->b, err);
	else if (rc == -ENOENT)
		rc = ipam_block_new(r, idx, p->node, &s->b);
	s->stored = val != NULL;
	free(val);
	if (rc < 0) {
		free(full);
		return rc;
	}
	s->key = full;
	p->ctx->n++;
	*ret = &s->b;
	return 0;
}

static json_object *entry(const struct ipam_range *r, const char *node)
{
	char buf[IPAM_PREFIX_STRLEN];
	json_object *e = json_object_new_object();

	if (!e)
		return NULL;
	json_object_object_add(
		e, "range",
		json_object_new_string(ipam_prefix_fmt(&r->net, buf)));
	json_object_object_add(e, "pool", json_object_new_string(r->pool_id));
	json_object_object_add(e, "node", json_object_new_string(node));
	return e;
}

static void set(json_object *e, const struct ipam_addr *a, const char *how)
{
	char buf[IPAM_ADDR_STRLEN];

	json_object_object_add(e, "address",
			       a ? json_object_new_string(ipam_addr_fmt(a, buf))
				 : NULL);
	json_object_object_add(e, "how", json_object_new_string(how));
}

/* A requested address (runtimeConfig.ips): free, taken or reserved. */
static int preview_static(struct preview *p, const struct ipam_range *r,
			  const struct ipam_addr *want, json_object *e,
			  struct cni_err *err)
{
	ipam_u128 idx = ipam_block_of(r, want->v);
	uint32_t off = (uint32_t)(want->v - ipam_block_base(r, idx));
	struct ipam_block *b;
	char holder[600], how[700];
	int rc;

	if (ipam_range_reserved(r, want->v)) {
		set(e, want,
		    "requested, but never handed out (network, "
		    "broadcast, gateway, excluded or outside "
		    "range_start..range_end): ADD fails");
		return 0;
	}
	rc = block_load(p, r, idx, &b, err);
	if (rc == 0) /* the holder named from its record */
		rc = ipam_rec_fetch(p->st, r, b, off, err);
	if (rc < 0)
		return rc;
	if (ipam_block_reserved(b, off, NULL)) {
		set(e, want,
		    ipam_block_reserve_reason(b, off)
			    ? "requested, but reserved as a conflict (another "
			      "host on the segment answered ARP for it): ADD "
			      "fails"
			    : "requested, but reserved by an operator "
			      "(plexusctl ipam reserve): ADD fails");
		return 0;
	}
	if (ipam_block_holder(b, off, holder, sizeof(holder))) {
		snprintf(how, sizeof(how),
			 "requested, but held by %s: ADD "
			 "fails",
			 holder);
		set(e, want, how);
		return 0;
	}
	set(e, want, "requested, free");
	return ipam_block_add(b, off, &p->owner, p->node);
}

/* The first free slot of this node's blocks, as ipam_alloc takes it. */
static int preview_next(struct preview *p, const struct ipam_range *r,
			json_object *e, struct cni_err *err)
{
	char how[200], cidr[IPAM_PREFIX_STRLEN];
	struct ipam_refs refs = { 0 };
	int rc;

	/* read only: a node without an index yet is read in the old
	 * layout, and nothing is written */
	rc = ipam_refs_load(p->st, r, p->node, false, &refs, err);
	for (size_t i = 0; rc == 0 && i < refs.n; i++) {
		struct ipam_block *b;
		struct ipam_prefix bp;
		ipam_u128 idx = refs.idx[i];
		uint32_t off;

		if (block_load(p, r, idx, &b, err) < 0 ||
		    strcmp(ipam_block_node(b), p->node) ||
		    ipam_block_free_slot(r, b, &off) < 0)
			continue;
		bp.addr.family = r->net.addr.family;
		bp.addr.v = ipam_block_base(r, idx);
		bp.len = ipam_addr_bits(bp.addr.family) -
			 ipam_block_host_bits(r);
		snprintf(how, sizeof(how),
			 "the next free address of this "
			 "node's block %s",
			 ipam_prefix_fmt(&bp, cidr));
		set(e, &(struct ipam_addr){ bp.addr.family, bp.addr.v + off },
		    how);
		ipam_refs_clear(&refs);
		return ipam_block_add(b, off, &p->owner, p->node);
	}
	ipam_refs_clear(&refs);
	if (rc == 0)
		set(e, NULL,
		    "none free in this node's blocks: ADD claims a "
		    "free block (picked at random) or borrows a slot");
	return rc;
}

static const struct ipam_addr *wanted(const struct ipam_conf *c,
				      const struct ipam_range *r)
{
	for (size_t i = 0; i < c->n_static; i++)
		if (ipam_conf_range_of(c, &c->static_ips[i]) == r)
			return &c->static_ips[i];
	return NULL;
}

static int preview_ranges(struct preview *p, json_object *list,
			  struct cni_err *err)
{
	for (size_t i = 0; i < p->conf->n_ranges; i++) {
		const struct ipam_range *r = &p->conf->ranges[i];
		const struct ipam_addr *want = wanted(p->conf, r);
		json_object *e = entry(r, p->node);
		int rc;

		if (!e)
			return -ENOMEM;
		json_object_array_add(list, e);
		rc = want ? preview_static(p, r, want, e, err)
			  : preview_next(p, r, e, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static bool uses_plexus_ipam(json_object *conf)
{
	json_object *ipam, *t;

	return json_object_object_get_ex(conf, "ipam", &ipam) &&
	       json_object_object_get_ex(ipam, "type", &t) &&
	       json_object_is_type(t, json_type_string) &&
	       !strcmp(json_object_get_string(t), IPAM_TYPE);
}

int ctl_ipam_preview(struct ctl_ipam *ctx, json_object *conf,
		     const char *ifname, const struct ctl_pod_info *pod,
		     json_object **ret)
{
	struct preview p = { .ctx = ctx };
	const char *text = cni_json_str(conf);
	struct cni_err err = { 0 };
	json_object *list;
	int rc;

	*ret = NULL;
	if (!uses_plexus_ipam(conf))
		return 0;
	list = json_object_new_array();
	if (!list)
		return -ENOMEM;
	p.owner = (struct ipam_owner){ .cid = "plexusctl-plan",
				       .ifname = ifname,
				       .ns = pod->ns,
				       .pod = pod->name,
				       .uid = pod->uid };
	rc = ipam_conf_parse(text, strlen(text), &p.conf, &err);
	if (rc == 0)
		rc = ipam_node_name(p.conf, p.node, sizeof(p.node), &err);
	if (rc == 0)
		rc = ipam_store_open(p.conf->store, &p.st, &err);
	if (rc == 0)
		rc = preview_ranges(&p, list, &err);
	if (rc < 0) { /* the preview stops; the plan stands */
		json_object *e = json_object_new_object();

		json_object_object_add(
			e, "error",
			json_object_new_string(err.code ? err.msg
							: strerror(-rc)));
		json_object_array_add(list, e);
	}
	ipam_store_close(p.st);
	ipam_conf_free(p.conf);
	*ret = list;
	return 0;
}
