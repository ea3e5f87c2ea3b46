/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_STATUS_H
#define PLEXUS_PD_STATUS_H

#include <stddef.h>
#include <json-c/json.h>

struct cni_err;
struct pd_status;

/* The network-status writer (docs/plexusd.md, "network-status"): one
 * thread with one API client over plexusd's credentials (the kubeconfig
 * is read again when its file changes, or after a failure), sending the
 * JSON merge patch of the pod's k8s.v1.cni.cncf.io/network-status with
 * the pod's uid in it (the API server refuses it, 422, for another pod of
 * that name). Jobs come from the event loop; each one done is queued back
 * and the loop woken through wake_fd (an eventfd). */
#define PD_STATUS_QUEUE 64 /* jobs queued or done, not yet taken */

/* a job's outcome */
enum pd_status_rc {
	PD_STATUS_OK,	  /* patched (2xx) */
	PD_STATUS_GONE,	  /* 404: the pod is gone, nothing to write */
	PD_STATUS_FAILED, /* any other answer, or none: the caller may
			    * write it itself */
};

int pd_status_start(const char *kubeconfig, int wake_fd, struct pd_status **ret,
		    struct cni_err *err);
/* The pod fetcher (docs/plexusd.md, "A late pod"): the same thread and
 * client, for GETs of pods (pd_status_fetch) only: each request times
 * out after PD_FETCH_TIMEOUT_MS and is sent once; at most 2 wait. */
#define PD_FETCH_TIMEOUT_MS \
	80 /* plexus waits PDCLIENT_DEADLINE_MS (200)
				* for all its asks, 100 of them the wait
				* for the watch (PD_SOCK_WAIT_MS) */
int pd_status_start_fetcher(const char *kubeconfig, int wake_fd,
			    struct pd_status **ret, struct cni_err *err);
/* Stop the thread (after the job in flight), join it, free everything;
 * NULL is fine. */
void pd_status_stop(struct pd_status *s);
/* Queue one patch (everything copied). id comes back with its outcome.
 * 0, -EBUSY when PD_STATUS_QUEUE jobs are pending, -ENOMEM. */
int pd_status_submit(struct pd_status *s, unsigned long long id, const char *ns,
		     const char *name, const char *uid, const char *json,
		     size_t len);
/* Queue a GET of the pod ns/name (fetcher only); 0, -EBUSY, -ENOMEM. */
int pd_status_fetch(struct pd_status *s, unsigned long long id, const char *ns,
		    const char *name, const char *uid);
/* Take one finished fetch: 1 with its id, outcome, the pod (OK: the
 * caller's to put; else NULL) and message; 0 when none is done. */
int pd_status_take_pod(struct pd_status *s, unsigned long long *ret_id,
		       enum pd_status_rc *ret_rc, json_object **ret_pod,
		       char *msg, size_t msg_size);
/* Take one finished job: 1 with its id, outcome and message (the API's
 * error, for FAILED and GONE), 0 when none is done. */
int pd_status_take(struct pd_status *s, unsigned long long *ret_id,
		   enum pd_status_rc *ret_rc, char *msg, size_t msg_size);

#endif
