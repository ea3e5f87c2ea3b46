// SPDX-License-Identifier: Apache-2.0
/* plexus-testplugin: a CNI plugin for tests and benchmarks that touches no
 * kernel state. It records each attachment it holds as a file in
 * "stateDir" (created on ADD, removed on DEL), so tests can see what a
 * failed or rolled-back ADD left behind. Config keys:
 *   stateDir  folder for the records (optional)
 *   fail      list of commands that fail ("ADD", "DEL", "CHECK", ...)
 *   failPercent  ADD fails at random this often (0-100)
 *   failCode  the error code to fail with (default 100 + 11 = 111)
 *   sleepMs   sleep before answering
 *   sleepOn   the one command that sleeps ("ADD", ...); all when absent
 *   output    "garbage" | "huge" | "empty": a broken answer to ADD
 *   address   the IP (CIDR) to report (default 10.99.0.1/24); a plugin
 *             chained after another (it gets prevResult) passes that on
 *             unchanged instead, as portmap or tuning do
 *   dumpDir   write each call's stdin to <dumpDir>/<CMD>_<name>_<ifname>.json
 *             and its CNI_ARGS to <dumpDir>/<CMD>_<name>_<ifname>.args
 *   failWhile the commands of "fail" fail only while this file exists
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cni_env.h"
#include "cni_error.h"
#include "cni_json.h"
#include "cni_version.h"

extern char **environ;

static const char *str(json_object *conf, const char *key, const char *dflt)
{
	const char *s;

	return cni_json_get_string(conf, key, key, &s, NULL) == 0 ? s : dflt;
}

static int random_fail(json_object *conf, const struct cni_env *env)
{
	int64_t pct = 0;
	unsigned int v = 0;
	FILE *f;

	if (env->cmd != CNI_CMD_ADD ||
	    cni_json_get_int(conf, "failPercent", "failPercent", &pct, NULL) <
		    0 ||
	    pct <= 0)
		return 0;
	f = fopen("/dev/urandom", "r");
	if (f) {
		if (fread(&v, sizeof(v), 1, f) != 1)
			v = 0;
		fclose(f);
	}
	return (int64_t)(v % 100) < pct;
}

static int should_fail(json_object *conf, const struct cni_env *env)
{
	json_object *list;

	if (random_fail(conf, env))
		return 1;
	if (cni_json_get_array(conf, "fail", "fail", &list, NULL) < 0)
		return 0;
	if (*str(conf, "failWhile", "") &&
	    access(str(conf, "failWhile", ""), F_OK) < 0)
		return 0;
	for (size_t i = 0; i < json_object_array_length(list); i++)
		if (strcmp(json_object_get_string(
				   json_object_array_get_idx(list, i)),
			   cni_cmd_str(env->cmd)) == 0)
			return 1;
	return 0;
}

static void record_path(char *buf, size_t len, json_object *conf,
			const struct cni_env *env)
{
	snprintf(buf, len, "%s/%s_%s_%s", str(conf, "stateDir", ""),
		 str(conf, "name", "net"), env->container_id, env->ifname);
}

static int do_add(json_object *conf, const struct cni_env *env)
{
	const char *out = str(conf, "output", "");
	const char *ver = str(conf, "cniVersion", "1.0.0");
	char path[4096];

	if (strcmp(out, "garbage") == 0)
		return printf("{\"cniVersion\": \"%s\", \"ips\": [{", ver), 0;
	if (strcmp(out, "empty") == 0)
		return 0;
	if (strcmp(out, "huge") == 0) {
		for (int i = 0; i < 3 * 1024 * 1024 / 16; i++)
			fputs("                ", stdout);
		return 0;
	}
	if (*str(conf, "stateDir", "")) {
		record_path(path, sizeof(path), conf, env);
		close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	}
	if (json_object_object_get_ex(conf, "prevResult", NULL)) {
		printf("%s\n", cni_json_str(json_object_object_get(conf, "prevR"
									 "esul"
									 "t")));
		return 0;
	}
	printf("{\"cniVersion\": \"%s\", \"interfaces\": [{\"name\": \"%s\", "
	       "\"mac\": \"02:00:00:00:00:01\", \"sandbox\": \"%s\"}], "
	       "\"ips\": [{%s\"address\": \"%s\", \"interface\": 0}], "
	       "\"dns\": {}}\n",
	       ver, env->ifname, env->netns ? env->netns : "",
	       ver[0] == '0' ? "\"version\": \"4\", " : "",
	       str(conf, "address", "10.99.0.1/24"));
	return 0;
}

static int do_del(json_object *conf, const struct cni_env *env)
{
	char path[4096];

	if (*str(conf, "stateDir", "")) {
		record_path(path, sizeof(path), conf, env);
		unlink(path);
	}
	return 0;
}

static void dump(json_object *conf, const struct cni_env *env)
{
	char path[4096];
	FILE *f;

	if (!*str(conf, "dumpDir", ""))
		return;
	snprintf(path, sizeof(path), "%s/%s_%s_%s.json",
		 str(conf, "dumpDir", ""), cni_cmd_str(env->cmd),
		 str(conf, "name", "net"), env->ifname ? env->ifname : "-");
	f = fopen(path, "w");
	if (f) {
		fputs(cni_json_str(conf), f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/%s_%s_%s.args",
		 str(conf, "dumpDir", ""), cni_cmd_str(env->cmd),
		 str(conf, "name", "net"), env->ifname ? env->ifname : "-");
	f = fopen(path, "w");
	if (f) {
		fputs(env->args_raw ? env->args_raw : "", f);
		fclose(f);
	}
}

static int run(struct cni_env *env, json_object **conf, struct cni_err *err)
{
	int64_t sleep_ms = 0, code = 111;
	size_t len;
	char *buf;
	int r = cni_env_load(env, environ, err);

	if (r == 0)
		r = cni_read_fd(0, "stdin", &buf, &len, err);
	if (r < 0)
		return r;
	r = cni_json_parse(buf, len, "stdin", conf, err);
	free(buf);
	if (r < 0)
		return r;
	if (env->cmd == CNI_CMD_VERSION)
		return cni_version_print(str(*conf, "cniVersion", NULL),
					 stdout),
		       0;
	dump(*conf, env);
	cni_json_get_int(*conf, "sleepMs", "sleepMs", &sleep_ms, NULL);
	cni_json_get_int(*conf, "failCode", "failCode", &code, NULL);
	if (*str(*conf, "sleepOn", "") &&
	    strcmp(str(*conf, "sleepOn", ""), cni_cmd_str(env->cmd)) != 0)
		sleep_ms = 0;
	if (sleep_ms > 0)
		nanosleep(&(struct timespec){ sleep_ms / 1000,
					      (sleep_ms % 1000) * 1000000 },
			  NULL);
	if (should_fail(*conf, env))
		return cni_errf(err, (int)code,
				"testplugin: %s fails as "
				"configured",
				cni_cmd_str(env->cmd));
	if (env->cmd == CNI_CMD_ADD)
		return do_add(*conf, env);
	if (env->cmd == CNI_CMD_DEL)
		return do_del(*conf, env);
	return 0;
}

int main(void)
{
	struct cni_env env = { 0 };
	struct cni_err err = { 0 };
	json_object *conf = NULL;
	int r = run(&env, &conf, &err);

	if (r < 0)
		cni_err_print(&err, str(conf, "cniVersion", NULL), stdout);
	json_object_put(conf);
	cni_env_free(&env);
	return r < 0 ? 1 : 0;
}
