/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_NADSRC_H
#define PLEXUS_NADSRC_H

#include <json-c/json.h>

struct cni_err;
struct plexus_conf;

/* Where pods and NetworkAttachmentDefinitions come from: the Kubernetes
 * API (nadsrc_k8s.c) or a folder of manifests (nadsrc_dir.c). Objects
 * are returned as the API serves them (apiVersion, kind, metadata, spec),
 * owned by the caller. A missing object returns -ENOENT with err set
 * (code CNI_ERR_SELECTION); other failures code CNI_ERR_KUBERNETES or
 * CNI_ERR_IO. */
struct nad_source_ops {
	const char *kind; /* "kubernetes", "manifests" */
	int (*get_pod)(void *ctx, const char *ns, const char *name,
		       json_object **ret, struct cni_err *err);
	int (*get_nad)(void *ctx, const char *ns, const char *name,
		       json_object **ret, struct cni_err *err);
	/* Merge-patch the pod's network-status annotation, only on the pod
	 * of that uid when uid is set; NULL when the source cannot write
	 * (manifests). */
	int (*put_network_status)(void *ctx, const char *ns, const char *name,
				  const char *uid, const char *status_json,
				  struct cni_err *err);
	/* API requests sent so far; NULL when not counted. */
	unsigned (*requests)(void *ctx);
	void (*free)(void *ctx);
};

struct nad_source {
	const struct nad_source_ops *ops;
	void *ctx;
};

/* A folder of manifests (*.yaml, *.yml, *.json; multi-document YAML and
 * kind: List allowed) holding Pods and NetworkAttachmentDefinitions. */
int nadsrc_dir_open(const char *dir, struct nad_source **ret,
		    struct cni_err *err);
/* Flags for opening a source. */
#define NAD_SOURCE_WAIT_POD 0x1 /* retry a pod GET while it is 404 (ADD) */

/* The Kubernetes API through a kubeconfig file, or the in-cluster
 * service account when kubeconfig is NULL or "". */
int nadsrc_k8s_open(const char *kubeconfig, unsigned flags,
		    struct nad_source **ret, struct cni_err *err);
/* The source conf asks for: manifestsDir first, then kubeconfig; *ret is
 * NULL (and 0 returned) when it names neither. */
int nad_source_open(const struct plexus_conf *conf, unsigned flags,
		    struct nad_source **ret, struct cni_err *err);
void nad_source_free(struct nad_source *src);
/* Requests the source sent so far (0 for sources that send none). */
unsigned nad_source_requests(const struct nad_source *src);

#endif
