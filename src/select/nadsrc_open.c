/* SPDX-License-Identifier: Apache-2.0 */
/* The NAD source a meta config asks for. */
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
