/* SPDX-License-Identifier: Apache-2.0 */
/* The table of native delegates, found by plugin name. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"

#include "delegate.h"
#include "dl.h"

static const struct delegate_ops *const delegates[] = {
	&bridge_delegate,
	&macvlan_delegate,
	&ipvlan_delegate,
	&sriov_delegate,
};

const struct delegate_ops *delegate_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(delegates) / sizeof(delegates[0]);
	     i++)
		if (!strcmp(delegates[i]->name, name))
			return delegates[i];
	return NULL;
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

void delegate_req_env_paths(struct delegate_req *req)
{
	req->sysfs_root = env_nonempty("PLEXUS_SYSFS_ROOT");
	req->state_dir = env_nonempty("PLEXUS_STATE_DIR");
}

/* cniVersion of the request; VERSION tolerates a missing one. */
int delegate_conf_version(json_object *conf, enum cni_ver *ret,
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

int delegate_run(const struct delegate_ops *ops, struct delegate_req *req,
		 json_object **ret_out, struct cni_err *err)
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
		cni_result_free(res);
		if (!out)
			return -ENOMEM;
		*ret_out = out;
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
