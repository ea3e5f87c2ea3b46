/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_K8S_MODULE_H
#define PLEXUS_K8S_MODULE_H

#include <json-c/json.h>

struct cni_err;
struct k8s_client;
struct k8s_config;

#define K8S_MODULE_ABI	3
#define K8S_MODULE_NAME "plexus-k8s.so"

/* The client functions of k8s.h as built into plexus-k8s.so (the only
 * code linking libcurl); k8s_load.c forwards to them. */
struct k8s_client_ops {
	int abi;
	int (*client_new)(const struct k8s_config *cfg, struct k8s_client **ret,
			  struct cni_err *err);
	void (*client_free)(struct k8s_client *c);
	unsigned (*client_requests)(const struct k8s_client *c);
	int (*pod_get)(struct k8s_client *c, const char *ns, const char *name,
		       json_object **ret, struct cni_err *err);
	int (*nad_get)(struct k8s_client *c, const char *ns, const char *name,
		       json_object **ret, struct cni_err *err);
	int (*pod_patch_network_status)(struct k8s_client *c, const char *ns,
					const char *name, const char *uid,
					const char *status_json,
					struct cni_err *err);
	int (*request)(struct k8s_client *c, const char *method,
		       const char *path, const char *content_type,
		       const char *body, long *ret_status,
		       json_object **ret_body, struct cni_err *err);
};

#endif
