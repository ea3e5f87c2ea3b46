// SPDX-License-Identifier: Apache-2.0
/* The Kubernetes client, loaded on first use from plexus-k8s.so: plexus
 * in static mode (and every delegate call) then never maps libcurl and
 * its dependencies, which cost more than plexus' own work. */
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni_error.h"
#include "k8s.h"
#include "k8s_module.h"

#ifndef PLEXUS_PKGLIBDIR
#define PLEXUS_PKGLIBDIR "/usr/local/lib/plexus"
#endif

static const struct k8s_client_ops *k8s_ops;

static void *try_open(const char *path, char *why, size_t len)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!h && !why[0])
		snprintf(why, len, "%s", dlerror());
	return h;
}

/* $PLEXUS_K8S_MODULE, then beside the executable (and one folder up,
 * for the test binaries), then the package's library folder. */
static void *module_open(char *why, size_t len)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	const char *env = getenv("PLEXUS_K8S_MODULE");
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	void *h = NULL;

	if (env && *env)
		return try_open(env, why, len);
	if (n > 0) {
		exe[n] = '\0';
		dirname(exe);
		snprintf(path, sizeof(path), "%s/%s", exe, K8S_MODULE_NAME);
		if (access(path, R_OK) == 0)
			h = try_open(path, why, len);
		snprintf(path, sizeof(path), "%s/../%s", exe, K8S_MODULE_NAME);
		if (!h && access(path, R_OK) == 0)
			h = try_open(path, why, len);
	}
	if (!h)
		h = try_open(PLEXUS_PKGLIBDIR "/" K8S_MODULE_NAME, why, len);
	return h;
}

static int module_load(struct cni_err *err)
{
	char why[512] = "";
	void *h;

	if (k8s_ops)
		return 0;
	h = module_open(why, sizeof(why));
	if (h)
		k8s_ops = dlsym(h, "k8s_client_module");
	if (!k8s_ops || k8s_ops->abi != K8S_MODULE_ABI)
		return cni_errf(err, CNI_ERR_KUBERNETES,
				"the Kubernetes client module %s could not be "
				"loaded: %s",
				K8S_MODULE_NAME,
				why[0] ? why : "wrong module version");
	return 0;
}

int k8s_client_new(const struct k8s_config *cfg, struct k8s_client **ret,
		   struct cni_err *err)
{
	int r = module_load(err);

	return r < 0 ? r : k8s_ops->client_new(cfg, ret, err);
}

void k8s_client_free(struct k8s_client *c)
{
	if (c && k8s_ops)
		k8s_ops->client_free(c);
}

unsigned k8s_client_requests(const struct k8s_client *c)
{
	return c && k8s_ops ? k8s_ops->client_requests(c) : 0;
}

int k8s_pod_get(struct k8s_client *c, const char *ns, const char *name,
		json_object **ret, struct cni_err *err)
{
	return k8s_ops->pod_get(c, ns, name, ret, err);
}

int k8s_nad_get(struct k8s_client *c, const char *ns, const char *name,
		json_object **ret, struct cni_err *err)
{
	return k8s_ops->nad_get(c, ns, name, ret, err);
}

int k8s_pod_patch_network_status(struct k8s_client *c, const char *ns,
				 const char *name, const char *uid,
				 const char *status_json, struct cni_err *err)
{
	return k8s_ops->pod_patch_network_status(c, ns, name, uid, status_json,
						 err);
}

int k8s_request(struct k8s_client *c, const char *method, const char *path,
		const char *content_type, const char *body, long *ret_status,
		json_object **ret_body, struct cni_err *err)
{
	return k8s_ops->request(c, method, path, content_type, body, ret_status,
				ret_body, err);
}
