/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PLEXUSCTL_IPAM_INT_H
#define PLEXUS_PLEXUSCTL_IPAM_INT_H

/* What the files of `plexusctl ipam` share: plexusctl_ipam.c (the command
 * line, ls, gc, show, release), plexusctl_ipam_reserve.c (reserve,
 * unreserve) and plexusctl_ipam_claims.c (claims). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "ipam_addr.h"
#include "ipam_conf.h"

struct cni_err;
struct ipam_store;

struct ipam_cmd {
	const char *config, *kubeconfig, *addr, *ns;
	bool dry_run, force, json;
	struct ipam_conf *conf;
	struct ipam_store *st;
	json_object *out; /* -o json of release and gc: each address's
			   * outcome as it is done, else NULL */
};

/* One address of a block as read: an allocation (held), an operator's
 * reservation (at not ""), or both. */
struct rec {
	const struct ipam_range *r;
	struct ipam_addr a;
	uint32_t off;
	bool held;
	char *cid, *ifname, *ns, *pod, *uid, *node;
	char *claim;   /* "ns/name" of an IPAMClaim, or "" */
	char *at;      /* when an operator reserved it, or "" */
	bool conflict; /* reserved as a conflict: plexus' ARP probe found
			* another host using it (reason "conflict") */
};

/* Who reserved x: "by an operator" or "as a conflict (...)". */
const char *ipamctl_resv_by(const struct rec *x);

struct recs {
	struct rec *v;
	size_t n, cap;
};

void ipamctl_recs_free(struct recs *rs);
/* What is at address a (c->conf's range of it): 0 with *x (owned by rs)
 * when a record holds it or an operator reserved it; 1 when neither
 * (*why says what it is); <0 on a failure (code 7 when a is in no
 * range). node gets the block's owner ("" when none). */
int ipamctl_addr_holder(struct ipam_cmd *c, const struct ipam_addr *a,
			struct recs *rs, const struct rec **x, const char **why,
			char *node, size_t node_size, struct cni_err *err);
/* The holder of x as JSON (namespace, pod, uid, container, interface,
 * node, claim). */
json_object *ipamctl_rec_json(const struct rec *x);
/* x as ls prints it (one line, indented). */
void ipamctl_rec_print(const struct rec *x);
/* o as pretty JSON on stdout, then released. */
void ipamctl_json_print(json_object *o);

int ipamctl_reserve(struct ipam_cmd *c, bool unreserve, struct cni_err *err);
int ipamctl_claims(struct ipam_cmd *c, struct cni_err *err);

#endif
