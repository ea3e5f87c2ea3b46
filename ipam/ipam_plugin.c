// SPDX-License-Identifier: Apache-2.0
/* plexus-ipam's verbs as a library call: the plugin binary's main and the
 * meta plugin (in-process) both run IPAM through ipam_plugin_run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_deadline.h"
#include "cni_env.h"
#include "cni_error.h"
#include "cni_json.h"
#include "cni_result.h"
#include "cni_version.h"
#include "ipam_alloc.h"
#include "ipam_claim.h"
#include "ipam_conf.h"
#include "ipam_node.h"
#include "ipam_plugin.h"
#include "ipam_refs.h"
#include "store.h"

struct call {
	const struct cni_env *env;
	struct ipam_conf *conf;
	struct ipam_store *st;
	char node[256];
	struct ipam_ctx ctx;
	enum cni_ver ver;
	struct ipam_claims_lazy claims; /* the API of IPAMClaims, lazily */
};

static const struct ipam_addr *static_for(const struct ipam_conf *conf,
					  const struct ipam_range *r)
{
	size_t i;

	for (i = 0; i < conf->n_static; i++)
		if (ipam_prefix_contains(&r->net, &conf->static_ips[i]))
			return &conf->static_ips[i];
	return NULL;
}

/* Does the request name an address in one of set's ranges? */
static bool set_has_static(const struct call *c, size_t set)
{
	size_t i;

	for (i = 0; i < c->conf->n_ranges; i++)
		if (c->conf->ranges[i].set == set &&
		    static_for(c->conf, &c->conf->ranges[i]))
			return true;
	return false;
}

static void add_ip(json_object *ips, const struct ipam_range *r,
		   const struct ipam_addr *a)
{
	json_object *ip = json_object_new_object();
	char s[IPAM_ADDR_STRLEN], cidr[IPAM_PREFIX_STRLEN];

	snprintf(cidr, sizeof(cidr), "%s/%d", ipam_addr_fmt(a, s), r->net.len);
	json_object_object_add(ip, "address", json_object_new_string(cidr));
	if (r->has_gw)
		json_object_object_add(
			ip, "gateway",
			json_object_new_string(ipam_addr_fmt(&r->gw, s)));
	json_object_array_add(ips, ip);
}

/* The result in 1.1.0 form, then converted by the core. */
static int make_result(struct call *c, json_object *ips, json_object **ret,
		       struct cni_err *err)
{
	json_object *o = json_object_new_object(), *out;
	struct cni_result *res;
	int rc;

	json_object_object_add(o, "cniVersion",
			       json_object_new_string(CNI_VERSION_LATEST));
	json_object_object_add(o, "ips", json_object_get(ips));
	if (c->conf->routes)
		json_object_object_add(o, "routes",
				       cni_json_copy(c->conf->routes));
	if (c->conf->dns)
		json_object_object_add(o, "dns", cni_json_copy(c->conf->dns));
	rc = cni_result_parse(o, &res, err);
	json_object_put(o);
	if (rc < 0)
		return rc;
	out = cni_result_to_json(res, c->ver);
	cni_result_free(res);
	if (!out)
		return -ENOMEM;
	*ret = out;
	return 0;
}

/* The address cid+ifname already holds in one of set's ranges:
 * 0 with *ret_r, -ENOENT, or a store failure. */
static int set_find(struct call *c, size_t set, const struct ipam_range **ret_r,
		    struct ipam_addr *ret, struct cni_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < c->conf->n_ranges; i++) {
		const struct ipam_range *r = &c->conf->ranges[i];

		if (r->set != set)
			continue;
		rc = ipam_find(&c->ctx, r, c->env->container_id, c->env->ifname,
			       ret, err);
		if (rc == 0)
			*ret_r = r;
		if (rc != -ENOENT)
			return rc;
	}
	return -ENOENT;
}

static size_t set_size(const struct call *c, size_t set)
{
	size_t i, n = 0;

	for (i = 0; i < c->conf->n_ranges; i++)
		n += c->conf->ranges[i].set == set;
	return n;
}

/* One address from a range set: one it holds already (ADD is
 * idempotent), the requested one, else the first range with a free
 * address (host-local's order inside a set). A set of one range needs no
 * look-up first: ipam_alloc returns what the container holds there (it
 * saves one read of the pool per allocation: 2 API requests with the
 * kubernetes store). */
static int set_alloc(struct call *c, size_t set, const struct ipam_owner *o,
		     const struct ipam_range **ret_r, struct ipam_addr *ret,
		     struct cni_err *err)
{
	int rc = -ENOENT;
	size_t i;

	if (set_size(c, set) > 1)
		rc = set_find(c, set, ret_r, ret, err);
	if (rc != -ENOENT)
		return rc;
	rc = -ENOSPC;
	for (i = 0; i < c->conf->n_ranges; i++) {
		const struct ipam_range *r = &c->conf->ranges[i];
		const struct ipam_addr *want = static_for(c->conf, r);

		if (r->set != set)
			continue;
		if (c->conf->n_static && !want && set_has_static(c, set))
			continue;
		rc = ipam_alloc(&c->ctx, r, o, want, ret, err);
		if (rc == 0)
			*ret_r = r;
		if (rc != -ENOSPC)
			return rc;
	}
	return rc;
}

/* Give back what o holds in set; `drop`: also a claim's record (an ADD
 * whose claim never listed it), else a claim keeps its own. */
static void release_set(struct call *c, size_t set, const struct ipam_owner *o,
			bool drop)
{
	struct ipam_ctx ctx = c->ctx;
	size_t i;

	if (drop)
		ctx.claim_holds = NULL;
	for (i = 0; i < c->conf->n_ranges; i++)
		if (c->conf->ranges[i].set == set)
			ipam_release(&ctx, &c->conf->ranges[i], o->cid,
				     o->ifname, NULL);
}

static void release_sets(struct call *c, size_t n, const struct ipam_owner *o,
			 bool drop)
{
	while (n-- > 0)
		release_set(c, n, o, drop);
}

/* One address per range set for o, in *ret_ips (result "ips" entries);
 * on failure the sets done are given back (`drop` as release_set). */
static int add_sets(struct call *c, const struct ipam_owner *o, bool drop,
		    json_object **ret_ips, struct cni_err *err)
{
	json_object *ips = json_object_new_array();
	const struct ipam_range *r = NULL;
	struct ipam_addr a;
	size_t set;
	int rc = 0;

	for (set = 0; set < c->conf->n_sets && rc == 0; set++) {
		rc = set_alloc(c, set, o, &r, &a, err);
		if (rc == 0)
			add_ip(ips, r, &a);
	}
	if (rc < 0) { /* undo the sets already done, in reverse */
		release_sets(c, set - 1, o, drop);
		json_object_put(ips);
		return rc;
	}
	*ret_ips = ips;
	return 0;
}

/* The API client for claims, opened on first need. */
static int claims_client(struct call *c, struct cni_err *err)
{
	int rc = 0;

	if (!c->claims.cl)
		rc = ipam_claims_open(c->conf->node_root, c->conf->store,
				      &c->claims.cl, err);
	if (rc == 0)
		ipam_claims_set_deadline(c->claims.cl, c->ctx.deadline);
	return rc;
}

/* The claim: from plexusd's cache when the node names its socket and
 * `direct` is false, else (or when plexusd cannot serve it) a GET. */
static int claim_get(struct call *c, const char *ns, const char *name,
		     bool direct, struct ipam_claim **ret, struct cni_err *err)
{
	const char *sock = NULL;
	int rc;

	if (!direct && c->conf->node_root)
		cni_json_get_string(c->conf->node_root, "plexusdSocket",
				    "plexusdSocket", &sock, NULL);
	if (sock &&
	    ipam_claim_via_plexusd(sock, c->ctx.deadline, ns, name, ret) == 0)
		return 0;
	rc = claims_client(c, err);
	return rc < 0 ? rc : ipam_claims_get(c->claims.cl, ns, name, ret, err);
}

/* The claim, checked to be for this network and interface. */
static int claim_read(struct call *c, const char *ns, const char *name,
		      bool direct, struct ipam_claim **ret, struct cni_err *err)
{
	struct ipam_claim *cl;
	int rc;

	rc = claim_get(c, ns, name, direct, &cl, err);
	if (rc < 0)
		return rc;
	if (strcmp(cl->network, c->conf->name ? c->conf->name : "") != 0)
		rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
			      "IPAMClaim %s/%s: spec.network \"%.64s\" is not "
			      "this network \"%.64s\"",
			      ns, name, cl->network,
			      c->conf->name ? c->conf->name : "");
	else if (strcmp(cl->interface, c->env->ifname) != 0)
		rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
			      "IPAMClaim %s/%s: spec.interface \"%.16s\" is "
			      "not this attachment's interface \"%s\"",
			      ns, name, cl->interface, c->env->ifname);
	if (rc < 0) {
		ipam_claim_free(cl);
		return rc;
	}
	*ret = cl;
	return 0;
}

/* The claim's status.ips become the call's requested addresses: one per
 * range set, each in a range of this network (code 7 naming it). */
static int claim_wants(struct call *c, const struct ipam_claim *cl,
		       struct cni_err *err)
{
	char a[IPAM_ADDR_STRLEN], field[400];
	size_t i;
	int rc = 0;

	for (i = 0; i < cl->n_ips && rc == 0; i++) {
		snprintf(field, sizeof(field),
			 "IPAMClaim %s/%s: status.ips[%zu]", cl->ns, cl->name,
			 i);
		rc = ipam_conf_request(c->conf, ipam_addr_fmt(&cl->ips[i], a),
				       field, err);
	}
	for (i = 0; i < c->conf->n_sets && rc == 0; i++)
		if (!set_has_static(c, i))
			rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
				      "IPAMClaim %s/%s: status.ips has no "
				      "address for range set %zu of network "
				      "\"%s\"",
				      cl->ns, cl->name, i,
				      c->conf->name ? c->conf->name : "");
	return rc;
}

/* status.ips from a result's ips: their "address" strings. */
static json_object *claim_ips_of(json_object *ips)
{
	json_object *out = json_object_new_array(), *v;
	size_t i;

	for (i = 0; out && i < json_object_array_length(ips); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(ips, i),
					      "address", &v))
			json_object_array_add(out, json_object_get(v));
	return out;
}

/* The first ADD of a claim: fresh addresses, then status.ips written with
 * the resourceVersion read. Any failure gives the addresses back (the
 * claim never listed them); -ECANCELED: another pod wrote it first. */
static int claim_first(struct call *c, const struct ipam_owner *o,
		       const struct ipam_claim *cl, json_object **ret_ips,
		       struct cni_err *err)
{
	json_object *ips = NULL, *st;
	int rc = add_sets(c, o, true, &ips, err);

	if (rc < 0)
		return rc;
	st = claim_ips_of(ips);
	rc = st ? claims_client(c, err) : -ENOMEM;
	if (rc == 0)
		rc = ipam_claims_set_ips(c->claims.cl, cl, st, err);
	json_object_put(st);
	if (rc < 0) {
		release_sets(c, c->conf->n_sets, o, true);
		json_object_put(ips);
		return rc;
	}
	*ret_ips = ips;
	return 0;
}

/* ADD through an IPAMClaim in the pod's namespace (CNI_ARGS
 * IPAM_CLAIM_ARG, which plexus sets from "ipam-claim-reference"). */
static int claim_add(struct call *c, struct ipam_owner *o, const char *name,
		     json_object **ret_ips, struct cni_err *err)
{
	struct ipam_claim *cl = NULL;
	char ref[320];
	int rc;

	if (c->conf->n_static)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"ipam-claim-reference (CNI_ARGS " IPAM_CLAIM_ARG
				") and requested addresses (ips, IP=) exclude "
				"each other");
	rc = ipam_claim_ref(o->ns, name, "ipam-claim-reference", ref,
			    sizeof(ref), err);
	if (rc < 0)
		return rc;
	o->claim = ref;
	rc = claim_read(c, o->ns, name, false, &cl, err);
	if (rc == 0 && cl->n_ips == 0) {
		rc = claim_first(c, o, cl, ret_ips, err);
		if (rc != -ECANCELED)
			goto out;
		/* lost the race: the winner's addresses, if it is gone;
		 * from the API itself (plexusd's copy may not have them) */
		ipam_claim_free(cl);
		cl = NULL;
		rc = claim_read(c, o->ns, name, true, &cl, err);
		if (rc == 0 && cl->n_ips == 0)
			rc = cni_errf(err, CNI_ERR_TRY_AGAIN,
				      "IPAMClaim %s changed meanwhile, try "
				      "again",
				      ref);
	}
	if (rc == 0)
		rc = claim_wants(c, cl, err);
	if (rc == 0)
		rc = add_sets(c, o, false, ret_ips, err);
out:
	ipam_claim_free(cl);
	return rc;
}

static int cmd_add(struct call *c, json_object **ret, struct cni_err *err)
{
	struct ipam_owner o = {
		.cid = c->env->container_id,
		.ifname = c->env->ifname,
		.ns = cni_env_arg(c->env, "K8S_POD_NAMESPACE"),
		.pod = cni_env_arg(c->env, "K8S_POD_NAME"),
		.uid = cni_env_arg(c->env, "K8S_POD_UID"),
	};
	const char *claim = cni_env_arg(c->env, IPAM_CLAIM_ARG);
	json_object *ips = NULL;
	int rc;

	if (claim && *claim)
		rc = claim_add(c, &o, claim, &ips, err);
	else
		rc = add_sets(c, &o, false, &ips, err);
	if (rc == 0)
		rc = make_result(c, ips, ret, err);
	json_object_put(ips);
	return rc;
}

static int cmd_del(struct call *c, struct cni_err *err)
{
	size_t i;
	int rc, first = 0;

	for (i = 0; i < c->conf->n_ranges; i++) {
		rc = ipam_release(&c->ctx, &c->conf->ranges[i],
				  c->env->container_id, c->env->ifname,
				  first ? NULL : err);
		if (rc < 0 && !first)
			first = rc;
	}
	return first;
}

static int cmd_check(struct call *c, struct cni_err *err)
{
	const struct ipam_range *r;
	struct ipam_addr a;
	size_t set, i;
	int rc;

	for (set = 0; set < c->conf->n_sets; set++) {
		rc = set_find(c, set, &r, &a, err);
		if (rc != -ENOENT) {
			if (rc < 0)
				return rc;
			continue;
		}
		for (i = 0; c->conf->ranges[i].set != set; i++)
			;
		return cni_errf(err, CNI_ERR_UNKNOWN_CONTAINER,
				"pool %s: no allocation for container "
				"%s interface %s",
				c->conf->ranges[i].pool_id,
				c->env->container_id, c->env->ifname);
	}
	return 0;
}

static int cmd_gc(struct call *c, struct cni_err *err)
{
	json_object *valid = NULL;
	size_t i, n;
	int rc;

	if (!json_object_object_get_ex(c->conf->root,
				       "cni.dev/valid-attachments", &valid))
		json_object_object_get_ex(c->conf->root, "cni.dev/attachments",
					  &valid);
	if (!valid || !json_object_is_type(valid, json_type_array))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"cni.dev/valid-attachments: missing or not a "
				"list");
	for (i = 0; i < c->conf->n_ranges; i++) {
		rc = ipam_gc(&c->ctx, &c->conf->ranges[i], valid, &n, err);
		if (rc < 0)
			return rc;
		/* best effort: old keys left are read by nobody */
		ipam_refs_sweep_legacy(c->st, &c->conf->ranges[i], c->node,
				       NULL, NULL);
	}
	return 0;
}

static int cmd_status(struct call *c, struct cni_err *err)
{
	size_t i;
	int rc;

	size_t set;

	/* each set needs one range with a free address */
	for (set = 0; set < c->conf->n_sets; set++) {
		rc = -ENOSPC;
		for (i = 0; i < c->conf->n_ranges && rc == -ENOSPC; i++) {
			if (c->conf->ranges[i].set != set)
				continue;
			rc = ipam_has_free(&c->ctx, &c->conf->ranges[i], err);
		}
		if (rc == -ENOSPC)
			return rc;
		if (rc < 0) {
			cni_err_prefix(err, "store unavailable");
			/* a reply over a limit keeps its code (123) */
			if (err->code != CNI_ERR_TOO_LARGE)
				err->code = CNI_ERR_NOT_AVAILABLE;
			return rc;
		}
	}
	return 0;
}

static int call_open(struct call *c, const char *buf, size_t len,
		     int64_t deadline, struct cni_err *err)
{
	int rc;

	rc = ipam_conf_parse(buf, len, &c->conf, err);
	if (rc == 0)
		rc = cni_version_parse(c->conf->cni_version, "cniVersion",
				       &c->ver, err);
	if (rc == 0 && c->env->cmd == CNI_CMD_ADD)
		rc = ipam_conf_request_env(c->conf, cni_env_arg(c->env, "IP"),
					   err);
	if (rc == 0)
		rc = ipam_node_name(c->conf, c->node, sizeof(c->node), err);
	if (rc == 0)
		rc = ipam_store_open_node(c->conf->node_root, c->conf->store,
					  &c->st, err);
	/* run as a binary: the node's callTimeout from now */
	if (rc == 0 && !deadline)
		deadline = cni_deadline_after(
			ipam_node_call_timeout_ms(c->conf->node_root));
	if (c->st)
		c->st->deadline = deadline;
	c->ctx.deadline = deadline;
	c->ctx.st = c->st;
	c->ctx.node = c->node;
	c->ctx.net = c->conf ? c->conf->name : NULL;
	c->claims.node_root = c->conf ? c->conf->node_root : NULL;
	c->claims.store = c->conf ? c->conf->store : NULL;
	c->claims.deadline = deadline;
	c->ctx.claim_holds = ipam_claims_holds;
	c->ctx.claim_arg = &c->claims;
	/* the runtime's, or plexus' on the DEL undoing a conflict */
	if (c->env->cmd == CNI_CMD_DEL)
		c->ctx.conflict = getenv(IPAM_CONFLICT_ENV);
	return rc;
}

/* CHECK came with 0.4.0, STATUS and GC with 1.1.0. */
static int verb_supported(const struct call *c, struct cni_err *err)
{
	enum cni_cmd cmd = c->env->cmd;

	if (cmd == CNI_CMD_CHECK && !cni_version_supports_check(c->ver))
		return cni_errf(err, CNI_ERR_INCOMPATIBLE_VERSION,
				"CHECK needs cniVersion 0.4.0 or later, not "
				"\"%s\"",
				c->conf->cni_version);
	if ((cmd == CNI_CMD_GC || cmd == CNI_CMD_STATUS) && c->ver < CNI_V110)
		return cni_errf(err, CNI_ERR_INCOMPATIBLE_VERSION,
				"%s needs cniVersion 1.1.0, not \"%s\"",
				cni_cmd_str(cmd), c->conf->cni_version);
	return 0;
}

static int run(struct call *c, json_object **ret, struct cni_err *err)
{
	int rc = verb_supported(c, err);

	if (rc < 0)
		return rc;
	switch (c->env->cmd) {
	case CNI_CMD_ADD:
		return cmd_add(c, ret, err);
	case CNI_CMD_DEL:
		return cmd_del(c, err);
	case CNI_CMD_CHECK:
		return cmd_check(c, err);
	case CNI_CMD_GC:
		return cmd_gc(c, err);
	case CNI_CMD_STATUS:
		return cmd_status(c, err);
	default:
		return cni_errf(err, CNI_ERR_INVALID_ENV,
				"CNI_COMMAND: not supported");
	}
}

/* what plexusd's report counts (ipam_store_report): ADD and DEL only */
static const char *outcome_of(enum cni_cmd cmd, int rc)
{
	if (cmd == CNI_CMD_ADD)
		return rc < 0 ? "alloc_failed" : "allocated";
	if (cmd == CNI_CMD_DEL)
		return rc < 0 ? "release_failed" : "released";
	return NULL;
}

int ipam_plugin_run(const struct cni_env *env, const char *buf, size_t len,
		    int64_t deadline, json_object **ret, struct cni_err *err)
{
	struct call c = { .env = env };
	json_object *out = NULL;
	int rc = call_open(&c, buf, len, deadline, err);

	/* a config refused as tenant-set (-EPERM) never allocated: its DEL
	 * has nothing to release, so a rollback or a retried DEL ends */
	if (rc == -EPERM && env->cmd == CNI_CMD_DEL) {
		if (err)
			*err = (struct cni_err){ 0 };
		rc = 0;
	} else if (rc == 0) {
		rc = run(&c, &out, err);
		ipam_store_report(c.st, outcome_of(env->cmd, rc));
	}
	ipam_claims_lazy_clear(&c.claims);
	ipam_store_close(c.st);
	ipam_conf_free(c.conf);
	if (rc < 0) {
		json_object_put(out);
		return rc;
	}
	*ret = out;
	return 0;
}
