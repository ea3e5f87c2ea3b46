/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_ATTACH_H
#define PLEXUS_ATTACH_H

#include <json-c/json.h>

#include "cni_env.h"
#include "cni_version.h"

struct cni_env;
struct cni_err;
struct cni_exec_ops;
struct cni_result;
struct plexus_record;

/* What every delegate call of one plugin invocation shares. */
struct attach_ctx {
	const struct cni_env *env;
	const struct cni_exec_ops *exec;
	const char *path;	  /* CNI_PATH for delegates (binDir first) */
	const char *netns;	  /* the pod's netns (may be empty for DEL) */
	const char *cache_path;	  /* where the record lives, or NULL */
	const char *cache_dir;	  /* cniDir */
	const char *args_default; /* CNI_ARGS for the default network, or
				   * NULL: the runtime's */
	const char *args_others;  /* CNI_ARGS for non-default networks */
	int timeout_ms;
	bool parallel_detach; /* "parallelDetach": attach_del by groups */
	int lock_fd; /* the container's lock, inherited by delegates; -1 */
	/* told of every delegate call when set (plexusd's metrics): its
	 * network, delegate type, duration and CNI code (0: success) */
	void (*observe)(void *octx, enum cni_cmd cmd, const char *network,
			const char *type, double ms, int code);
	void *observe_ctx;
};

/* CNI_ARGS for the networks other than the default one: without the
 * per-interface requests IP= and MAC= (podman's --network net:ip=,mac=),
 * which belong to the pod's default interface only. NULL on ENOMEM. */
char *attach_args_others(const char *args);

/* Multus' device-info directory and the file name of an attachment's
 * (<network>-<containerID>_<ifname>, each '/' written '-'). */
#define ATTACH_DEVINFO_DIR "/var/run/k8s.cni.cncf.io/devinfo/cni"
struct plexus_attachment;
char *attach_devinfo_path(const struct plexus_attachment *a,
			  const char *container_id);

/* Multus' copy at ADD of a resource's device: the device plugin's file
 * for device_id in dp_dir (<resource>-<deviceID>-device.json, '/'
 * written '-'; device IDs are unique on a node) to cni_path (mode 0444,
 * its folder made), unless cni_path exists. 0; -ENOENT when the device
 * plugin wrote none; -errno. */
#define ATTACH_DEVINFO_DP_DIR "/var/run/k8s.cni.cncf.io/devinfo/dp"
int attach_devinfo_from_dp(const char *dp_dir, const char *device_id,
			   const char *cni_path);

/* ADD every attachment of rec->plan in order, recording each result in
 * rec. Before the first delegate runs the record is written (so a crash
 * leaves something for DEL to undo); after the last, written complete.
 * If attachment k fails, attachments k..0 are deleted in reverse, the
 * record removed, and k's error returned. */
int attach_add(const struct attach_ctx *ctx, struct plexus_record *rec,
	       struct cni_err *err);

/* DEL every attachment in reverse, each with its recorded result as
 * prevResult; keeps going past failures and reports them all at the end
 * (the first failure's code, in reverse plan order). With
 * ctx->parallel_detach, the plan_waves groups last first, the members
 * of a group at once (a process each). */
int attach_del(const struct attach_ctx *ctx, const struct plexus_record *rec,
	       struct cni_err *err);

/* CHECK every attachment with its recorded result. */
int attach_check(const struct attach_ctx *ctx, const struct plexus_record *rec,
		 struct cni_err *err);

/* STATUS of every delegate (1.1.0 configs only). */
int attach_status(const struct attach_ctx *ctx, const struct plexus_record *rec,
		  struct cni_err *err);

/* GC of every delegate with the attachments still valid for it. */
int attach_gc(const struct attach_ctx *ctx, const struct plexus_record *rec,
	      json_object *valid, struct cni_err *err);

/* The merged result of rec: every attachment's interfaces, IPs (indexes
 * remapped), routes and DNS, default network first. With netns (the
 * pod's CNI_NETNS), a secondary network's address without an interface
 * index gets the index of that network's interface in netns
 * (cni_result_ips_claim), so that no runtime reads it as the default
 * network's. */
int attach_merge(const struct plexus_record *rec, const char *netns,
		 struct cni_result **ret, struct cni_err *err);

#endif
