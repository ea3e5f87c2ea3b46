// SPDX-License-Identifier: Apache-2.0
/* The CNI_* environment of a plugin call. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_env.h"
#include "cni_error.h"
#include "cni_ids.h"

static const char *const cmd_names[] = {
	[CNI_CMD_NONE] = "",	       [CNI_CMD_ADD] = "ADD",
	[CNI_CMD_DEL] = "DEL",	       [CNI_CMD_CHECK] = "CHECK",
	[CNI_CMD_VERSION] = "VERSION", [CNI_CMD_STATUS] = "STATUS",
	[CNI_CMD_GC] = "GC",
};

enum cni_cmd cni_cmd_parse(const char *s)
{
	if (!s)
		return CNI_CMD_NONE;
	for (size_t i = 1; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
		if (strcmp(s, cmd_names[i]) == 0)
			return (enum cni_cmd)i;
	return CNI_CMD_NONE;
}

const char *cni_cmd_str(enum cni_cmd cmd)
{
	return (unsigned)cmd < sizeof(cmd_names) / sizeof(cmd_names[0])
		       ? cmd_names[cmd]
		       : "";
}

static const char *env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

void cni_kv_free(struct cni_kv *kv, size_t n)
{
	for (size_t i = 0; kv && i < n; i++) {
		free(kv[i].key);
		free(kv[i].val);
	}
	free(kv);
}

static int args_add(struct cni_kv **kv, size_t *n, const char *item, size_t len,
		    struct cni_err *err)
{
	const char *eq = memchr(item, '=', len);
	struct cni_kv *grown;

	if (!eq || eq == item)
		return cni_errf(err, CNI_ERR_INVALID_ENV,
				"CNI_ARGS: item \"%.*s\" is not KEY=VALUE",
				(int)(len > 64 ? 64 : len), item);
	grown = realloc(*kv, (*n + 1) * sizeof(**kv));
	if (!grown)
		return -ENOMEM;
	*kv = grown;
	grown[*n].key = strndup(item, (size_t)(eq - item));
	grown[*n].val = strndup(eq + 1, len - (size_t)(eq - item) - 1);
	(*n)++;
	if (!grown[*n - 1].key || !grown[*n - 1].val)
		return -ENOMEM;
	return 0;
}

/* As cni_args_parse, skipping items that are not KEY=VALUE. */
static int cni_args_parse_lax(const char *s, struct cni_kv **ret, size_t *ret_n)
{
	struct cni_kv *kv = NULL;
	size_t n = 0;

	while (s && *s) {
		const char *end = strchr(s, ';');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		const char *eq = memchr(s, '=', len);

		if (eq && eq != s && args_add(&kv, &n, s, len, NULL) < 0) {
			cni_kv_free(kv, n);
			return -ENOMEM;
		}
		s = end ? end + 1 : s + len;
	}
	*ret = kv;
	*ret_n = n;
	return 0;
}

int cni_args_parse(const char *s, struct cni_kv **ret, size_t *ret_n,
		   struct cni_err *err)
{
	struct cni_kv *kv = NULL;
	size_t n = 0;
	int r;

	while (s && *s) {
		const char *end = strchr(s, ';');
		size_t len = end ? (size_t)(end - s) : strlen(s);

		if (len > 0) {
			r = args_add(&kv, &n, s, len, err);
			if (r < 0) {
				cni_kv_free(kv, n);
				return r;
			}
		}
		s = end ? end + 1 : s + len;
	}
	*ret = kv;
	*ret_n = n;
	return 0;
}

/* The last value of key in env's CNI_ARGS (the CNI library's parse keeps
 * the last), or "". */
static const char *arg_last(const struct cni_env *env, const char *key)
{
	const char *v = "";

	for (size_t i = 0; env && i < env->n_args; i++)
		if (strcmp(env->args[i].key, key) == 0)
			v = env->args[i].val;
	return v;
}

char *cni_args_for_delegate(const struct cni_env *env, const char *args)
{
	static const char *const lead[] = {
		"IgnoreUnknown", "K8S_POD_NAMESPACE",
		"K8S_POD_NAME",	 "K8S_POD_INFRA_CONTAINER_ID",
		"K8S_POD_UID",
	};
	struct cni_kv kv[5], *extra = NULL;
	size_t n_extra = 0;
	char *out = NULL;
	size_t len = 0;
	FILE *m;

	for (size_t i = 0; i < 5; i++) {
		kv[i].key = (char *)lead[i];
		kv[i].val = (char *)(i ? arg_last(env, lead[i]) : "true");
	}
	/* items without '=' are skipped, as Multus does */
	if (cni_args_parse_lax(args, &extra, &n_extra) < 0)
		return NULL;
	for (size_t j = 0; j < n_extra; j++) {
		for (size_t i = 1; i < 5; i++) {
			if (strcmp(kv[i].key, extra[j].key) == 0 &&
			    !*kv[i].val && *extra[j].val) {
				kv[i].val = extra[j].val;
				extra[j].key[0] = '\0'; /* used */
				break;
			}
		}
	}
	m = open_memstream(&out, &len);
	for (size_t i = 0; m && i < 5; i++)
		fprintf(m, "%s%s=%s", i ? ";" : "", kv[i].key, kv[i].val);
	for (size_t j = 0; m && j < n_extra; j++)
		if (extra[j].key[0])
			fprintf(m, ";%s=%s", extra[j].key, extra[j].val);
	if (m && fclose(m) != 0) {
		free(out);
		out = NULL;
	}
	cni_kv_free(extra, n_extra);
	return out;
}

int cni_args_value_check(const char *val, const char *field, int code,
			 struct cni_err *err)
{
	const char *bad = strpbrk(val, ";=");

	if (!bad)
		return 0;
	return cni_errf(err, code,
			"%s: \"%.64s\" holds '%c', which would add or hide "
			"other CNI_ARGS keys; refused",
			field, val, *bad);
}

int cni_args_set(const char *args, const char *key, const char *val,
		 const char *field, int code, char **ret, struct cni_err *err)
{
	size_t klen = strlen(key);
	char *out = NULL;
	size_t len = 0;
	FILE *m;
	int r = cni_args_value_check(val, field, code, err);

	if (r < 0)
		return r;
	m = open_memstream(&out, &len);
	if (!m)
		return -ENOMEM;
	while (args && *args) {
		const char *end = strchr(args, ';');
		size_t n = end ? (size_t)(end - args) : strlen(args);

		/* the runtime's item of the same key goes: one value only */
		if (n && !(n > klen && !strncmp(args, key, klen) &&
			   args[klen] == '='))
			fprintf(m, "%s%.*s", ftell(m) ? ";" : "", (int)n, args);
		args += n + (end ? 1 : 0);
	}
	fprintf(m, "%s%s=%s", ftell(m) ? ";" : "", key, val);
	if (fclose(m) != 0) {
		free(out);
		return -ENOMEM;
	}
	*ret = out;
	return 0;
}

const char *cni_env_arg(const struct cni_env *env, const char *key)
{
	for (size_t i = 0; env && i < env->n_args; i++)
		if (strcmp(env->args[i].key, key) == 0)
			return env->args[i].val;
	return NULL;
}

int cni_ifname_check(const char *name, const char *field, int code,
		     struct cni_err *err)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0)
		return cni_errf(err, code, "%s: interface name is empty",
				field);
	if (len > CNI_IFNAME_MAX)
		return cni_errf(err, code,
				"%s: interface name \"%.32s\" is longer than "
				"15 bytes",
				field, name);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return cni_errf(err, code,
				"%s: interface name \"%s\" is not "
				"allowed",
				field, name);
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' ||
		    isspace((unsigned char)name[i]) ||
		    !isprint((unsigned char)name[i]))
			return cni_errf(err, code,
					"%s: interface name \"%s\" contains "
					"'/', ':', whitespace or a control "
					"character",
					field, name);
	return 0;
}

void cni_env_free(struct cni_env *env)
{
	if (!env)
		return;
	free(env->container_id);
	free(env->netns);
	free(env->ifname);
	free(env->path);
	free(env->args_raw);
	cni_kv_free(env->args, env->n_args);
	memset(env, 0, sizeof(*env));
}

static int env_require(const char *val, const char *name, enum cni_cmd cmd,
		       struct cni_err *err)
{
	if (val && *val)
		return 0;
	return cni_errf(err, CNI_ERR_INVALID_ENV,
			"%s: required for %s but not set", name,
			cni_cmd_str(cmd));
}

static int env_check(const struct cni_env *e, struct cni_err *err)
{
	bool needs_all = e->cmd == CNI_CMD_ADD || e->cmd == CNI_CMD_CHECK;
	bool needs_id = needs_all || e->cmd == CNI_CMD_DEL;
	int r = 0;

	if (needs_id)
		r = env_require(e->container_id, "CNI_CONTAINERID", e->cmd,
				err);
	if (!r && e->container_id && *e->container_id)
		r = cni_container_id_check(e->container_id, "CNI_CONTAINERID",
					   CNI_ERR_INVALID_ENV, err);
	if (!r && needs_all)
		r = env_require(e->netns, "CNI_NETNS", e->cmd, err);
	if (!r && needs_id)
		r = env_require(e->ifname, "CNI_IFNAME", e->cmd, err);
	if (!r && needs_id)
		r = cni_ifname_check(e->ifname, "CNI_IFNAME",
				     CNI_ERR_INVALID_ENV, err);
	return r;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int cni_env_load(struct cni_env *ret, char *const *envp, struct cni_err *err)
{
	const char *cmd = env_get(envp, "CNI_COMMAND");
	struct cni_env e = { 0 };
	int r;

	if (cmd && !*cmd)
		cmd = NULL;
	e.cmd = cni_cmd_parse(cmd);
	if (e.cmd == CNI_CMD_NONE)
		return cni_errf(err, CNI_ERR_INVALID_ENV,
				"CNI_COMMAND: %s \"%.32s\" (want ADD, DEL, "
				"CHECK, VERSION, STATUS or GC)",
				cmd ? "unknown command" : "not set",
				cmd ? cmd : "");
	e.container_id = dup_or_null(env_get(envp, "CNI_CONTAINERID"));
	e.netns = dup_or_null(env_get(envp, "CNI_NETNS"));
	e.ifname = dup_or_null(env_get(envp, "CNI_IFNAME"));
	e.path = dup_or_null(env_get(envp, "CNI_PATH"));
	e.args_raw = dup_or_null(env_get(envp, "CNI_ARGS"));
	r = cni_args_parse(e.args_raw, &e.args, &e.n_args, err);
	if (r == 0)
		r = env_check(&e, err);
	if (r < 0) {
		cni_env_free(&e);
		return r;
	}
	*ret = e;
	return 0;
}
