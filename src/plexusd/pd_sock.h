/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_SOCK_H
#define PLEXUS_PD_SOCK_H

#include <poll.h>
#include <stddef.h>
#include <json-c/json.h>

struct cni_err;
struct pd_sock;

/* The socket plexus asks first (docs/plexusd.md, "The socket"). One
 * request a line, answered in order, several per connection:
 *   POD <namespace> <name> <uid>\n   NAD <namespace> <name>\n
 *   CLAIM <namespace> <name>\n (an IPAMClaim, for plexus-ipam)
 * answered "OK <object as one line of JSON>\n", "UNKNOWN\n" (not cached;
 * a pod after a wait of PD_SOCK_WAIT_MS and a fetch that did not find
 * it), "MISMATCH\n" (the cached or fetched pod has another uid), "NOTREADY\n" (not listed yet), or "ERR <why>\n" and
 * the connection closed (malformed, oversized, a peer that is not
 * root);
 *   STATUS <namespace> <name> <uid> <network-status JSON list>\n
 * answered when the patch is done: "OK\n", "GONE <why>\n" (404),
 * "FAILED <why>\n", or at once "MISMATCH", "UNKNOWN", "NOTREADY",
 * "BUSY" (plexus then writes it itself);
 *   RESULT <verb> <code> <us> <fallbacks>\n
 *   CALL <verb> <code> <us> <network> <type>\n
 * (after a verb, fire-and-forget: never answered; network and type
 * percent-encoded). */
#define PD_SOCK_LINE_MAX   512	 /* a request line with its '\n' */
#define PD_SOCK_STATUS_MAX 65536 /* a STATUS line with its '\n' */
#define PD_SOCK_LABEL_MAX  128	 /* a CALL's network or type, decoded */
#define PD_SOCK_WAIT_MS	   100
#define PD_SOCK_IDLE_MS	   2000 /* a connection without a request */
#define PD_SOCK_MAX_CONNS  64

enum pd_sock_verb {
	PD_SOCK_POD,
	PD_SOCK_NAD,
	PD_SOCK_STATUS,
	PD_SOCK_RESULT,
	PD_SOCK_CALL,
	PD_SOCK_CLAIM,
};

/* the CNI verbs a RESULT or CALL reports */
enum pd_cni_verb {
	PD_VERB_ADD,
	PD_VERB_DEL,
	PD_VERB_CHECK,
	PD_VERBS,
};

struct pd_sock_req {
	enum pd_sock_verb verb;
	char ns[64];
	char name[254];
	char uid[65];	  /* POD, STATUS */
	const char *body; /* STATUS: the JSON, inside the parsed line */
	size_t body_len;
	/* RESULT, CALL */
	enum pd_cni_verb cni_verb;
	unsigned code;	       /* the CNI error code, 0 for success */
	unsigned long long us; /* its duration, microseconds */
	unsigned fallbacks;    /* RESULT: requests plexus made itself */
	char network[PD_SOCK_LABEL_MAX + 1]; /* CALL, decoded */
	char type[PD_SOCK_LABEL_MAX + 1];
};

/* One request line without its '\n': the verb, single spaces, then its
 * fields: a DNS-1123 label namespace, a DNS-1123 subdomain name, a uid
 * of 1..64 bytes of [0-9A-Za-z-]; STATUS's JSON a list of objects, the
 * whole rest of the line; RESULT and CALL's verb ADD, DEL or CHECK, a
 * code 0..999, microseconds up to an hour, fallbacks up to 999, network
 * and type percent-encoded printable ASCII of 1..PD_SOCK_LABEL_MAX bytes
 * decoded. At most PD_SOCK_LINE_MAX - 1 bytes (STATUS:
 * PD_SOCK_STATUS_MAX - 1). 0, or -EINVAL. */
int pd_sock_parse(const char *line, size_t len, struct pd_sock_req *ret);

enum pd_sock_result {
	PD_SOCK_SERVED,
	PD_SOCK_UNKNOWN,
	PD_SOCK_MISMATCH,
	PD_SOCK_NOTREADY,
	PD_SOCK_MALFORMED,
	PD_SOCK_NOT_ROOT,
	PD_SOCK_BUSY,
	PD_SOCK_STATUS_PATCHED, /* STATUS: patched by plexusd */
	PD_SOCK_STATUS_DIRECT,	/* STATUS: left to plexus (any other) */
	PD_SOCK_REPORTED,	/* RESULT and CALL lines taken */
	PD_SOCK_RESULTS,
};

/* The cache lookup: 0 and the object's JSON text (malloc'ed), -ENOENT,
 * -ESTALE (uid mismatch), -EAGAIN (not synced). */
typedef int (*pd_sock_lookup)(void *ctx, const struct pd_sock_req *req,
			      char **ret_json);
typedef void (*pd_sock_counter)(void *ctx, enum pd_sock_result res);

/* STATUS: queue the patch of req (identity checked against the cache
 * already), to be answered by pd_sock_status_done with id; 0, or <0 when
 * it cannot be queued (answered BUSY). RESULT, CALL: take the report. */
typedef int (*pd_sock_status_fn)(void *ctx, unsigned long long id,
				 const struct pd_sock_req *req);
typedef void (*pd_sock_report_fn)(void *ctx, const struct pd_sock_req *req);

/* POD: the pod was not cached after the wait; queue its fetch, answered
 * by pd_sock_fetch_done with id; 0, or <0 (answered UNKNOWN). */
typedef int (*pd_sock_fetch_fn)(void *ctx, unsigned long long id,
				const struct pd_sock_req *req);

/* Bind path (a stale socket there is replaced; anything else refused),
 * mode 0600, its dir created 0700 when missing. Code 5/7. */
int pd_sock_open(const char *path, pd_sock_lookup lookup, pd_sock_counter count,
		 void *ctx, struct pd_sock **ret, struct cni_err *err);
/* Without them STATUS is answered BUSY and reports are dropped. */
void pd_sock_set_hooks(struct pd_sock *s, pd_sock_status_fn status,
		       pd_sock_report_fn report);
/* Without it a pod not cached after the wait is UNKNOWN. */
void pd_sock_set_fetch(struct pd_sock *s, pd_sock_fetch_fn fetch);
/* The fetch of id is done: pod the API's answer (NULL: none, a 404, a
 * failure), answered OK (cut down as the cache does) when its uid is
 * the one asked for, MISMATCH when another, else UNKNOWN: 0, -ESTALE,
 * -ENOENT as answered; -ECONNRESET when the asker is gone. */
int pd_sock_fetch_done(struct pd_sock *s, unsigned long long id,
		       json_object *pod, long long now_ms);
/* The STATUS of id is done: send answer ("OK", "GONE <why>", ...) on its
 * connection (gone already: nothing). */
void pd_sock_status_done(struct pd_sock *s, unsigned long long id,
			 const char *answer, long long now_ms);
/* Close every connection and remove the socket file. */
void pd_sock_close(struct pd_sock *s);

size_t pd_sock_nfds(const struct pd_sock *s);
size_t pd_sock_fill(struct pd_sock *s, struct pollfd *fds);
void pd_sock_handle(struct pd_sock *s, const struct pollfd *fds, size_t n,
		    long long now_ms);
/* the caches changed: answer the requests waiting for a pod */
void pd_sock_changed(struct pd_sock *s, long long now_ms);
/* ms until the next deadline, -1 when none */
int pd_sock_timeout(const struct pd_sock *s, long long now_ms);

#endif
