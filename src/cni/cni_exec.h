/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CNI_EXEC_H
#define PLEXUS_CNI_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "cni_env.h"

struct cni_err;

#define CNI_EXEC_TIMEOUT_S_DEFAULT  60
#define CNI_EXEC_TIMEOUT_MS_DEFAULT (CNI_EXEC_TIMEOUT_S_DEFAULT * 1000)
#define CNI_EXEC_OUTPUT_MAX	    (1024 * 1024)
#define CNI_EXEC_STDERR_MAX	    (64 * 1024)

/* One call of a plugin binary. */
struct cni_exec_req {
	const char *type; /* plugin name, looked up on path only */
	enum cni_cmd cmd;
	const char *container_id;
	const char *netns;
	const char *ifname;
	const char *args;  /* CNI_ARGS, may be NULL */
	const char *path;  /* CNI_PATH (':'-separated) */
	json_object *conf; /* stdin */
	int timeout_ms;	   /* 0: default */
	/* An absolute deadline (cni_deadline.h) the call must also keep, 0:
	 * none: a delegate's own IPAM call keeps the delegate's. */
	int64_t deadline;
	/* A descriptor the plugin inherits as its fd 3, or NULL: the
	 * caller's per-container lock, so that a plugin left running by a
	 * killed caller keeps the next call for that container waiting
	 * until it is done. */
	const int *inherit_fd;
};

/* Find `type` on the ':'-separated path: the first regular executable
 * file. Code 7 if type is not a plain name, code 100 if not found. The
 * caller frees *ret. */
int cni_exec_find(const char *type, const char *path, char **ret,
		  struct cni_err *err);

/* Run the plugin: fork+execve with only the CNI_* variables (plus PATH
 * and a few basics from the caller), conf on stdin, stdout and stderr read
 * up to their limits, killed after the timeout. On exit 0, *ret_out is
 * the parsed stdout (NULL when stdout was empty, as for DEL). On failure
 * the plugin's own error JSON is passed on (its code, and its msg
 * prefixed by the plugin name); otherwise codes 100-103. */
int cni_exec_run(const struct cni_exec_req *req, json_object **ret_out,
		 struct cni_err *err);

/* Exec can be swapped (tests, in-process delegates). */
struct cni_exec_ops {
	int (*run)(void *ctx, const struct cni_exec_req *req,
		   json_object **ret_out, struct cni_err *err);
	void *ctx;
};
extern const struct cni_exec_ops cni_exec_default;

#endif
