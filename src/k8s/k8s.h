/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_K8S_H
#define PLEXUS_K8S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct cni_err;

#define K8S_SA_DIR	       "/var/run/secrets/kubernetes.io/serviceaccount"
#define K8S_CONNECT_TIMEOUT_MS 5000
#define K8S_TIMEOUT_MS	       10000
#define K8S_POD_RETRIES	       5 /* extra pod GETs while the pod is 404 */
#define K8S_RETRY_DELAY_MS     300
/* The pod annotation the network-status patch sets (NPWG spec). */
#define K8S_NETWORK_STATUS "k8s.v1.cni.cncf.io/network-status"
#define K8S_RESPONSE_MAX   (4 * 1024 * 1024)

/* Where the API is and how to authenticate: from a kubeconfig's current
 * context, or the in-cluster service account. Blobs are PEM bytes (the
 * *-data fields, base64-decoded); files are absolute paths. Holds secrets:
 * never print it. */
struct k8s_config {
	char *server; /* "https://host:port", no trailing '/' */
	char *ca_file;
	char *ca_data;
	size_t ca_len;
	char *cert_file;
	char *cert_data;
	size_t cert_len;
	char *key_file;
	char *key_data;
	size_t key_len;
	char *token;	  /* a literal token */
	char *token_file; /* read afresh by every k8s_client_new */
	int connect_timeout_ms, timeout_ms;
	int pod_retries, retry_delay_ms;
};

/* Parse a kubeconfig (YAML or JSON) and pick its current-context. Relative
 * paths are taken from base_dir. Refused: no current-context or a missing
 * cluster/user/context entry, a server that is not https://,
 * insecure-skip-tls-verify, exec/auth-provider credentials, bad base64.
 * Code CNI_ERR_KUBERNETES; messages never quote a secret. */
int k8s_kubeconfig_parse(const char *buf, size_t len, const char *base_dir,
			 struct k8s_config **ret, struct cni_err *err);
int k8s_kubeconfig_load(const char *path, struct k8s_config **ret,
			struct cni_err *err);
/* KUBERNETES_SERVICE_HOST/PORT from envp and sa_dir/{token,ca.crt}
 * (sa_dir NULL: K8S_SA_DIR). */
int k8s_config_in_cluster(char *const *envp, const char *sa_dir,
			  struct k8s_config **ret, struct cni_err *err);
void k8s_config_free(struct k8s_config *cfg);

/* Decode standard base64 (padding optional, whitespace skipped) into a
 * NUL-terminated buffer. 0 or -EINVAL. */
int k8s_base64_decode(const char *in, size_t len, char **ret, size_t *ret_len);

/* One API connection (libcurl; TLS always verified). */
struct k8s_client;

/* Reads the token file now; cfg must outlive the client. */
int k8s_client_new(const struct k8s_config *cfg, struct k8s_client **ret,
		   struct cni_err *err);
void k8s_client_free(struct k8s_client *c);
/* Every later request ends by this deadline (cni_deadline.h; 0: none):
 * its timeouts are cut to what is left, and once it passed a request
 * fails at once with code 11 (CNI_ERR_TRY_AGAIN). */
void k8s_client_set_deadline(struct k8s_client *c, int64_t deadline);
/* The timeouts of later requests (ms, each > 0), in place of the
 * config's connect_timeout_ms and timeout_ms. */
void k8s_client_set_timeouts(struct k8s_client *c, int connect_ms,
			     int total_ms);
/* Requests sent so far (each retry counts). */
unsigned k8s_client_requests(const struct k8s_client *c);

/* GET a pod (retried while it answers 404, as a new pod may not be
 * visible yet) or a NetworkAttachmentDefinition. A missing object gives
 * -ENOENT with code CNI_ERR_SELECTION; 401/403 -EACCES, other HTTP and
 * transport failures -EIO, code CNI_ERR_KUBERNETES. ns and name must be
 * DNS-1123 names. */
int k8s_pod_get(struct k8s_client *c, const char *ns, const char *name,
		json_object **ret, struct cni_err *err);
int k8s_nad_get(struct k8s_client *c, const char *ns, const char *name,
		json_object **ret, struct cni_err *err);
/* Set the pod's k8s.v1.cni.cncf.io/network-status annotation to
 * status_json (a JSON list as text) with one JSON merge patch
 * (k8s_status_patch); with a uid (not NULL, not "") only on the pod of
 * that UID: another pod of the same name answers 422. */
int k8s_pod_patch_network_status(struct k8s_client *c, const char *ns,
				 const char *name, const char *uid,
				 const char *status_json, struct cni_err *err);

/* Any request: method ("GET", "POST", "PUT", "DELETE", ...), an API path
 * with its query (already escaped), a body (NULL: none) sent with
 * content_type (NULL: application/json). 0 when the server answered,
 * whatever the status: *ret_status gets it and *ret_body the answer when
 * it is a JSON object, else NULL (the caller frees it). A transport
 * failure (no answer) fails with code CNI_ERR_KUBERNETES; an answer
 * larger than K8S_RESPONSE_MAX with code CNI_ERR_TOO_LARGE, -EFBIG
 * (cni_err_too_large naming the path: a list asks for a smaller page).
 * No retries. */
int k8s_request(struct k8s_client *c, const char *method, const char *path,
		const char *content_type, const char *body, long *ret_status,
		json_object **ret_body, struct cni_err *err);
/* k8s_request asking for accept (NULL: application/json), such as a
 * server-side transformation ("application/json;as=...;g=...;v=..."). */
int k8s_request_accept(struct k8s_client *c, const char *method,
		       const char *path, const char *accept,
		       const char *content_type, const char *body,
		       long *ret_status, json_object **ret_body,
		       struct cni_err *err);

/* k8s_request's GET without the parse: the answer's bytes, NUL-ended
 * (NULL when empty; the caller frees them), whatever the status, for a
 * reader that parses a large answer a piece at a time. */
int k8s_get_text(struct k8s_client *c, const char *path, long *ret_status,
		 char **ret_text, size_t *ret_len, struct cni_err *err);

/* A watch stream: GET path (a list path with "watch=1" in its query),
 * each line of a 200 answer handed to on_line as it arrives (at most
 * K8S_RESPONSE_MAX bytes a line; the line is NUL-terminated, without its
 * '\n'); on_line returning non-zero ends the stream. Blocks until the
 * server ends the stream, the connection drops, nothing arrived for
 * idle_s seconds, or stop(ctx) returns true (asked at least once a
 * second). 0 when the server answered (*ret_status its status; the body
 * of another status than 200 is dropped), else a transport failure, code
 * CNI_ERR_KUBERNETES (a stop or an on_line refusal too: -ECANCELED; a
 * line over the bound: CNI_ERR_TOO_LARGE, -EFBIG). */
int k8s_watch(struct k8s_client *c, const char *path, int idle_s,
	      int (*on_line)(void *ctx, char *line, size_t len),
	      bool (*stop)(void *ctx), void *ctx, long *ret_status,
	      struct cni_err *err);

/* Turn an HTTP answer into an object: 2xx parses the body (must be a JSON
 * object); an error status takes the message of a Kubernetes Status body
 * when there is one. `what` names the request in messages. */
int k8s_response_parse(long status, const char *buf, size_t len,
		       const char *what, json_object **ret,
		       struct cni_err *err);

/* [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 bytes. */
bool k8s_name_is_label(const char *s);
/* DNS-1123 labels joined by '.', at most 253 bytes (object names). */
bool k8s_name_is_subdomain(const char *s);

/* The JSON merge patch that sets a pod's network-status annotation to
 * status_json (a JSON list as text): {"metadata": {"annotations": {...}}},
 * plus "uid" in metadata when uid is neither NULL nor "" (the API server
 * then refuses the patch, 422, if the pod by that name is another one).
 * NULL when out of memory. */
json_object *k8s_status_patch(const char *status_json, const char *uid);

#endif
