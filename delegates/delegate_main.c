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
	struct delegate_req req = { .env = &env };
	json_object *conf = NULL, *out = NULL;
	char *buf = NULL;
	size_t len = 0;
	int r = cni_read_fd(0, "stdin", &buf, &len, err), rp = -1;

	delegate_req_env_paths(&req);
	if (r == 0)
		rp = cni_json_parse(buf, len, "stdin", &conf, err);
	if (r == 0)
		r = cni_env_load(&env, environ, err);
	if (r == 0 && env.cmd == CNI_CMD_VERSION) {
		cni_version_print(version_hint(conf), stdout);
	} else if (r == 0) {
		r = rp;
		if (r == 0)
			r = delegate_conf_version(conf, &req.ver, &version,
						  err);
		req.conf = conf;
		if (r == 0)
			r = delegate_run(ops, &req, &out, err);
		if (r == 0 && out)
			printf("%s\n",
			       json_object_to_json_string_ext(
				       out,
				       JSON_C_TO_STRING_PRETTY |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(out);
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
