/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_ANNOT_H
#define PLEXUS_ANNOT_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "k8s.h"

struct cni_err;

#define ANNOT_NETWORKS	      "k8s.v1.cni.cncf.io/networks"
#define ANNOT_DEFAULT_NETWORK "v1.multus-cni.io/default-network"
#define ANNOT_NETWORK_STATUS  K8S_NETWORK_STATUS
#define ANNOT_RESOURCE_NAME   "k8s.v1.cni.cncf.io/resourceName"
/* plexus's own, on a NAD: "true"/"false", policy routing for it */
#define ANNOT_POLICY_ROUTING "plexus.dev/policy-routing"
/* plexus's own, on a pod: "true"/"false", parallel ADD where the node's
 * parallelAttach is "pod" */
#define ANNOT_PARALLEL_ATTACH "plexus.dev/parallel-attach"

/* Most elements one annotation may select. */
#define ANNOT_ELEMS_MAX 256

/* One network selection element (NPWG spec v1.3). Strings are owned;
 * NULL when absent. The JSON members are owned copies whose types are
 * already checked. */
struct annot_elem {
	char *name;
	char *namespace;  /* NULL: the caller's default namespace */
	char *ifname;	  /* "interface" or "@ifname"; NULL: auto */
	json_object *ips; /* array of "IP" or "IP/prefix" strings */
	char *mac;
	char *infiniband_guid;
	json_object *default_route; /* array of gateway IP strings */
	json_object *port_mappings; /* array of objects */
	json_object *bandwidth;	    /* object */
	json_object *cni_args;	    /* object */
	char *ipam_claim;	    /* "ipam-claim-reference" */
};

struct annot_list {
	struct annot_elem *elems;
	size_t n;
};

/* Parse the value of k8s.v1.cni.cncf.io/networks (or of the
 * default-network annotation): the JSON form when buf holds '[', '{' or
 * '"', the comma form otherwise; an empty or blank value gives an empty
 * list. `what` starts every message (e.g. "pod ns/name: annotation
 * k8s.v1.cni.cncf.io/networks"); errors name the element index and the
 * reason, code CNI_ERR_SELECTION (110). */
int annot_networks_parse(const char *buf, size_t len, const char *what,
			 struct annot_list **ret, struct cni_err *err);
void annot_list_free(struct annot_list *list);

#endif
