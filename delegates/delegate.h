/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_DELEGATE_H
#define PLEXUS_DELEGATE_H

/* Native delegates: one ops table per link kind. The ops keep no state
 * outside their arguments, so a caller may run them in-process and from
 * several threads at once (each thread enters pod netns on its own). */

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "cni_env.h"
#include "cni_exec.h"
#include "cni_result.h"
#include "cni_version.h"

struct cni_err;

/* One call of a delegate. */
struct delegate_req {
	const struct cni_env *env; /* command, container, netns, ifname, path */
	json_object *conf;	   /* the network config as given on stdin */
	enum cni_ver ver;	   /* conf's cniVersion */
	/* How IPAM plugins are run; NULL: cni_exec_default. */
	const struct cni_exec_ops *exec;
	const char *sysfs_root; /* NULL: "/sys" (SR-IOV) */
	const char *state_dir;	/* NULL: the delegate's default */
	/* The call ends by this (cni_deadline.h; 0: none): its IPAM call
	 * and the nft child keep it, then code 11. Set by the meta plugin
	 * (delegateTimeout) for the delegates it runs in-process. */
	int64_t deadline;
};

/* sysfs_root and state_dir from PLEXUS_SYSFS_ROOT and PLEXUS_STATE_DIR
 * (test knobs: a stand-in sysfs tree, a private state folder), NULL when
 * unset or empty. The strings are the environment's. */
void delegate_req_env_paths(struct delegate_req *req);

struct delegate_ops {
	const char *name;
	/* Attach: on success *ret is the result (caller frees); on failure
	 * nothing is left behind (links, addresses, IPAM allocations). */
	int (*add)(const struct delegate_req *req, struct cni_result **ret,
		   struct cni_err *err);
	/* Verify the attachment against conf's prevResult. */
	int (*check)(const struct delegate_req *req, struct cni_err *err);
	/* Detach; idempotent, succeeds when netns or link are gone. */
	int (*del)(const struct delegate_req *req, struct cni_err *err);
	/* Parse conf as add does, touching nothing: the verdict of
	 * plexusctl validate and plan on a config of this plugin. */
	int (*conf_check)(json_object *conf, struct cni_err *err);
};

extern const struct delegate_ops bridge_delegate;
extern const struct delegate_ops macvlan_delegate;
extern const struct delegate_ops ipvlan_delegate;
extern const struct delegate_ops sriov_delegate;

/* The request's cniVersion (required; code 7 when missing, 1 when not
 * supported); *ret_str points into conf. */
int delegate_conf_version(json_object *conf, enum cni_ver *ret,
			  const char **ret_str, struct cni_err *err);

/* One verb of ops for req, as the plugin binary runs it: ADD's result in
 * req->ver as *ret_out (the caller owns it; NULL for the other verbs),
 * CHECK refused before 0.4.0, STATUS and GC passed to the IPAM plugin.
 * VERSION is the caller's. The binaries' main and the meta plugin's
 * in-process path both run delegates through this. */
int delegate_run(const struct delegate_ops *ops, struct delegate_req *req,
		 json_object **ret_out, struct cni_err *err);

/* Find an ops table by its plugin name ("plexus-bridge", ...). */
const struct delegate_ops *delegate_find(const char *name);

#endif
