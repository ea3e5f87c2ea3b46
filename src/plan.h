/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PLAN_H
#define PLEXUS_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

struct cni_conflist;
struct cni_env;
struct cni_err;
struct nad_source;
struct plexus_conf;

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
	json_object *default_route;  /* owned or NULL: the gateways (strings)
				     * this attachment asks to carry the pod's
				     * default route ("default-route") */
};

/* The ordered attachments of one pod; default network first. */
struct plexus_plan {
	struct plexus_attachment *att;
	size_t n;
	char *pod_namespace; /* from CNI_ARGS, or NULL */
	char *pod_name;
	char *pod_uid;
};

/* Build the plan for env from conf. Pure: reads config files (confDir)
 * and NAD sources, never execs, writes or touches the kernel. */
int plexus_plan_build(const struct plexus_conf *conf, const struct cni_env *env,
		      struct plexus_plan **ret, struct cni_err *err);

/* The same with the pod and NADs read from src instead of the source
 * conf names (src NULL: exactly plexus_plan_build). For the dry run
 * (plexusctl plan), which picks its own source. */
int plexus_plan_build_from(const struct plexus_conf *conf,
			   const struct cni_env *env,
			   const struct nad_source *src,
			   struct plexus_plan **ret, struct cni_err *err);

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
