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

/* network-status through plexusd (its STATUS request) waits for the
 * patch up to this long, then is written directly; a STATUS line over
 * PDCLIENT_STATUS_MAX bytes (plexusd's PD_SOCK_STATUS_MAX) is written
 * directly at once. */
#define PDCLIENT_STATUS_MS  5000
#define PDCLIENT_STATUS_MAX 65536

/* DEL's network-status (the empty list, netstatus_clear) through plexusd
 * waits for the patch only this long, then is written directly: a DEL
 * never waits long on plexusd, and never depends on it. */
#define PDCLIENT_DEL_STATUS_MS 1000

enum pdclient_mode {
	/* ADD: the pod and its NADs (PDCLIENT_DEADLINE_MS in all), then
	 * the network-status (PDCLIENT_STATUS_MS) */
	PDCLIENT_ADD,
	/* DEL: the network-status only (PDCLIENT_DEL_STATUS_MS); a pod or
	 * NAD it reads (a DEL without a record) is asked of the API
	 * directly, as without plexusd, and not counted as a fallback */
	PDCLIENT_DEL,
};

/* A NAD source that asks plexusd's socket (conf->plexusd_socket) first
 * (PDCLIENT_ADD; PDCLIENT_DEL: the network-status only) for the pod of uid and the NADs it names, and the source conf names
 * (nad_source_open: the API) for anything plexusd does not serve:
 * plexusd absent, slow, not synced, the pod unknown or of another uid,
 * a NAD it does not have. Each fallback is logged (an error when plexusd
 * is absent, slow or broken; verbose for a miss it answered). The direct
 * source is opened only when first needed. network-status is sent to
 * plexusd (STATUS) unless plexusd was given up: plexusd patches it when
 * the pod is its cached one of that uid; any other answer than done or
 * "the pod is gone" (-ENOENT), and no answer, writes it directly. */
int pdclient_open(const struct plexus_conf *conf, const char *uid,
		  unsigned flags, enum pdclient_mode mode,
		  struct nad_source **ret, struct cni_err *err);
/* Requests src (a pdclient source; else 0) sent directly instead of
 * through plexusd: pod, NADs, network-status. */
unsigned pdclient_fallbacks(const struct nad_source *src);

#endif
