/* SPDX-License-Identifier: Apache-2.0 */
/* The thin main of every plexus-<kind> binary: built once per kind with
 * -DDELEGATE_OPS=<kind>_delegate. Reads env and stdin, runs one verb of
 * the ops table, prints the result or the error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni_error.h"
#include "cni_json.h"
#include "delegate.h"
#include "dl.h"

extern char **environ;

#ifndef DELEGATE_OPS
#error "build with -DDELEGATE_OPS=<kind>_delegate"
#endif

/* cniVersion of the request; VERSION tolerates a missing one. */
static int conf_version(json_object *conf, enum cni_ver *ret,
			const char **ret_str, struct cni_err *err)
{
	const char *s;
	int r = cni_json_get_string(conf, "cniVersion", "cniVersion", &s, err);

	if (r == -ENOENT)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"\"cniVersion\" missing");
	if (r == 0)
		r = cni_version_parse(s, "cniVersion", ret, err);
	if (r == 0)
		*ret_str = s;
	return r;
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int run_verb(const struct delegate_ops *ops, struct delegate_req *req,
		    struct cni_err *err)
{
	struct cni_result *res = NULL;
	json_object *out;
	struct dl_common c;
	int r;

	switch (req->env->cmd) {
	case CNI_CMD_ADD:
		r = ops->add(req, &res, err);
		if (r < 0)
			return r;
		out = cni_result_to_json(res, req->ver);
		printf("%s\n",
		       json_object_to_json_string_ext(
			       out, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(out);
		cni_result_free(res);
		return 0;
	case CNI_CMD_CHECK:
		if (!cni_version_supports_check(req->ver))
			return cni_errf(err, CNI_ERR_INCOMPATIBLE_VERSION,
					"CHECK needs cniVersion 0.4.0 or "
					"newer, "
					"the config says %s",
					cni_version_str(req->ver));
		return ops->check(req, err);
	case CNI_CMD_DEL:
		return ops->del(req, err);
	case CNI_CMD_STATUS:
	case CNI_CMD_GC:
		/* Nothing of ours to report or collect: ask the IPAM. */
		r = dl_conf_common(req->conf, ops->name, true, &c, err);
		if (r == 0 && c.ipam_type)
			r = dl_ipam_exec(req, c.ipam_type, req->env->cmd, NULL,
					 err);
		return r;
	default:
		return cni_errf(err, CNI_ERR_INVALID_ENV,
				"CNI_COMMAND: not supported");
	}
}

/* The request's cniVersion, for an error found before the config is
 * checked (an env error): the newest when there is none to read. */
static const char *version_hint(json_object *conf)
{
	const char *v = NULL;
	enum cni_ver ver;

	if (conf &&
	    cni_json_get_string(conf, "cniVersion", "cniVersion", &v, NULL) ==
		    0 &&
	    cni_version_parse(v, "cniVersion", &ver, NULL) == 0)
		return v;
	return NULL;
}

static int delegate_main(const struct delegate_ops *ops, struct cni_err *err)
{
	const char *version = NULL;
	struct cni_env env = { 0 };
	/* Test knobs (a stand-in sysfs tree, a private state folder). */
	struct delegate_req req = {
		.env = &env,
		.sysfs_root = env_nonempty("PLEXUS_SYSFS_ROOT"),
		.state_dir = env_nonempty("PLEXUS_STATE_DIR"),
	};
	json_object *conf = NULL;
	char *buf = NULL;
	size_t len = 0;
	int r = cni_read_fd(0, "stdin", &buf, &len, err), rp = -1;

	if (r == 0)
		rp = cni_json_parse(buf, len, "stdin", &conf, err);
	if (r == 0)
		r = cni_env_load(&env, environ, err);
	if (r == 0 && env.cmd == CNI_CMD_VERSION) {
		cni_version_print(version_hint(conf), stdout);
	} else if (r == 0) {
		r = rp;
		if (r == 0)
			r = conf_version(conf, &req.ver, &version, err);
		req.conf = conf;
		if (r == 0)
			r = run_verb(ops, &req, err);
	}
	if (r < 0) { /* the version string lives in conf: print now */
		if (!err->code)
			cni_errf(err, CNI_ERR_IO, "%s", strerror(-r));
		cni_err_print(err, version ? version : version_hint(conf),
			      stdout);
	}
	json_object_put(conf);
	free(buf);
	cni_env_free(&env);
	return r;
}

int main(void)
{
	struct cni_err err = { 0 };

	return delegate_main(&DELEGATE_OPS, &err) < 0 ? 1 : 0;
}
