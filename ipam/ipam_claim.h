/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_CLAIM_H
#define PLEXUS_IPAM_CLAIM_H

#include <stddef.h>
#include <json-c/json.h>

#include "ipam_addr.h"

struct cni_err;

/* NPWG v1.3 persistent addresses: an IPAMClaim
 * (ipamclaims.k8s.cni.cncf.io/v1alpha1, crd/ipamclaims.yaml) in the pod's
 * namespace, named by the selection element's "ipam-claim-reference",
 * which plexus hands to its delegates as CNI_ARGS IPAM_CLAIM_ARG. */
#define IPAM_CLAIM_ARG	   "PLEXUS_IPAM_CLAIM"
#define IPAM_CLAIM_IPS_MAX 16

/* One claim as read: spec.network and spec.interface (both required),
 * status.ips (CIDR strings; none before the first ADD). Owns obj, which
 * keeps what a status write sends back (metadata.resourceVersion). */
struct ipam_claim {
	json_object *obj;
	const char *ns, *name; /* from obj's metadata */
	const char *network, *interface;
	struct ipam_addr ips[IPAM_CLAIM_IPS_MAX];
	size_t n_ips;
};

/* Check an IPAMClaim object as the API returned it for ns/name. Code 7
 * naming the claim and the field: not an IPAMClaim, another name or
 * namespace, spec.network or spec.interface missing or not a string,
 * status.ips not a list of at most 16 addresses (CIDR or bare). Takes a
 * reference to doc on success. */
int ipam_claim_parse(json_object *doc, const char *ns, const char *name,
		     struct ipam_claim **ret, struct cni_err *err);
void ipam_claim_free(struct ipam_claim *c);
/* "ns/name" of a claim reference, checked: ns a DNS-1123 label, name a
 * DNS-1123 subdomain (code 7 naming `field`). */
int ipam_claim_ref(const char *ns, const char *name, const char *field,
		   char *buf, size_t size, struct cni_err *err);

/* The Kubernetes API that holds the claims: the node setting
 * "kubeconfig" (a file; "": the in-cluster service account), else the
 * kubernetes store's own. -ENOENT (code 7) when the node has neither. */
struct ipam_claims;
int ipam_claims_open(json_object *node_root, json_object *store,
		     struct ipam_claims **ret, struct cni_err *err);
void ipam_claims_free(struct ipam_claims *cl);
void ipam_claims_set_deadline(struct ipam_claims *cl, int64_t deadline);

/* GET the claim: 0; -ENOENT (code 7) when there is none; 401/403 code
 * 111; 5xx, 429 or no answer code 11. */
int ipam_claims_get(struct ipam_claims *cl, const char *ns, const char *name,
		    struct ipam_claim **ret, struct cni_err *err);
/* Write c's status.ips (a JSON list of CIDR strings) with one PUT of its
 * status subresource carrying the resourceVersion read: -ECANCELED (code
 * 121) when the claim changed since (another pod wrote it first), -ENOENT
 * (code 7) when it is gone; other failures as ipam_claims_get. */
int ipam_claims_set_ips(struct ipam_claims *cl, const struct ipam_claim *c,
			json_object *ips, struct cni_err *err);
/* List the IPAMClaims of namespace ns (NULL: of every namespace), in
 * pages of `limit`; each item goes to each(arg, item) (borrowed; kind and
 * apiVersion filled in when the list left them out, so
 * ipam_claim_parse takes it), which returns 0 or a negative value that
 * stops the list. API failures as ipam_claims_get (a 404: code 7, the
 * CRD is not installed). */
int ipam_claims_list(struct ipam_claims *cl, const char *ns, int limit,
		     int (*each)(void *arg, json_object *item), void *arg,
		     struct cni_err *err);
/* For ipam_ctx.claim_holds: does claim "ns/name" exist and list a? 1, 0,
 * or -1 (cannot tell: no API, or it failed). arg is a struct
 * ipam_claims_lazy. */
struct ipam_claims_lazy {
	json_object *node_root, *store; /* borrowed */
	int64_t deadline;
	struct ipam_claims *cl; /* opened at first use */
	int open_rc;		/* 0, or the failed open's */
};
int ipam_claims_holds(void *arg, const char *claim, const struct ipam_addr *a);
void ipam_claims_lazy_clear(struct ipam_claims_lazy *lz);

/* plexusd first (node setting "plexusdSocket"; claim_via_plexusd.c): an
 * ADD's claim from plexusd's warm cache, asked with "CLAIM ns name" and
 * answered within IPAM_CLAIM_PLEXUSD_MS (capped by deadline). 0 with
 * *ret; 1 when the caller must GET it itself: plexusd absent, slow,
 * answering anything but the claim (UNKNOWN, NOTREADY, ERR), or a claim
 * ipam_claim_parse refuses (the GET then reports it). Logged; never
 * "no such claim". */
#define IPAM_CLAIM_PLEXUSD_MS 200
#define IPAM_CLAIM_REPLY_MAX  (1 << 20) /* an answer line, without '\n' */
int ipam_claim_via_plexusd(const char *sock, int64_t deadline, const char *ns,
			   const char *name, struct ipam_claim **ret);
/* plexusd's answer line (without '\n'): "OK <the claim's JSON>" for
 * ns/name → 0 with *ret; another answer → 1; "OK" with JSON that is
 * not that claim, or a line over IPAM_CLAIM_REPLY_MAX → -EPROTO. */
int ipam_claim_reply_parse(const char *line, size_t len, const char *ns,
			   const char *name, struct ipam_claim **ret);

#endif
