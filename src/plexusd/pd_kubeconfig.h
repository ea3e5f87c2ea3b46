/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_KUBECONFIG_H
#define PLEXUS_PD_KUBECONFIG_H

struct cni_err;

/* The API server URL from KUBERNETES_SERVICE_HOST/_PORT (an IPv6 host in
 * brackets), malloc'ed; NULL when they are not set. */
char *pd_kubeconfig_server_from_env(void);

/* A kubeconfig (JSON, which kubeconfig readers take as YAML) for the
 * plugin from a service-account token dir: server, the dir's ca.crt as
 * certificate-authority-data, the dir's token inline (the plugin runs on
 * the host and cannot see the pod's projected volume). Holds a secret:
 * the caller writes it 0600 and never logs it. Code 5 when a file is
 * missing, 7 when the token is empty or has bytes outside printable
 * ASCII. */
int pd_kubeconfig_build(const char *token_dir, const char *server,
			char **ret_text, struct cni_err *err);

#endif
