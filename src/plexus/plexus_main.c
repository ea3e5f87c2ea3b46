// SPDX-License-Identifier: Apache-2.0
/* plexus: the meta CNI plugin on the shared plugin skeleton. Builds the
 * request, plans the pod's attachments, runs the delegates, hands the
 * skeleton one merged result to print. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sys/file.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "cache.h"
#include "cni_conf.h"
#include "cni_deadline.h"
#include "cni_env.h"
#include "cni_error.h"
#include "cni_exec.h"
#include "cni_fs.h"
#include "cni_json.h"
#include "cni_log.h"
#include "cni_result.h"
#include "cni_skel.h"
#include "gc.h"
#include "inproc.h"
#include "nadsrc.h"
#include "ipam_alloc.h"
#include "ipam_node.h"
#include "multus_cache.h"
#include "netstatus.h"
#include "pdclient.h"
#include "pdreport.h"
#include "plan.h"
#include "plexus_conf.h"
#include "podroute.h"
#include "select.h"
#include "tombstone.h"

extern char **environ;

/* Set in the environment of everything plexus runs (PLEXUS_* variables
 * pass to delegates and their IPAM plugins). */
#define PLEXUS_NESTED_ENV "PLEXUS_CALLER"

/* One plugin call: what main builds once and every step shares. */
struct request {
	const struct cni_env *env; /* the skeleton's */
	struct plexus_conf *conf;
	struct nad_source *src; /* opened on first use; NULL: static mode */
	bool src_open;
	char *path;
	char *cache_path;
	char *args_default; /* CNI_ARGS for the default network */
	char *args_others;
	char *lock_path;
	int lock_fd;
	bool from_multus; /* the record was read from Multus' cache */
	bool uncommitted; /* writes left to the call's commit (syncMode) */
	struct pdreport *report; /* with plexusdSocket: told to plexusd */
};

static void request_clear(struct request *req)
{
	plexus_conf_free(req->conf);
	nad_source_free(req->src);
	free(req->path);
	free(req->cache_path);
	free(req->args_default);
	free(req->args_others);
	free(req->lock_path);
	pdreport_free(req->report);
	if (req->lock_fd > 0)
		close(req->lock_fd);
}

static struct attach_ctx ctx_for(const struct request *req)
{
	return (struct attach_ctx){
		.env = req->env,
		.exec = req->conf->in_process ? &inproc_exec
					      : &cni_exec_default,
		.path = req->path,
		.netns = req->env->netns,
		.cache_path = req->cache_path,
		.cache_dir = req->conf->cache_dir,
		.args_default = req->args_default,
		.args_others = req->args_others,
		.timeout_ms = req->conf->delegate_timeout_ms,
		.parallel_detach = req->conf->parallel_detach,
		.lock_fd = req->lock_fd > 0 ? req->lock_fd : -1,
		.observe = req->report ? pdreport_call : NULL,
		.observe_ctx = req->report,
	};
}

/* The NAD source the config names (manifestsDir, kubeconfig), opened
 * once per call on first use: one kubeconfig parse and one API client
 * for select, network-status and GC. Stays NULL in static mode. */
static int request_source(struct request *req, struct cni_err *err)
{
	/* only an ADD waits for a pod that is not visible yet */
	unsigned flags = req->env->cmd == CNI_CMD_ADD ? NAD_SOURCE_WAIT_POD : 0;
	int r;

	const char *uid = cni_env_arg(req->env, "K8S_POD_UID");
	const struct plexus_conf *c = req->conf;
	bool api = c->plexusd_socket && c->kubeconfig &&
		   !(c->manifests_dir && *c->manifests_dir);

	if (req->src_open)
		return 0;
	/* plexusd vouches only for a pod of a known uid, and only an ADD
	 * asks it for lookups; a DEL sends it only the network-status (the
	 * record's uid, checked there), never waiting long; CHECK never
	 * asks it: DEL and CHECK never depend on plexusd */
	if (api && req->env->cmd == CNI_CMD_ADD && uid && *uid)
		r = pdclient_open(c, uid, flags, PDCLIENT_ADD, &req->src, err);
	else if (api && req->env->cmd == CNI_CMD_DEL)
		r = pdclient_open(c, uid ? uid : "", flags, PDCLIENT_DEL,
				  &req->src, err);
	else
		r = nad_source_open(c, flags, &req->src, err);
	if (r == 0)
		req->src_open = true;
	return r;
}

/* readinessindicatorfile: Multus' wait (look at once, then each second,
 * 45 s in all) and its error code. */
#define READY_POLL_MS	 1000
#define READY_TIMEOUT_MS 45000

static int wait_ready(const struct plexus_conf *conf, struct cni_err *err)
{
	if (!conf->readiness_file ||
	    cni_fs_wait_exists(conf->readiness_file, READY_POLL_MS,
			       READY_TIMEOUT_MS) == 0)
		return 0;
	return cni_errf(err, CNI_ERR_INTERNAL,
			"readinessindicatorfile: \"%s\" still does not exist "
			"after %d s: the default network is not ready",
			conf->readiness_file, READY_TIMEOUT_MS / 1000);
}

/* The version of the config, for messages. */
static const char *conf_version(const struct plexus_conf *c)
{
	return c->cni_version ? c->cni_version : "none (cniVersion missing)";
}

/* mergedResult false: the default network's result as its delegate
 * gave it, as Multus answers. */
static int default_result(const struct plexus_record *rec, json_object **ret)
{
	for (size_t j = 0; j < rec->plan->n; j++) {
		if (!rec->plan->att[j].is_default || !rec->results[j])
			continue;
		*ret = json_object_get(rec->results[j]);
		return 0;
	}
	*ret = json_object_new_object(); /* no default network result */
	return *ret ? 0 : -ENOMEM;
}

/* The merged result in the config's version: what ADD prints. */
static int result_json(const struct plexus_record *rec, const char *netns,
		       enum cni_ver v, bool merged_result, json_object **ret,
		       struct cni_err *err)
{
	struct cni_result *merged;
	int r = merged_result ? attach_merge(rec, netns, &merged, err)
			      : default_result(rec, ret);

	if (!merged_result)
		return r;

	if (r < 0)
		return r;
	*ret = cni_result_to_json(merged, v);
	cni_result_free(merged);
	return *ret ? 0 : -ENOMEM;
}

/* network-status on the pod: a failed write is logged, the ADD stands. */
static void publish_status(const struct request *req,
			   const struct plexus_record *rec)
{
	struct cni_err serr = { 0 };

	if (netstatus_publish(req->src, rec->plan, rec->results, &serr) < 0)
		cni_log(CNI_LOG_ERROR, "network-status not written: %s",
			serr.msg);
}

/* network-status back to the empty list at DEL, only when the pod's
 * netns is still there (a force-deleted pod has neither), as Multus did;
 * with plexusdSocket through plexusd as at ADD (the same STATUS; up to
 * PDCLIENT_DEL_STATUS_MS, then written directly: pdclient.h).
 * A pod already gone is fine; any other failure is logged: DEL stands. */
static void clear_status(struct request *req, const struct plexus_record *rec)
{
	const struct plexus_conf *conf = req->conf;
	struct cni_err serr = { 0 };
	int r;

	if (!conf->kubeconfig || (conf->manifests_dir && *conf->manifests_dir))
		return;
	if (!req->env->netns || !*req->env->netns ||
	    access(req->env->netns, F_OK) < 0) {
		cni_log(CNI_LOG_VERBOSE, "DEL: netns gone, network-status of "
					 "the pod left as it is");
		return;
	}
	r = request_source(req, &serr);
	if (r == 0)
		r = netstatus_clear(req->src, rec->plan, &serr);
	if (r == -ENOENT)
		cni_log(CNI_LOG_VERBOSE,
			"DEL: network-status not cleared, "
			"the pod is gone: %s",
			serr.msg);
	else if (r < 0)
		cni_log(CNI_LOG_ERROR, "DEL: network-status not cleared: %s",
			serr.msg);
}

/* A record holding the plan of the current config, no results yet. */
static int planned_record(struct request *req, struct plexus_record **ret,
			  struct cni_err *err)
{
	struct plexus_plan *plan = NULL;
	int r = request_source(req, err);

	if (r == 0)
		r = select_plan(req->conf, req->env, req->src, &plan, err);
	if (r < 0)
		return r;
	*ret = plexus_record_new(plan);
	if (!*ret) {
		plexus_plan_free(plan);
		return -ENOMEM;
	}
	return 0;
}

/* default-route, then policyRouting, after everything is attached; on
 * failure the whole pod is deleted again, as for a failed delegate. */
static int apply_default_route(const struct attach_ctx *ctx,
			       struct request *req, struct plexus_record *rec,
			       struct cni_err *err)
{
	struct cni_err e = { 0 };
	int r = podroute_apply(rec, req->env->netns, err);

	if (r == 0)
		r = podroute_policy_apply(&req->conf->policy_routing, rec,
					  req->env->netns, err);
	if (r == 0)
		return 0;
	if (podroute_policy_del(&req->conf->policy_routing, rec,
				req->env->netns, &e) < 0)
		cni_err_add_details(err, "rollback: %s", e.msg);
	if (attach_del(ctx, rec, &e) == 0)
		plexus_cache_remove(req->cache_path);
	else
		cni_err_add_details(err, "rollback: %s", e.msg);
	return r;
}

/* A second ADD for a container and interface whose ADD completed is
 * refused before it touches anything (its rollback would delete the first
 * ADD's interfaces and addresses). A record of an ADD that did not
 * complete (killed half-way) does not block: that ADD's leftovers are
 * what a new ADD's rollback or the DEL clean up. */
static int refuse_attached(const struct request *req, struct cni_err *err)
{
	struct plexus_record *rec;
	struct cni_err e = { 0 };
	bool complete;

	if (plexus_cache_read(req->cache_path, &rec, &e) < 0)
		return 0;
	complete = rec->complete;
	plexus_record_free(rec);
	if (!complete)
		return 0;
	return cni_errf(err, CNI_ERR_INVALID_ENV,
			"container \"%s\" interface \"%s\": already "
			"attached by an earlier ADD; DEL it first",
			req->env->container_id, req->env->ifname);
}

/* Without a cniVersion, ADD answers in the default network's version,
 * as Multus prints its default network's result as it came. */
static enum cni_ver result_version(const struct plexus_conf *c,
				   const struct plexus_record *rec)
{
	if (!c->cni_version_missing || rec->plan->n == 0)
		return c->ver;
	return rec->plan->att[0].conf->ver;
}

/* A pod deleted before its ADD ran: success with an empty result, as
 * Multus v4.2 answers. */
static int pod_gone(const struct request *req, const struct cni_err *e,
		    json_object **ret_out)
{
	const struct plexus_conf *c = req->conf;

	cni_log(CNI_LOG_VERBOSE,
		"ADD: %s; the pod is gone, exiting with an empty result",
		e->msg);
	*ret_out = json_object_new_object();
	if (!*ret_out)
		return -ENOMEM;
	json_object_object_add(
		*ret_out, "cniVersion",
		json_object_new_string(c->cni_version ? c->cni_version : ""));
	return 0;
}

static int cmd_add(struct request *req, json_object **ret_out,
		   struct cni_err *err)
{
	struct attach_ctx ctx = ctx_for(req);
	struct plexus_record *rec;
	int r;

	if (access(req->env->netns, F_OK) < 0)
		return cni_errf(err, CNI_ERR_INVALID_ENV,
				"CNI_NETNS: \"%s\": %s", req->env->netns,
				strerror(errno));
	r = refuse_attached(req, err);
	if (r == 0)
		tombstone_clear(req->cache_path); /* an ADD after a DEL */
	if (r == 0)
		r = wait_ready(req->conf, err);
	if (r == 0)
		r = planned_record(req, &rec, err);
	if (r == -ESRCH)
		return pod_gone(req, err, ret_out);
	if (r < 0)
		return r;
	req->uncommitted = true;
	r = attach_add(&ctx, rec, err);
	/* a complete record's write was the commit (plexus_cache_write) */
	req->uncommitted = r < 0;
	if (r == 0)
		r = apply_default_route(&ctx, req, rec, err);
	if (r < 0)
		req->uncommitted = true; /* rolled back */
	if (r == 0 && req->conf->in_process)
		inproc_pod_tag(rec, req->env->netns);
	if (r == 0)
		publish_status(req, rec);
	if (r == 0)
		r = result_json(rec, req->env->netns,
				result_version(req->conf, rec),
				req->conf->merged_result, ret_out, err);
	plexus_record_free(rec);
	return r;
}

/* A container Multus added before the node switched: its cache, read as
 * a record (docs/migrating-from-multus.md). -ENOENT when there is none. */
static int multus_record(struct request *req, struct plexus_record **ret)
{
	struct cni_err e = { 0 };
	int r = multus_cache_read(req->conf->multus_cache_dir, req->env,
				  req->conf->runtime_config, ret, &e);

	if (r == 0) {
		req->from_multus = true;
		cni_log(CNI_LOG_VERBOSE, "%s: using Multus' cache in %s",
			cni_cmd_str(req->env->cmd),
			req->conf->multus_cache_dir);
	} else if (r != -ENOENT) {
		cni_log(CNI_LOG_ERROR, "%s; not used", e.msg);
	}
	return r;
}

/* The record of an earlier ADD (plexus', else Multus'); without a usable
 * one, the plan from the current config. -ENOENT when none is there. */
static int load_record(struct request *req, struct plexus_record **ret,
		       struct cni_err *err)
{
	struct cni_err e = { 0 };
	int r = plexus_cache_read(req->cache_path, ret, &e);

	if (r == 0)
		return 0;
	if (r != -ENOENT)
		cni_log(CNI_LOG_ERROR, "%s; using the config instead", e.msg);
	else if (multus_record(req, ret) == 0)
		return 0;
	return planned_record(req, ret, err);
}

/* retryDeleteOnError false (Multus' default): a DEL that fails is not
 * failed for ever. The first failure is answered (the runtime retries)
 * and marked in the record; a later DEL that fails again answers success,
 * so the sandbox is released, and the record stays behind for GC (the
 * CNI GC verb DELs it again once the runtime no longer lists the
 * container; plexusctl ipam gc frees the addresses of pods gone). */
static int del_failed(struct request *req, struct plexus_record *rec, int r,
		      struct cni_err *err)
{
	struct cni_err e = { 0 };

	if (rec->del_failed) {
		cni_log(CNI_LOG_ERROR,
			"DEL: failed again: %s; answered success "
			"(retryDeleteOnError is false); what is left is "
			"recorded in %s for GC",
			err ? err->msg : "", req->cache_path);
		return 0;
	}
	rec->del_failed = true;
	if (plexus_cache_write(req->cache_path, req->env, rec, &e) < 0)
		cni_log(CNI_LOG_ERROR, "DEL: %s", e.msg);
	cni_log(CNI_LOG_ERROR,
		"DEL: %s; the next DEL of this container answers success "
		"(retryDeleteOnError is false), what it leaves is recorded in "
		"%s for GC",
		err ? err->msg : "", req->cache_path);
	return r;
}

static int cmd_del(struct request *req, struct cni_err *err)
{
	struct plexus_record *rec;
	struct cni_err e = { 0 };
	struct attach_ctx ctx = ctx_for(req);
	int r;

	if (tombstone_fresh(req->cache_path, TOMBSTONE_TTL) &&
	    access(req->cache_path, F_OK) < 0) {
		cni_log(CNI_LOG_VERBOSE,
			"DEL: container \"%s\" interface \"%s\" was deleted "
			"already; nothing to do",
			req->env->container_id, req->env->ifname);
		unlink(req->lock_path); /* made by this call, still held */
		return 0;
	}
	req->uncommitted = true;
	r = load_record(req, &rec, &e);
	if (r < 0) {
		/* nothing recorded and no usable config: nothing to undo */
		cni_log(CNI_LOG_ERROR, "DEL: %s; nothing to delete", e.msg);
		unlink(req->lock_path);
		return 0;
	}
	if (podroute_policy_del(&req->conf->policy_routing, rec,
				req->env->netns, &e) < 0)
		cni_log(CNI_LOG_ERROR, "DEL: %s (the rules go with the netns)",
			e.msg);
	if (req->conf->in_process)
		inproc_pod_teardown(rec, req->env->netns);
	r = attach_del(&ctx, rec, err);
	clear_status(req, rec);
	if (r == 0) {
		plexus_cache_remove(req->cache_path);
		/* the DELs the runtime repeats answer at once */
		tombstone_set(req->cache_path);
		tombstone_sweep(req->conf->cache_dir, TOMBSTONE_TTL);
		unlink(req->lock_path); /* still held: nobody waits for it */
		if (req->from_multus)
			multus_cache_remove(req->conf->multus_cache_dir,
					    req->env->container_id, rec);
	} else if (!req->conf->retry_delete_on_error) {
		r = del_failed(req, rec, r, err);
	}
	plexus_record_free(rec);
	return r;
}

static int cmd_check(struct request *req, struct cni_err *err)
{
	struct plexus_record *rec;
	struct attach_ctx ctx = ctx_for(req);
	int r;

	if (!cni_version_supports_check(req->conf->ver))
		return cni_errf(err, CNI_ERR_INCOMPATIBLE_VERSION,
				"cniVersion: CHECK needs 0.4.0 or later, the "
				"config has %s",
				conf_version(req->conf));
	r = plexus_cache_read(req->cache_path, &rec, err);
	if (r == -ENOENT && multus_record(req, &rec) == 0)
		r = 0;
	if (r == -ENOENT) {
		/* Multus v4.2 checks nothing it has not got from its config
		 * and answers 0 */
		cni_log(CNI_LOG_VERBOSE,
			"CHECK: container \"%s\" interface \"%s\": no record "
			"of an ADD, nothing to check",
			req->env->container_id, req->env->ifname);
		return 0;
	}
	if (r < 0)
		return r;
	r = attach_check(&ctx, rec, err);
	if (r == 0)
		r = podroute_policy_check(&req->conf->policy_routing, rec,
					  req->env->netns, err);
	plexus_record_free(rec);
	return r;
}

static int cmd_status(struct request *req, struct cni_err *err)
{
	struct attach_ctx ctx = ctx_for(req);
	struct plexus_record *rec;
	int r;

	if (req->conf->ver < CNI_V110)
		return cni_errf(err, CNI_ERR_INCOMPATIBLE_VERSION,
				"cniVersion: STATUS needs 1.1.0, the config "
				"has %s",
				conf_version(req->conf));
	if (req->conf->readiness_file &&
	    access(req->conf->readiness_file, F_OK) < 0)
		return cni_errf(err, CNI_ERR_NOT_AVAILABLE,
				"readinessindicatorfile: \"%s\" does not "
				"exist",
				req->conf->readiness_file);
	r = planned_record(req, &rec, err);
	if (r < 0)
		return r;
	r = attach_status(&ctx, rec, err);
	plexus_record_free(rec);
	return r;
}

static int cmd_gc(struct request *req, struct cni_err *err)
{
	struct attach_ctx ctx = ctx_for(req);
	int r;

	if (req->conf->ver < CNI_V110)
		return cni_errf(err, CNI_ERR_INCOMPATIBLE_VERSION,
				"cniVersion: GC needs 1.1.0, the config has "
				"%s",
				conf_version(req->conf));
	r = request_source(req, err);
	req->uncommitted = true;
	return r < 0 ? r : plexus_gc(&ctx, req->conf, req->src, err);
}

/* syncMode "pod": the store writes of this call's delegates (plexus-ipam's
 * file store) and plexus' own files on cniDir's filesystem are left
 * without fsyncs, and made durable together by one commit: the complete
 * record's write at ADD (plexus_cache_write), else commit_call. "write":
 * every write is fsync'ed on its own, as before. */
static int sync_begin(struct request *req)
{
	const struct plexus_conf *c = req->conf;
	enum cni_cmd cmd = req->env->cmd;

	if (!c->sync_per_pod ||
	    (cmd != CNI_CMD_ADD && cmd != CNI_CMD_DEL && cmd != CNI_CMD_GC))
		return unsetenv(CNI_FS_SYNC_DIR_ENV) < 0 ? -errno : 0;
	if (cni_fs_mkdir_p(c->cache_dir, 0700) < 0)
		return unsetenv(CNI_FS_SYNC_DIR_ENV) < 0 ? -errno : 0;
	return setenv(CNI_FS_SYNC_DIR_ENV, c->cache_dir, 1) < 0 ? -errno : 0;
}

/* The commit of what a DEL, a GC or a failed ADD wrote; a DEL or GC that
 * cannot commit fails with code 5 (the runtime repeats it). */
static int commit_call(struct request *req, int r, struct cni_err *err)
{
	int c;

	if (!req->uncommitted || !getenv(CNI_FS_SYNC_DIR_ENV))
		return r;
	c = cni_fs_commit(req->conf->cache_dir);
	if (c == 0)
		return r;
	cni_log(CNI_LOG_ERROR, "cniDir: %s: syncfs: %s", req->conf->cache_dir,
		strerror(-c));
	if (r < 0 || req->env->cmd == CNI_CMD_ADD)
		return r;
	return cni_errf(err, CNI_ERR_IO, "cniDir: %s: syncfs: %s",
			req->conf->cache_dir, strerror(-c));
}

/* One plexus at a time per container and interface: ADD, CHECK and DEL
 * hold <record>.lock, and the delegates they exec inherit it, so a DEL
 * after a killed ADD waits for the plugins that ADD left running. */
static int lock_container(struct request *req, struct cni_err *err)
{
	int waited = 0, fd = -1, r;

	if (asprintf(&req->lock_path, "%s.lock", req->cache_path) < 0)
		return -ENOMEM;
	r = cni_fs_mkdir_p(req->conf->cache_dir, 0700);
	for (;;) {
		fd = r < 0 ? -1
			   : open(req->lock_path, O_RDWR | O_CREAT | O_CLOEXEC,
				  0600);
		if (fd < 0)
			return cni_errf(err, CNI_ERR_IO, "cniDir: %s: %s",
					req->lock_path,
					strerror(r < 0 ? -r : errno));
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (plexus_cache_lock_current(fd, req->lock_path))
				break;
		} else if (errno != EWOULDBLOCK ||
			   waited >= req->conf->delegate_timeout_ms) {
			close(fd);
			return cni_errf(err, CNI_ERR_TRY_AGAIN,
					"container \"%s\": another plexus call "
					"for it is still running",
					req->env->container_id);
		}
		close(fd); /* busy, or an unlinked file: open the path again */
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
		waited += 10;
	}
	req->lock_fd = fd;
	return 0;
}

static int dispatch(struct request *req, json_object **ret_out,
		    struct cni_err *err)
{
	int r = 0;

	if (req->env->cmd == CNI_CMD_ADD || req->env->cmd == CNI_CMD_DEL ||
	    req->env->cmd == CNI_CMD_CHECK)
		r = lock_container(req, err);
	if (r == 0)
		r = sync_begin(req);
	if (r < 0)
		return r;
	switch (req->env->cmd) {
	case CNI_CMD_ADD:
		return commit_call(req, cmd_add(req, ret_out, err), err);
	case CNI_CMD_DEL:
		return commit_call(req, cmd_del(req, err), err);
	case CNI_CMD_CHECK:
		return cmd_check(req, err);
	case CNI_CMD_STATUS:
		return cmd_status(req, err);
	case CNI_CMD_GC:
		return commit_call(req, cmd_gc(req, err), err);
	default:
		return cni_errf(err, CNI_ERR_INVALID_ENV,
				"CNI_COMMAND: unsupported");
	}
}

/* The delegates' CNI_ARGS, built as Multus builds them; the others do
 * not get the runtime's IP= and MAC= (plexus' own rule). */
static int delegate_args(struct request *req)
{
	char *others = attach_args_others(req->env->args_raw);

	if (!others)
		return -ENOMEM;
	req->args_default = cni_args_for_delegate(req->env, req->env->args_raw);
	req->args_others = cni_args_for_delegate(req->env, others);
	free(others);
	return req->args_default && req->args_others ? 0 : -ENOMEM;
}

/* logFile and/or stderr (logToStderr, default true), rotated by
 * logOptions; an unknown logLevel is a warning, as in Multus. */
static void log_open(const struct plexus_conf *c)
{
	struct cni_log_opts o = {
		.path = c->log_file,
		.to_stderr = c->log_to_stderr,
		.level = c->log_level,
		.tag = "plexus",
		.rot = {
			.max_bytes = (long long)c->log_options.max_size_mb
				     << 20,
			.max_age_days = c->log_options.max_age_days,
			.max_backups = c->log_options.max_backups,
			.compress = c->log_options.compress,
		},
	};

	if (cni_log_open_opts(&o) < 0)
		cni_log(CNI_LOG_ERROR, "logFile \"%s\": cannot open: %s",
			c->log_file, strerror(errno));
	if (c->log_level_unknown)
		cni_log(CNI_LOG_ERROR,
			"logLevel: \"%s\" is not one of debug, verbose, "
			"error, panic; using error",
			c->log_level_unknown);
}

static int setup(struct request *req, json_object *doc, struct cni_err *err)
{
	const struct plexus_conf *c;
	int r = plexus_conf_parse(doc, &req->conf, err);
	json_object *v;

	if (r == 0 && json_object_object_get_ex(doc, "ipamNodeConfig", &v))
		r = ipam_node_export(v, "ipamNodeConfig", err);
	if (r < 0)
		return r;
	c = req->conf;
	log_open(c);
	/* binDir (default /opt/cni/bin) first, then CNI_PATH, as Multus */
	if (asprintf(&req->path, "%s%s%s", c->bin_dir,
		     req->env->path && *req->env->path ? ":" : "",
		     req->env->path ? req->env->path : "") < 0)
		return -ENOMEM;
	if (delegate_args(req) < 0)
		return -ENOMEM;
	if (req->env->container_id && req->env->ifname) {
		req->cache_path = plexus_cache_path(
			c->cache_dir, req->env->container_id, req->env->ifname);
		if (!req->cache_path)
			return -ENOMEM;
	}
	return 0;
}

/* plexus runs delegates, never plexus: a plexus whose caller is plexus
 * (a NAD of "type": "plexus", or plexus as some plugin's IPAM) refuses
 * before it reads anything of its config (binDir, logFile, cniDir, ...).
 * The mark is in the environment, which a NAD cannot set. */
static int refuse_nested(const struct cni_env *env, struct cni_err *err)
{
	/* DEL and GC of a nested plexus: it never added anything, so there
	 * is nothing to delete, and the rollback of the refused ADD goes on */
	if (getenv(PLEXUS_NESTED_ENV) &&
	    (env->cmd == CNI_CMD_DEL || env->cmd == CNI_CMD_GC))
		return 1;
	if (getenv(PLEXUS_NESTED_ENV))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"plexus called by plexus (%s is set): plexus "
				"is never a delegate or an IPAM plugin of a "
				"network it attaches; refused",
				PLEXUS_NESTED_ENV);
	return setenv(PLEXUS_NESTED_ENV, "1", 1) < 0 ? -errno : 0;
}

/* With plexusdSocket, ADD, DEL and CHECK report to plexusd afterwards
 * (pdreport.h: never delaying or failing the verb). */
static void report_start(struct request *req)
{
	enum cni_cmd cmd = req->env->cmd;

	if (req->conf->plexusd_socket &&
	    (cmd == CNI_CMD_ADD || cmd == CNI_CMD_DEL || cmd == CNI_CMD_CHECK))
		req->report = pdreport_new();
}

static void report_send(const struct request *req, int r,
			const struct cni_err *err, double t0)
{
	if (!req->report)
		return;
	pdreport_send(req->report, req->conf->plexusd_socket, req->env->cmd,
		      r < 0 ? (err && err->code ? err->code : 999) : 0,
		      cni_now_msf() - t0, pdclient_fallbacks(req->src));
}

/* One verb on the skeleton: the request, then its command. */
static int plexus_run(void *ctx, struct cni_skel_call *call,
		      json_object **ret_out, struct cni_err *err)
{
	struct request *req = ctx;
	double t0 = cni_now_msf();
	int r;

	req->env = &call->env;
	r = refuse_nested(req->env, err);
	if (r != 0)
		return r < 0 ? r : 0;
	r = setup(req, call->conf, err);
	if (r == 0)
		report_start(req);
	if (r == 0)
		r = dispatch(req, ret_out, err);
	if (r < 0 && req->conf && req->conf->multus_error_codes && err &&
	    err->code && err->code != CNI_ERR_INTERNAL) {
		/* errorCodes "multus": every failure is 999, as Multus
		 * answers; plexus' own code stays in details */
		cni_err_add_details(err, "plexus code %d", err->code);
		err->code = CNI_ERR_INTERNAL;
	}
	report_send(req, r, err, t0);
	return r;
}

/* A failed call, logged once before the skeleton prints it. */
static void plexus_failed(void *ctx, const struct cni_skel_call *call,
			  const struct cni_err *err)
{
	(void)ctx;
	cni_log(CNI_LOG_ERROR, "%s %s: %s", cni_cmd_str(call->env.cmd),
		call->env.container_id ? call->env.container_id : "-",
		err->msg);
}

int main(void)
{
	struct request req = { 0 };
	const struct cni_skel skel = {
		.run = plexus_run,
		.failed = plexus_failed,
		.ctx = &req,
		.json_flags = JSON_C_TO_STRING_PRETTY |
			      JSON_C_TO_STRING_NOSLASHESCAPE,
	};
	int rc;

	signal(SIGPIPE, SIG_IGN);
	/* only plexus sets it, on the DEL that undoes a conflict (attach.c) */
	unsetenv(IPAM_CONFLICT_ENV);
	rc = cni_skel_main(&skel, environ);
	request_clear(&req);
	cni_log_close();
	return rc;
}
