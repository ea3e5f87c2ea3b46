// SPDX-License-Identifier: Apache-2.0
/* Running plexus' own plugins without fork/exec. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cni_env.h"
#include "cni_error.h"
#include "cni_json.h"
#include "delegate.h"
#include "inproc.h"
#include "ipam_plugin.h"

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

static int run_ipam(const struct cni_exec_req *req, json_object **ret_out,
		    struct cni_err *err)
{
	const char *conf = cni_json_str(req->conf);
	json_object *out = NULL;
	struct cni_env env;
	int r = env_of(req, &env, err);

	if (r == 0)
		r = ipam_plugin_run(&env, conf, strlen(conf), &out, err);
	cni_kv_free(env.args, env.n_args);
	if (r < 0) {
		/* as the exec path reports a plugin's own error */
		cni_err_prefix(err, "%s", req->type);
		return r;
	}
	*ret_out = out;
	return 0;
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* A native delegate through its ops table; its own IPAM call comes back
 * through inproc_exec, so plexus-ipam under it runs in-process too. */
static int run_native(const struct delegate_ops *ops,
		      const struct cni_exec_req *req, json_object **ret_out,
		      struct cni_err *err)
{
	struct cni_env env;
	struct delegate_req dreq = {
		.env = &env,
		.conf = req->conf,
		.exec = &inproc_exec,
		.sysfs_root = env_nonempty("PLEXUS_SYSFS_ROOT"),
		.state_dir = env_nonempty("PLEXUS_STATE_DIR"),
	};
	json_object *out = NULL;
	const char *version;
	int r = env_of(req, &env, err);

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

static int inproc_run(void *ctx, const struct cni_exec_req *req,
		      json_object **ret_out, struct cni_err *err)
{
	const struct delegate_ops *ops;

	(void)ctx;
	if (forced_exec() || !verb_in_process(req->cmd))
		return cni_exec_run(req, ret_out, err);
	if (strcmp(req->type, "plexus-ipam") == 0)
		return run_ipam(req, ret_out, err);
	ops = delegate_find(req->type);
	if (ops)
		return run_native(ops, req, ret_out, err);
	return cni_exec_run(req, ret_out, err);
}

const struct cni_exec_ops inproc_exec = { inproc_run, NULL };
