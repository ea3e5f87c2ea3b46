// SPDX-License-Identifier: Apache-2.0
/* plexus-ipam: the cluster-wide IPAM plugin (ADD, DEL, CHECK, GC, STATUS,
 * VERSION) on the shared plugin skeleton. stdout carries only the CNI
 * result or error. */
#include <json-c/json.h>

#include "cni_skel.h"
#include "ipam_plugin.h"

extern char **environ;

static int ipam_main_run(void *ctx, struct cni_skel_call *call,
			 json_object **ret_out, struct cni_err *err)
{
	(void)ctx;
	return ipam_plugin_run(&call->env, call->buf, call->len, 0, ret_out,
			       err);
}

int main(void)
{
	static const struct cni_skel skel = {
		.run = ipam_main_run,
		.json_flags =
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	};

	return cni_skel_main(&skel, environ);
}
