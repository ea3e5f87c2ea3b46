/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PLAN_H
#define PLEXUS_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

struct cni_conflist;
struct cni_err;

/* How namespaceIsolation judged an attachment (select decides it; the
 * dry run prints it). */
enum plan_isolation {
	PLAN_ISOLATION_NA,     /* not a NetworkAttachmentDefinition */
	PLAN_ISOLATION_OFF,    /* namespaceIsolation is off */
	PLAN_ISOLATION_OWN,    /* the NAD is in the pod's namespace */
	PLAN_ISOLATION_GLOBAL, /* the NAD is in a global namespace */
	PLAN_ISOLATION_EXEMPT, /* the node's clusterNetwork/defaultNetworks */
	PLAN_ISOLATION_DEFAULT_NET, /* the pod's default-network annotation's
				     * NAD in multusNamespace */
};

/* A NAD's plexus.dev/policy-routing annotation: the node's choice, or
 * "true" / "false" for this network. */
enum plan_policy_routing {
	PLAN_PR_NODE = 0,
	PLAN_PR_ON,
	PLAN_PR_OFF,
};

/* One network to attach: one delegate conflist, one pod interface. */
struct plexus_attachment {
	char *network;		   /* "namespace/name" or the conf's name */
	char *source;		   /* where the config came from, for people */
	char *ifname;		   /* CNI_IFNAME given to the delegate */
	bool is_default;	   /* the pod's default network */
	struct cni_conflist *conf; /* owned */
	json_object *runtime_config; /* owned or NULL: capability args */
	json_object *cni_args;	     /* owned or NULL: becomes args.cni */
	char *device_id;	     /* owned or NULL */
	char *args_mac;	  /* owned or NULL: the selection element's "mac",
			 * MAC= in CNI_ARGS at ADD (as Multus) */
	char *args_ip;	  /* owned or NULL: its "ips" joined by ',', IP= */
	char *ipam_claim; /* owned or NULL: the element's
			   * "ipam-claim-reference", an IPAMClaim in the
			   * pod's namespace; given to the delegates as
			   * CNI_ARGS PLEXUS_IPAM_CLAIM (ipam_claim.h) */
	json_object *default_route; /* owned or NULL: the gateways (strings)
				     * this attachment asks to carry the pod's
				     * default route ("default-route") */
	enum plan_isolation isolation;
	json_object *capabilities; /* owned or NULL: per runtimeConfig key,
				    * the plugin types declaring it
				    * ([{"capability", "plugins"}]) */
	enum plan_policy_routing policy_routing;
	json_object *policy_routes; /* owned or NULL: the NAD's
				     * plexus.dev/policy-routes, checked
				     * (proutes.h), for the network's own
				     * table; never an empty list */
	bool aux_chain; /* auxiliaryCNIChainName's chain: its first plugin is
			 * Multus' passthru, which plexus answers itself */
};

/* The ordered attachments of one pod; default network first. Built by
 * select (select.h), the only code that plans. */
struct plexus_plan {
	struct plexus_attachment *att;
	size_t n;
	char *pod_namespace; /* from CNI_ARGS, or NULL */
	char *pod_name;
	char *pod_uid;
	bool parallel; /* ADD attaches independent networks at once (the
			* node's parallelAttach, the pod's annotation) */
};

/* Parallel ADD's order. Attachment j depends on an earlier attachment i
 * when a plugin of j's chain names i's interface in its "master" or
 * "link" (a link inside the pod: vlan, macvlan or ipvlan with
 * linkInContainer); auxiliaryCNIChainName's chain depends on every
 * other. Each attachment's group (wave) is one more than the highest
 * of those it depends on, 0 without any: the members of a group do not
 * depend on each other and every group runs after the ones before it.
 * Fills ret_wave[0..p->n-1]; returns the number of groups. Pure. */
bool plan_depends(const struct plexus_plan *p, size_t j, size_t i);
size_t plan_waves(const struct plexus_plan *p, size_t *ret_wave);

struct plexus_policy_routing;

/* The routing table of attachment i under policy routing (the node's
 * choice, or its NAD's annotation): table_base + i, or 0 when i keeps the
 * main table (the default network, or policy routing off for it). */
unsigned plan_policy_table(const struct plexus_policy_routing *pr,
			   const struct plexus_plan *p, size_t i);

/* The verdict in words ("off", "allowed: the pod's namespace", ...). */
const char *plan_isolation_str(enum plan_isolation v);

/* The stdin config plugin i of att's chain gets (without env): as
 * cni_conflist_plugin_conf with att's runtimeConfig, plus the
 * selection's cni-args merged into args.cni and "deviceID". */
int plexus_attachment_plugin_conf(const struct plexus_attachment *att, size_t i,
				  json_object *prev_result, json_object **ret,
				  struct cni_err *err);

/* Append an attachment, taking ownership of *att's members. */
int plexus_plan_add(struct plexus_plan *plan, struct plexus_attachment *att);
struct plexus_plan *plexus_plan_new(void);
void plexus_plan_free(struct plexus_plan *plan);
void plexus_attachment_clear(struct plexus_attachment *att);

#endif
