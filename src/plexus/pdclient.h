/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PDCLIENT_H
#define PLEXUS_PDCLIENT_H

struct cni_err;
struct nad_source;
struct plexus_conf;

/* How long one ADD may wait on plexusd in all (connect, the pod, its
 * NADs; time spent asking the API in between does not count) before it
 * asks the API itself. plexusd waits at most 100 ms for a pod its watch
 * has not delivered yet (PD_SOCK_WAIT_MS). */
#define PDCLIENT_DEADLINE_MS 200

/* A NAD source that asks plexusd's socket (conf->plexusd_socket) first
 * for the pod of uid and the NADs it names, and the source conf names
 * (nad_source_open: the API) for anything plexusd does not serve:
 * plexusd absent, slow, not synced, the pod unknown or of another uid,
 * a NAD it does not have. Each fallback is logged (an error when plexusd
 * is absent, slow or broken; verbose for a miss it answered). The direct
 * source is opened only when first needed; network-status always goes
 * through it. */
int pdclient_open(const struct plexus_conf *conf, const char *uid,
		  unsigned flags, struct nad_source **ret, struct cni_err *err);

#endif
