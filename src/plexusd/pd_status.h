/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_STATUS_H
#define PLEXUS_PD_STATUS_H

#include <stddef.h>

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
/* Stop the thread (after the job in flight), join it, free everything;
 * NULL is fine. */
void pd_status_stop(struct pd_status *s);
/* Queue one patch (everything copied). id comes back with its outcome.
 * 0, -EBUSY when PD_STATUS_QUEUE jobs are pending, -ENOMEM. */
int pd_status_submit(struct pd_status *s, unsigned long long id, const char *ns,
		     const char *name, const char *uid, const char *json,
		     size_t len);
/* Take one finished job: 1 with its id, outcome and message (the API's
 * error, for FAILED and GONE), 0 when none is done. */
int pd_status_take(struct pd_status *s, unsigned long long *ret_id,
		   enum pd_status_rc *ret_rc, char *msg, size_t msg_size);

#endif
