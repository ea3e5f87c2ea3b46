/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CNI_ENV_H
#define PLEXUS_CNI_ENV_H

#include <stddef.h>

struct cni_err;

enum cni_cmd {
	CNI_CMD_NONE,
	CNI_CMD_ADD,
	CNI_CMD_DEL,
	CNI_CMD_CHECK,
	CNI_CMD_VERSION,
	CNI_CMD_STATUS,
	CNI_CMD_GC,
};

struct cni_kv {
	char *key;
	char *val;
};

/* The CNI_* environment of one call. Strings are owned copies; unset
 * variables are NULL. */
struct cni_env {
	enum cni_cmd cmd;
	char *container_id;
	char *netns;
	char *ifname;
	char *path;
	char *args_raw;
	struct cni_kv *args;
	size_t n_args;
};

#define CNI_IFNAME_MAX 15

/* Read the CNI_* variables from envp (NULL-terminated, like environ) and
 * check what the command needs (ADD/CHECK: container id, netns, ifname;
 * DEL: container id, ifname). Fails with code 4 naming the variable. */
int cni_env_load(struct cni_env *ret, char *const *envp, struct cni_err *err);
void cni_env_free(struct cni_env *env);

/* Parse CNI_ARGS ("K=V;K=V"); an empty string gives no pairs. */
/* CNI_ARGS for a delegate as Multus builds them: IgnoreUnknown=true and
 * K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_INFRA_CONTAINER_ID,
 * K8S_POD_UID (values from env's CNI_ARGS, "" when absent) first, then
 * each KEY=VALUE item of `args` in order, except one that gives a value
 * to a leading key whose value is "" (it fills that key in place).
 * NULL on ENOMEM; the caller frees it. */
char *cni_args_for_delegate(const struct cni_env *env, const char *args);

/* Refuse (code `code`, naming `field`) a value for a CNI_ARGS item that
 * holds ';' or '=': it would add or hide other keys. */
int cni_args_value_check(const char *val, const char *field, int code,
			 struct cni_err *err);

/* *ret = `args` without its items of `key`, then key=val last (where
 * Multus appends a selection element's MAC= / IP=, so a plugin that
 * keeps the last value sees the same one); val is checked as by
 * cni_args_value_check. The caller frees *ret. */
int cni_args_set(const char *args, const char *key, const char *val,
		 const char *field, int code, char **ret, struct cni_err *err);

int cni_args_parse(const char *s, struct cni_kv **ret, size_t *ret_n,
		   struct cni_err *err);
void cni_kv_free(struct cni_kv *kv, size_t n);

/* Value of CNI_ARGS key, or NULL. */
const char *cni_env_arg(const struct cni_env *env, const char *key);

/* "ADD" <-> CNI_CMD_ADD. */
enum cni_cmd cni_cmd_parse(const char *s);
const char *cni_cmd_str(enum cni_cmd cmd);

/* Check an interface name (1..15 bytes, no '/', ':' or whitespace, not
 * "." or ".."); `field` names it in the error (code 4 or 7 as given). */
int cni_ifname_check(const char *name, const char *field, int code,
		     struct cni_err *err);

#endif
