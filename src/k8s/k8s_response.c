// SPDX-License-Identifier: Apache-2.0
/* Kubernetes API answers: status and body into an object or an error.
 * No curl here, so the plugin links it without the client module. */
#include <errno.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "k8s.h"

#define KE CNI_ERR_KUBERNETES

static const char *status_text(long st)
{
	switch (st) {
	case 401:
		return "Unauthorized: the API server refused the token "
		       "or certificate";
	case 403:
		return "Forbidden: the account may not do this (check "
		       "the plexus ClusterRole)";
	case 404:
		return "Not Found";
	case 409:
		return "Conflict";
	case 429:
		return "Too Many Requests";
	default:
		return st >= 500 ? "server error" : "unexpected status";
	}
}

/* perr's message without the leading "<what>: ". */
static const char *cause_of(const struct cni_err *perr, const char *what)
{
	size_t n = strlen(what);

	if (strncmp(perr->msg, what, n) == 0 && perr->msg[n] == ':')
		return perr->msg + n + 2;
	return perr->msg;
}

int k8s_response_parse(long status, const char *buf, size_t len,
		       const char *what, json_object **ret, struct cni_err *err)
{
	json_object *doc = NULL, *m;
	struct cni_err perr = { 0 };
	const char *msg = "";

	if (cni_json_parse_max(buf, len, K8S_RESPONSE_MAX, what, &doc, &perr) ==
		    0 &&
	    !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		doc = NULL;
		cni_errf(&perr, CNI_ERR_DECODE, "%s: not an object", what);
	}
	if (status >= 200 && status < 300) {
		if (!doc && perr.code == CNI_ERR_TOO_LARGE) {
			if (err)
				*err = perr;
			return -EFBIG;
		}
		if (!doc) /* the cause, never "no items" */
			return cni_errf(err, KE,
					"%s: the answer is not a JSON object: "
					"%s",
					what, cause_of(&perr, what));
		*ret = doc;
		return 0;
	}
	if (doc && json_object_object_get_ex(doc, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		msg = json_object_get_string(m);
	cni_errf(err, status == 404 ? CNI_ERR_SELECTION : KE,
		 "%s: HTTP %ld %s%s%.300s", what, status, status_text(status),
		 *msg ? ": " : "", msg);
	json_object_put(doc);
	if (status == 404)
		return -ENOENT;
	if (status == 401 || status == 403)
		return -EACCES;
	return status == 409 ? -EAGAIN : -EIO;
}
