/* SPDX-License-Identifier: Apache-2.0 */
/* The thin main of every plexus-<kind> binary: built once per kind with
 * -DDELEGATE_OPS=<kind>_delegate. One verb of the ops table on the shared
 * plugin skeleton (env, stdin, VERSION, result or error). */
#include <json-c/json.h>

#include "cni_skel.h"
#include "delegate.h"
#include "dl.h"

extern char **environ;

#ifndef DELEGATE_OPS
#error "build with -DDELEGATE_OPS=<kind>_delegate"
#endif

static int delegate_main_run(void *ctx, struct cni_skel_call *call,
			     json_object **ret_out, struct cni_err *err)
{
	struct delegate_req req = { .env = &call->env, .conf = call->conf };
	const char *version = NULL;
	int r = delegate_conf_version(call->conf, &req.ver, &version, err);

	delegate_req_env_paths(&req);
	if (version)
		call->reply_version = version;
	return r < 0 ? r : delegate_run(ctx, &req, ret_out, err);
}

int main(void)
{
	static const struct cni_skel skel = {
		.run = delegate_main_run,
		.ctx = (void *)&DELEGATE_OPS,
		.json_flags = JSON_C_TO_STRING_PRETTY |
			      JSON_C_TO_STRING_NOSLASHESCAPE,
	};

	return cni_skel_main(&skel, environ);
}
