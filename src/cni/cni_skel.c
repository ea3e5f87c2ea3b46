// SPDX-License-Identifier: Apache-2.0
/* The plugin skeleton: version negotiation, verb dispatch and the one
 * place that prints a result or an error, for every plexus main. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni_error.h"
#include "cni_json.h"
#include "cni_skel.h"
#include "cni_version.h"

/* The config's cniVersion when it is one we know, else NULL. */
static const char *conf_version(json_object *conf)
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

static int call_load(struct cni_skel_call *call, char **envp,
		     struct cni_err *err)
{
	struct cni_err perr = { 0 };
	char *buf = NULL;
	int r = cni_read_fd(STDIN_FILENO, "stdin", &buf, &call->len, err), rp;

	call->buf = buf;
	if (r < 0)
		return r;
	rp = cni_json_parse(buf, call->len, "stdin", &call->conf, &perr);
	call->reply_version = conf_version(call->conf);
	r = cni_env_load(&call->env, envp, err);
	if (r < 0 || call->env.cmd == CNI_CMD_VERSION)
		return r;
	if (rp < 0 && err)
		*err = perr;
	return rp;
}

static void result_print(const struct cni_skel *skel, json_object *out)
{
	printf("%s\n", json_object_to_json_string_ext(out, skel->json_flags));
	fflush(stdout);
}

int cni_skel_main(const struct cni_skel *skel, char **envp)
{
	struct cni_skel_call call = { 0 };
	struct cni_err err = { 0 };
	json_object *out = NULL;
	int r = call_load(&call, envp, &err);

	if (r == 0 && call.env.cmd == CNI_CMD_VERSION)
		cni_version_print(call.reply_version, stdout);
	else if (r == 0)
		r = skel->run(skel->ctx, &call, &out, &err);
	if (r == 0 && out)
		result_print(skel, out);
	if (r < 0) {
		if (!err.code)
			cni_errf(&err, CNI_ERR_IO, "%s", strerror(-r));
		if (skel->failed)
			skel->failed(skel->ctx, &call, &err);
		cni_err_print(&err, call.reply_version, stdout);
	}
	json_object_put(out);
	json_object_put(call.conf);
	free((char *)call.buf);
	cni_env_free(&call.env);
	return r < 0 ? 1 : 0;
}
