// SPDX-License-Identifier: Apache-2.0
/* Running plexus' own plugins without fork/exec. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "cni_conf.h"
#include "cni_deadline.h"
#include "cni_env.h"
#include "cni_error.h"
#include "cni_json.h"
#include "delegate.h"
#include "inproc.h"
#include "ipam_plugin.h"
#include "cni_log.h"
#include "plan.h"
#include "podlinks.h"

/* The env a plugin binary would have read from the exec request. */
static int env_of(const struct cni_exec_req *req, struct cni_env *env,
		  struct cni_err *err)
{
	*env = (struct cni_env){
		.cmd = req->cmd,
		.container_id = (char *)req->container_id,
		.netns = (char *)req->netns,
		.ifname = (char *)req->ifname,
		.path = (char *)req->path,
		.args_raw = (char *)req->args,
	};
	return cni_args_parse(req->args, &env->args, &env->n_args, err);
}

static int run_ipam(const struct cni_exec_req *req, int64_t deadline,
		    json_object **ret_out, struct cni_err *err)
{
	const char *conf = cni_json_str(req->conf);
	json_object *out = NULL;
	struct cni_env env;
	int r = env_of(req, &env, err);

	if (r == 0)
		r = ipam_plugin_run(&env, conf, strlen(conf), deadline, &out,
				    err);
	cni_kv_free(env.args, env.n_args);
	if (r < 0) {
		/* as the exec path reports a plugin's own error */
		cni_err_prefix(err, "%s", req->type);
		return r;
	}
	*ret_out = out;
	return 0;
}

/* A native delegate through its ops table; its own IPAM call comes back
 * through inproc_exec, so plexus-ipam under it runs in-process too. */
static int run_native(const struct delegate_ops *ops,
		      const struct cni_exec_req *req, int64_t deadline,
		      json_object **ret_out, struct cni_err *err)
{
	struct cni_env env;
	struct delegate_req dreq = {
		.env = &env,
		.conf = req->conf,
		.exec = &inproc_exec,
		.deadline = deadline,
	};
	json_object *out = NULL;
	const char *version;
	int r = env_of(req, &env, err);

	delegate_req_env_paths(&dreq);
	if (r == 0)
		r = delegate_conf_version(req->conf, &dreq.ver, &version, err);
	if (r == 0)
		r = delegate_run(ops, &dreq, &out, err);
	cni_kv_free(env.args, env.n_args);
	if (r < 0) {
		cni_err_prefix(err, "%s", req->type);
		return r;
	}
	*ret_out = out;
	return 0;
}

static bool verb_in_process(enum cni_cmd cmd)
{
	return cmd == CNI_CMD_ADD || cmd == CNI_CMD_DEL ||
	       cmd == CNI_CMD_CHECK || cmd == CNI_CMD_GC ||
	       cmd == CNI_CMD_STATUS;
}

static bool forced_exec(void)
{
	const char *v = getenv("PLEXUS_EXEC_ALWAYS");

	return v && *v && strcmp(v, "0") != 0;
}

/* An in-process call ends when an exec'ed one would be killed: its
 * timeout (delegateTimeout) from now, or its caller's deadline when that
 * comes first (a native delegate's IPAM call keeps the delegate's). */
static int64_t call_deadline(const struct cni_exec_req *req)
{
	int t = req->timeout_ms > 0 ? req->timeout_ms
				    : CNI_EXEC_TIMEOUT_MS_DEFAULT;

	return cni_deadline_min(req->deadline, cni_deadline_after(t));
}

static int inproc_run(void *ctx, const struct cni_exec_req *req,
		      json_object **ret_out, struct cni_err *err)
{
	const struct delegate_ops *ops;
	int64_t d;

	(void)ctx;
	if (forced_exec() || !verb_in_process(req->cmd))
		return cni_exec_run(req, ret_out, err);
	d = call_deadline(req);
	if (strcmp(req->type, "plexus-ipam") == 0)
		return run_ipam(req, d, ret_out, err);
	ops = delegate_find(req->type);
	if (ops)
		return run_native(ops, req, d, ret_out, err);
	return cni_exec_run(req, ret_out, err);
}

const struct cni_exec_ops inproc_exec = { inproc_run, NULL };

/* One of plexus' own delegate kinds (delegates/delegate.c's table);
 * podlinks_tag keeps only the links a DEL deletes anyway. */
static bool native_link_kind(const struct plexus_attachment *a)
{
	const char *type = cni_conflist_type(a->conf, 0);

	return type && delegate_find(type);
}

/* The interface names of rec's native attachments; NULL when none. */
static const char **native_ifnames(const struct plexus_record *rec,
				   size_t *ret_n)
{
	const struct plexus_plan *p = rec->plan;
	const char **names = calloc(p->n ? p->n : 1, sizeof(char *));
	size_t n = 0;

	for (size_t i = 0; names && i < p->n; i++)
		if (native_link_kind(&p->att[i]))
			names[n++] = p->att[i].ifname;
	if (n == 0) {
		free(names);
		return NULL;
	}
	*ret_n = n;
	return names;
}

void inproc_pod_tag(const struct plexus_record *rec, const char *netns)
{
	struct cni_err e = { 0 };
	const char **names;
	size_t n = 0;

	if (forced_exec() || !netns || !*netns ||
	    !(names = native_ifnames(rec, &n)))
		return;
	if (podlinks_tag(netns, names, n, &e) < 0)
		cni_log(CNI_LOG_ERROR, "link group for batched DEL: %s", e.msg);
	free(names);
}

void inproc_pod_teardown(const struct plexus_record *rec, const char *netns)
{
	struct cni_err e = { 0 };
	const char **names;
	size_t n = 0;

	if (forced_exec() || !netns || !*netns || access(netns, F_OK) < 0 ||
	    !(names = native_ifnames(rec, &n)))
		return;
	free(names);
	if (podlinks_teardown(netns, &e) < 0)
		cni_log(CNI_LOG_ERROR, "batched DEL: %s; deleting link by link",
			e.msg);
}
