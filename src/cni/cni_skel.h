/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CNI_SKEL_H
#define PLEXUS_CNI_SKEL_H

#include <stddef.h>
#include <json-c/json.h>

#include "cni_env.h"

struct cni_err;

/* One plugin call as it reaches a plugin's main. */
struct cni_skel_call {
	struct cni_env env;
	const char *buf; /* stdin as read */
	size_t len;
	json_object *conf; /* stdin parsed; NULL when it is not JSON */
	/* the cniVersion an error is printed in: the config's when valid;
	 * run may point it at a better one (a string it keeps alive) */
	const char *reply_version;
};

/* What a plugin plugs into the skeleton. */
struct cni_skel {
	/* One verb (never VERSION, which the skeleton answers): 0 with the
	 * result to print in *ret_out (NULL: print nothing), or a negative
	 * errno with err set. */
	int (*run)(void *ctx, struct cni_skel_call *call, json_object **ret_out,
		   struct cni_err *err);
	/* Told about a failure before it is printed (logging); may be NULL. */
	void (*failed)(void *ctx, const struct cni_skel_call *call,
		       const struct cni_err *err);
	void *ctx;
	int json_flags; /* how the result is printed (JSON_C_TO_STRING_*) */
};

/* The plugin skeleton shared by every plexus binary: CNI_* from envp,
 * stdin read and parsed, VERSION answered in the config's cniVersion,
 * every other verb given to skel->run; its result printed on stdout, or
 * the error, and only then, as the spec's JSON (cni_err_print). Returns
 * the exit code: 0, or 1 after an error. */
int cni_skel_main(const struct cni_skel *skel, char **envp);

#endif
