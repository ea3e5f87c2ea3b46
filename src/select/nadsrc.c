/* SPDX-License-Identifier: Apache-2.0 */
/* Opening the NAD source a meta config names, and freeing one. */
#include <stdlib.h>

#include "nadsrc.h"
#include "plexus_conf.h"

int nad_source_open(const struct plexus_conf *conf, unsigned flags,
		    struct nad_source **ret, struct cni_err *err)
{
	if (conf->manifests_dir && *conf->manifests_dir)
		return nadsrc_dir_open(conf->manifests_dir, ret, err);
	if (conf->kubeconfig)
		return nadsrc_k8s_open(conf->kubeconfig, flags, ret, err);
	*ret = NULL;
	return 0;
}

void nad_source_free(struct nad_source *src)
{
	if (!src)
		return;
	if (src->ops->free)
		src->ops->free(src->ctx);
	free(src);
}

unsigned nad_source_requests(const struct nad_source *src)
{
	return src && src->ops->requests ? src->ops->requests(src->ctx) : 0;
}
