// SPDX-License-Identifier: Apache-2.0
/* plexus-ipam: the cluster-wide IPAM plugin (ADD, DEL, CHECK, GC, STATUS,
 * VERSION). stdout carries only the CNI result or error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni_env.h"
#include "cni_error.h"
#include "cni_json.h"
#include "cni_version.h"
#include "ipam_plugin.h"

extern char **environ;

static void print_version(const char *buf, size_t len)
{
	const char *v = NULL;
	json_object *o = NULL;

	if (cni_json_parse(buf, len, "stdin", &o, NULL) == 0)
		cni_json_get_string(o, "cniVersion", "cniVersion", &v, NULL);
	cni_version_print(v, stdout);
	json_object_put(o);
}

/* The config's cniVersion when it has a usable one, for the error reply. */
static const char *reply_version(const char *buf, size_t len, char *out,
				 size_t size)
{
	json_object *o = NULL;
	const char *v = NULL;

	if (buf && cni_json_parse(buf, len, "stdin", &o, NULL) == 0)
		cni_json_get_string(o, "cniVersion", "cniVersion", &v, NULL);
	enum cni_ver parsed;

	if (v && cni_version_parse(v, "cniVersion", &parsed, NULL) < 0)
		v = NULL;
	snprintf(out, size, "%s", v ? v : "");
	json_object_put(o);
	return *out ? out : NULL;
}

int main(void)
{
	struct cni_err err = { 0 };
	struct cni_env env = { 0 };
	json_object *out = NULL;
	char *buf = NULL, ver[16];
	size_t len = 0;
	int rc;

	rc = cni_env_load(&env, environ, &err);
	if (rc == 0)
		rc = cni_read_fd(STDIN_FILENO, "stdin", &buf, &len, &err);
	if (rc == 0 && env.cmd == CNI_CMD_VERSION) {
		print_version(buf, len);
		free(buf);
		cni_env_free(&env);
		return 0;
	}
	if (rc == 0)
		rc = ipam_plugin_run(&env, buf, len, &out, &err);
	if (rc == 0 && out)
		printf("%s\n",
		       json_object_to_json_string_ext(
			       out, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	if (rc < 0) {
		if (!err.code)
			cni_errf(&err, CNI_ERR_IO, "%s", strerror(-rc));
		cni_err_print(&err, reply_version(buf, len, ver, sizeof(ver)),
			      stdout);
	}
	json_object_put(out);
	cni_env_free(&env);
	free(buf);
	return rc < 0 ? 1 : 0;
}
