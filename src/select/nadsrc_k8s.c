/* SPDX-License-Identifier: Apache-2.0 */
/* The Kubernetes API as a NAD source. */
#include <stdlib.h>

#include "cni_error.h"
#include "k8s.h"
#include "nadsrc.h"

extern char **environ;

struct k8ssrc {
	struct k8s_config *cfg;
	struct k8s_client *client;
};

static int k_get_pod(void *ctx, const char *ns, const char *name,
		     json_object **ret, struct cni_err *err)
{
	return k8s_pod_get(((struct k8ssrc *)ctx)->client, ns, name, ret, err);
}

static int k_get_nad(void *ctx, const char *ns, const char *name,
		     json_object **ret, struct cni_err *err)
{
	return k8s_nad_get(((struct k8ssrc *)ctx)->client, ns, name, ret, err);
}

static int k_put_status(void *ctx, const char *ns, const char *name,
			const char *uid, const char *status_json,
			struct cni_err *err)
{
	return k8s_pod_patch_network_status(((struct k8ssrc *)ctx)->client, ns,
					    name, uid, status_json, err);
}

static unsigned k_requests(void *ctx)
{
	return k8s_client_requests(((struct k8ssrc *)ctx)->client);
}

static void k_free(void *ctx)
{
	struct k8ssrc *k = ctx;

	k8s_client_free(k->client);
	k8s_config_free(k->cfg);
	free(k);
}

static const struct nad_source_ops k8s_ops = {
	.kind = "kubernetes",
	.get_pod = k_get_pod,
	.get_nad = k_get_nad,
	.put_network_status = k_put_status,
	.requests = k_requests,
	.free = k_free,
};

int nadsrc_k8s_open(const char *kubeconfig, unsigned flags,
		    struct nad_source **ret, struct cni_err *err)
{
	struct nad_source *src = calloc(1, sizeof(*src));
	struct k8ssrc *k = calloc(1, sizeof(*k));
	int r;

	if (!src || !k) {
		free(src);
		free(k);
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	if (kubeconfig && *kubeconfig)
		r = k8s_kubeconfig_load(kubeconfig, &k->cfg, err);
	else
		r = k8s_config_in_cluster(environ, NULL, &k->cfg, err);
	if (r == 0 && !(flags & NAD_SOURCE_WAIT_POD))
		k->cfg->pod_retries = 0;
	if (r == 0)
		r = k8s_client_new(k->cfg, &k->client, err);
	if (r) {
		k_free(k);
		free(src);
		return r;
	}
	src->ops = &k8s_ops;
	src->ctx = k;
	*ret = src;
	return 0;
}
