// SPDX-License-Identifier: Apache-2.0
/* plexus: the meta CNI plugin. Reads the request, plans the pod's
 * attachments, runs the delegates, prints one merged result. */
#include <errno.h>
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
#include "cni_env.h"
#include "cni_error.h"
#include "cni_exec.h"
#include "cni_fs.h"
#include "cni_json.h"
#include "cni_log.h"
#include "cni_result.h"
#include "gc.h"
#include "inproc.h"
#include "ipam_node.h"
#include "netstatus.h"
#include "plan.h"
#include "plexus_conf.h"
#include "podroute.h"

extern char **environ;

/* Set in the environment of everything plexus runs (PLEXUS_* variables
 * pass to delegates and their IPAM plugins). */
#define PLEXUS_NESTED_ENV "PLEXUS_CALLER"

struct request {
	struct cni_env env;
	struct plexus_conf *conf;
	char *path;
	char *cache_path;
	char *args_others;
	char *lock_path;
	int lock_fd;
};

static void request_clear(struct request *req)
{
	cni_env_free(&req->env);
	plexus_conf_free(req->conf);
	free(req->path);
	free(req->cache_path);
	free(req->args_others);
	free(req->lock_path);
	if (req->lock_fd > 0)
		close(req->lock_fd);
}

static struct attach_ctx ctx_for(const struct request *req)
{
	return (struct attach_ctx){
		.env = &req->env,
		.exec = req->conf->in_process ? &inproc_exec
					      : &cni_exec_default,
		.path = req->path,
		.netns = req->env.netns,
		.cache_path = req->cache_path,
		.cache_dir = req->conf->cache_dir,
		.args_others = req->args_others,
		.timeout_ms = req->conf->delegate_timeout_ms,
		.lock_fd = req->lock_fd > 0 ? req->lock_fd : -1,
	};
}

static int check_unique_ifnames(const struct plexus_plan *plan,
				struct cni_err *err)
{
	for (size_t i = 0; i < plan->n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(plan->att[i].ifname, plan->att[j].ifname) ==
			    0)
				return cni_errf(err, CNI_ERR_INVALID_CONFIG,
						"networks \"%s\" and \"%s\" "
						"both use interface \"%s\"",
						plan->att[j].network,
						plan->att[i].network,
						plan->att[i].ifname);
	return 0;
}

/* readinessindicatorfile: wait (bounded) for the default network. */
static int wait_ready(const struct plexus_conf *conf, struct cni_err *err)
{
	int waited_ms = 0;

	if (!conf->readiness_file)
		return 0;
	while (access(conf->readiness_file, F_OK) < 0) {
		if (waited_ms >= conf->delegate_timeout_ms)
			return cni_errf(err, CNI_ERR_TRY_AGAIN,
					"readinessindicatorfile: \"%s\" does "
					"not exist: the default network is "
					"not ready",
					conf->readiness_file);
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
		waited_ms += 100;
	}
	return 0;
}

static int print_result(const struct plexus_record *rec, enum cni_ver v,
			struct cni_err *err)
{
	struct cni_result *merged;
	json_object *out;
	int r = attach_merge(rec, &merged, err);

	if (r < 0)
		return r;
	out = cni_result_to_json(merged, v);
	printf("%s\n", json_object_to_json_string_ext(
			       out, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(out);
	cni_result_free(merged);
	return 0;
}

/* network-status on the pod: a failed write is logged, the ADD stands. */
static void publish_status(const struct plexus_conf *conf,
			   const struct plexus_record *rec)
{
	struct cni_err serr = { 0 };

	if (!conf->kubeconfig && !conf->manifests_dir)
		return;
	if (netstatus_publish(conf, rec->plan, rec->results, &serr) < 0)
		cni_log(CNI_LOG_ERROR, "network-status not written: %s",
			serr.msg);
}

/* network-status back to the empty list at DEL, only when the pod's
 * netns is still there (a force-deleted pod has neither), as Multus did.
 * A pod already gone is fine; any other failure is logged: DEL stands. */
static void clear_status(const struct request *req,
			 const struct plexus_record *rec)
{
	const struct plexus_conf *conf = req->conf;
	struct cni_err serr = { 0 };
	int r;

	if (!conf->kubeconfig || (conf->manifests_dir && *conf->manifests_dir))
		return;
	if (!req->env.netns || !*req->env.netns ||
	    access(req->env.netns, F_OK) < 0) {
		cni_log(CNI_LOG_VERBOSE, "DEL: netns gone, network-status of "
					 "the pod left as it is");
		return;
	}
	r = netstatus_clear(conf, rec->plan, &serr);
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
	struct plexus_plan *plan;
	int r = plexus_plan_build(req->conf, &req->env, &plan, err);

	if (r < 0)
		return r;
	*ret = plexus_record_new(plan);
	if (!*ret) {
		plexus_plan_free(plan);
		return -ENOMEM;
	}
	return 0;
}

/* default-route after everything is attached; on failure the whole pod
 * is deleted again, as for a failed delegate. */
static int apply_default_route(const struct attach_ctx *ctx,
			       struct request *req, struct plexus_record *rec,
			       struct cni_err *err)
{
	struct cni_err e = { 0 };
	int r = podroute_apply(rec, req->env.netns, err);

	if (r == 0)
		return 0;
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
			req->env.container_id, req->env.ifname);
}

static int cmd_add(struct request *req, struct cni_err *err)
{
	struct attach_ctx ctx = ctx_for(req);
	struct plexus_record *rec;
	int r;

	if (access(req->env.netns, F_OK) < 0)
		return cni_errf(err, CNI_ERR_INVALID_ENV,
				"CNI_NETNS: \"%s\": %s", req->env.netns,
				strerror(errno));
	r = refuse_attached(req, err);
	if (r == 0)
		r = wait_ready(req->conf, err);
	if (r == 0)
		r = planned_record(req, &rec, err);
	if (r < 0)
		return r;
	r = check_unique_ifnames(rec->plan, err);
	if (r == 0)
		r = attach_add(&ctx, rec, err);
	if (r == 0)
		r = apply_default_route(&ctx, req, rec, err);
	if (r == 0 && req->conf->in_process)
		inproc_pod_tag(rec, req->env.netns);
	if (r == 0)
		publish_status(req->conf, rec);
	if (r == 0)
		r = print_result(rec, req->conf->ver, err);
	plexus_record_free(rec);
	return r;
}

/* The record of an earlier ADD; without a usable one, the plan from the
 * current config. -ENOENT when neither is there. */
static int load_record(struct request *req, struct plexus_record **ret,
		       struct cni_err *err)
{
	struct cni_err e = { 0 };
	int r = plexus_cache_read(req->cache_path, ret, &e);

	if (r == 0)
		return 0;
	if (r != -ENOENT)
		cni_log(CNI_LOG_ERROR, "%s; using the config instead", e.msg);
	return planned_record(req, ret, err);
}

static int cmd_del(struct request *req, struct cni_err *err)
{
	struct plexus_record *rec;
	struct cni_err e = { 0 };
	struct attach_ctx ctx = ctx_for(req);
	int r = load_record(req, &rec, &e);

	if (r < 0) {
		/* nothing recorded and no usable config: nothing to undo */
		cni_log(CNI_LOG_ERROR, "DEL: %s; nothing to delete", e.msg);
		unlink(req->lock_path);
		return 0;
	}
	if (req->conf->in_process)
		inproc_pod_teardown(rec, req->env.netns);
	r = attach_del(&ctx, rec, err);
	clear_status(req, rec);
	if (r == 0) {
		plexus_cache_remove(req->cache_path);
		unlink(req->lock_path); /* still held: nobody waits for it */
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
				req->conf->cni_version);
	r = plexus_cache_read(req->cache_path, &rec, err);
	if (r == -ENOENT)
		return cni_errf(err, CNI_ERR_UNKNOWN_CONTAINER,
				"container \"%s\" interface \"%s\": no record "
				"of an ADD",
				req->env.container_id, req->env.ifname);
	if (r < 0)
		return r;
	r = attach_check(&ctx, rec, err);
	plexus_record_free(rec);
	return r;
}

static int cmd_status(struct request *req, struct cni_err *err)
{
	struct attach_ctx ctx = ctx_for(req);
	struct plexus_record *rec;
	int r;

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

	if (req->conf->ver < CNI_V110)
		return cni_errf(err, CNI_ERR_INCOMPATIBLE_VERSION,
				"cniVersion: GC needs 1.1.0, the config has "
				"%s",
				req->conf->cni_version);
	return plexus_gc(&ctx, req->conf, err);
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
					req->env.container_id);
		}
		close(fd); /* busy, or an unlinked file: open the path again */
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
		waited += 10;
	}
	req->lock_fd = fd;
	return 0;
}

static int dispatch(struct request *req, struct cni_err *err)
{
	int r = 0;

	if (req->env.cmd == CNI_CMD_ADD || req->env.cmd == CNI_CMD_DEL ||
	    req->env.cmd == CNI_CMD_CHECK)
		r = lock_container(req, err);
	if (r < 0)
		return r;
	switch (req->env.cmd) {
	case CNI_CMD_ADD:
		return cmd_add(req, err);
	case CNI_CMD_DEL:
		return cmd_del(req, err);
	case CNI_CMD_CHECK:
		return cmd_check(req, err);
	case CNI_CMD_STATUS:
		if (req->conf->ver < CNI_V110)
			return cni_errf(err, CNI_ERR_INCOMPATIBLE_VERSION,
					"cniVersion: STATUS needs 1.1.0, the "
					"config has %s",
					req->conf->cni_version);
		return cmd_status(req, err);
	case CNI_CMD_GC:
		return cmd_gc(req, err);
	default:
		return cni_errf(err, CNI_ERR_INVALID_ENV,
				"CNI_COMMAND: unsupported");
	}
}

/* The cniVersion the caller asked for, for VERSION and error replies. */
static const char *doc_version(json_object *doc)
{
	json_object *v;

	if (doc && json_object_object_get_ex(doc, "cniVersion", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    cni_version_parse(json_object_get_string(v), "",
			      &(enum cni_ver){ 0 }, NULL) == 0)
		return json_object_get_string(v);
	return NULL;
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
	if (cni_log_open(c->log_to_stderr ? NULL : c->log_file, c->log_level,
			 "plexus") < 0)
		cni_log(CNI_LOG_ERROR, "logFile \"%s\": cannot open",
			c->log_file);
	if (c->bin_dir && asprintf(&req->path, "%s:%s", c->bin_dir,
				   req->env.path ? req->env.path : "") < 0)
		return -ENOMEM;
	if (!c->bin_dir &&
	    !(req->path = strdup(req->env.path ? req->env.path : "")))
		return -ENOMEM;
	req->args_others = attach_args_others(req->env.args_raw);
	if (!req->args_others)
		return -ENOMEM;
	if (req->env.container_id && req->env.ifname) {
		req->cache_path = plexus_cache_path(
			c->cache_dir, req->env.container_id, req->env.ifname);
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
	if (env->cmd == CNI_CMD_VERSION)
		return 0;
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

static int run(struct request *req, json_object **doc, struct cni_err *err)
{
	size_t len;
	char *buf;
	int r = cni_env_load(&req->env, environ, err);

	if (r == 0)
		r = refuse_nested(&req->env, err);
	if (r != 0)
		return r < 0 ? r : 0;
	r = cni_read_fd(0, "stdin", &buf, &len, err);
	if (r == 0) {
		r = cni_json_parse(buf, len, "config (stdin)", doc, err);
		free(buf);
	}
	if (req->env.cmd == CNI_CMD_VERSION) {
		cni_version_print(doc_version(*doc), stdout);
		return 0;
	}
	if (r == 0)
		r = setup(req, *doc, err);
	if (r == 0)
		r = dispatch(req, err);
	return r;
}

int main(void)
{
	struct request req = { 0 };
	struct cni_err err = { 0 };
	json_object *doc = NULL;
	int r;

	signal(SIGPIPE, SIG_IGN);
	r = run(&req, &doc, &err);
	if (r < 0) {
		if (!err.code)
			cni_errf(&err, r == -ENOMEM ? CNI_ERR_IO : CNI_ERR_IO,
				 "%s", strerror(-r));
		cni_log(CNI_LOG_ERROR, "%s %s: %s", cni_cmd_str(req.env.cmd),
			req.env.container_id ? req.env.container_id : "-",
			err.msg);
		cni_err_print(&err, doc_version(doc), stdout);
	}
	request_clear(&req);
	json_object_put(doc);
	cni_log_close();
	return r < 0 ? 1 : 0;
}
