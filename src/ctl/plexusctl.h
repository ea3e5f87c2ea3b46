/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PLEXUSCTL_H
#define PLEXUS_PLEXUSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

#include "ipam_addr.h"

struct cni_env;
struct cni_err;
struct nad_source;
struct plexus_conf;
struct plexus_plan;

/* Exit codes of every subcommand. */
#define CTL_EXIT_OK	 0 /* would attach / valid */
#define CTL_EXIT_REFUSED 1 /* would be refused / invalid */
#define CTL_EXIT_USAGE	 2 /* bad command line or unreadable input */

/* One subcommand (plexusctl.c's table; usage is printed from it). */
struct ctl_cmd {
	const char *name;
	int (*run)(int argc, char *argv[]);
	const char *help;
};

extern const char *ctl_prog; /* argv[0]'s name, for messages */

int ctl_plan_main(int argc, char *argv[]);
int ctl_validate_main(int argc, char *argv[]);

/* --- plexusctl_view.c: the plan as one JSON tree (json, yaml, table
 * are all printed from it) --- */

struct ctl_ipam;

/* The pod's identity and where its networks were looked up. */
struct plexus_policy_routing;

struct ctl_pod_info {
	const char *ns, *name, *uid; /* any may be NULL */
	const char *source;	     /* "manifests DIR", ... */
	struct ctl_ipam *ipam;	     /* NULL: no plexus-ipam preview */
	/* the node's policyRouting (NULL: off) */
	const struct plexus_policy_routing *policy_routing;
};

/* {"pod": {...}, "source": ..., "attachments": [...]}: per attachment
 * its network, source, interface, default, plugins, runtimeConfig,
 * cniArgs, capabilities, deviceID, defaultRoute, namespaceIsolation,
 * policyRouting (its table and rule priority, when it has one) and each
 * plugin's stdin ("delegates"); the verdicts as select recorded them. */
int ctl_plan_view(const struct plexus_plan *plan,
		  const struct ctl_pod_info *pod, json_object **ret,
		  struct cni_err *err);
/* {"pod": {...}, "source": ..., "refused": {"code", "msg"[, "details"]}}
 * for a plan the plugin would refuse with perr. */
json_object *ctl_refusal_view(const struct ctl_pod_info *pod,
			      const struct cni_err *perr);
/* select's plan for (conf, env, src) as plexus would make it, as a plan
 * view or, when the plugin would refuse the pod, a refusal view (*ret;
 * NULL only when out of memory). CTL_EXIT_OK or CTL_EXIT_REFUSED. */
int ctl_plan_run(const struct plexus_conf *conf, const struct cni_env *env,
		 const struct nad_source *src, struct ctl_pod_info *pod,
		 json_object **ret);

/* --- plexusctl_ipam_preview.c: what plexus-ipam would hand out
 * (read-only) --- */
struct ctl_ipam *ctl_ipam_new(void);
void ctl_ipam_free(struct ctl_ipam *c);
/* For a plugin stdin conf with "ipam": {"type": "plexus-ipam"}: *ret is
 * a list, per range, of {range, pool, node, address, how} (or one
 * {error} when the config or the store fails); NULL for other plugins.
 * Addresses previewed through ctx count as taken for later calls. */
int ctl_ipam_preview(struct ctl_ipam *ctx, json_object *conf,
		     const char *ifname, const struct ctl_pod_info *pod,
		     json_object **ret);

/* --- plexusctl_out.c --- */
enum ctl_format { CTL_OUT_TABLE, CTL_OUT_JSON, CTL_OUT_YAML };
int ctl_format_parse(const char *s, enum ctl_format *ret);
/* The tree as YAML (libyaml's emitter): strings that would read back
 * as another type are quoted. 0 or -errno. */
int ctl_yaml_emit(json_object *doc, FILE *out);
/* A plan or refusal view for a person, at most 100 columns. */
void ctl_table_print(json_object *view, FILE *out);
#define CTL_TABLE_WIDTH 100

/* --- plexusctl_input.c --- */

/* The node config from a file (a .conf with "type": "plexus" or a
 * conflist holding such a plugin, which gets the list's name and
 * cniVersion as the runtime gives them). Code 5 when the file cannot be
 * read, 6 when it is not JSON, -EMEDIUMTYPE when it is no plexus config;
 * otherwise plexus_conf_parse's errors. */
int ctl_node_conf_load(const char *path, struct plexus_conf **ret,
		       struct cni_err *err);
/* The plexus plugin object of a node config document (a new reference,
 * with name/cniVersion of a list added), or NULL when doc is not one. */
json_object *ctl_node_conf_doc(json_object *doc);
/* A pod manifest (YAML or JSON, one document, kind Pod with
 * metadata.name). Code 6 or 7 with the reason. */
int ctl_pod_load(const char *path, json_object **ret, struct cni_err *err);
/* A source serving pod (a manifest) for its namespace/name and
 * everything else from inner (owned; may be NULL: nothing else). */
int ctl_podsrc_open(json_object *pod, struct nad_source *inner,
		    struct nad_source **ret, struct cni_err *err);
/* metadata.<key> of an object as a string, or NULL. */
const char *ctl_meta_str(json_object *obj, const char *key);

/* --- plexusctl_ranges.c: IPAM ranges --- */
struct ctl_range {
	int family;	  /* AF_INET or AF_INET6 */
	ipam_u128 lo, hi; /* first and last address */
};
/* "CIDR" or whereabouts' "START-END/PREFIX" (END may omit; host bits
 * of a CIDR are ignored). 0 or -EINVAL with why set. */
int ctl_range_parse(const char *s, struct ctl_range *ret, const char **why);
bool ctl_range_overlap(const struct ctl_range *a, const struct ctl_range *b);
bool ctl_range_contains(const struct ctl_range *r, const struct ipam_addr *a);

/* --- plexusctl_check.c: what validate checks --- */
struct ctl_check;
/* cni_path: ':'-separated folders to look plugin types up in, or NULL
 * (types not checked). */
struct ctl_check *ctl_check_new(const char *cni_path);
void ctl_check_free(struct ctl_check *c);
/* The node config (borrowed, or NULL: the defaults) whose metaPlugins and
 * tenantPolicy judge the NADs, as plexus' planner does. */
void ctl_check_set_node(struct ctl_check *c, const struct plexus_conf *node);
/* Check one file's bytes (YAML or JSON, several documents allowed). */
void ctl_check_buf(struct ctl_check *c, const char *file, const char *buf,
		   size_t len);
/* Add the problems between files: overlapping IPAM ranges. */
void ctl_check_finish(struct ctl_check *c);
/* Problems so far, one "FILE: FIELD: message" each, in order found. */
size_t ctl_check_count(const struct ctl_check *c);
const char *ctl_check_problem(const struct ctl_check *c, size_t i);
/* Documents recognised (NADs, node and CNI configs, pods). */
size_t ctl_check_docs(const struct ctl_check *c);

#endif
