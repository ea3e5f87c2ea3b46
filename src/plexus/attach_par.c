// SPDX-License-Identifier: Apache-2.0
/* Parallel ADD (or DEL) of one group of attachments: a forked process
 * each, its result and error sent back as one JSON message over a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach.h"
#include "attach_par.h"
#include "cache.h"
#include "cni_conf.h"
#include "cni_deadline.h"
#include "cni_error.h"
#include "cni_exec.h"
#include "cni_json.h"
#include "cni_log.h"
#include "plan.h"

/* A message larger than this is refused: a result is at most
 * CNI_EXEC_OUTPUT_MAX, and an error a few KiB. */
#define PAR_MSG_MAX (CNI_EXEC_OUTPUT_MAX + 64 * 1024)
/* Delegate calls a process carries back for the observer (plexusd's
 * report keeps 64 a verb). */
#define PAR_CALLS_MAX 64
/* How long after its own deadlines a process is killed. */
#define PAR_GRACE_MS 1000

/* One forked attachment. */
struct par_child {
	size_t att; /* index in the plan */
	pid_t pid;
	int fd; /* the pipe's read end; -1 once read to its end */
	char *buf;
	size_t len, cap;
	bool too_big;
	bool killed; /* past the group's deadline */
	bool del;    /* DEL, not ADD */
};

static void write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, s, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		len -= (size_t)w;
	}
}

/* the forked process' observer: each delegate call into a JSON list
 * ({cmd, network, type, ms, code}), for the parent's observer */
static void calls_record(void *octx, enum cni_cmd cmd, const char *network,
			 const char *type, double ms, int code)
{
	json_object *calls = octx, *c;

	if (!calls || json_object_array_length(calls) >= PAR_CALLS_MAX ||
	    !(c = json_object_new_object()))
		return;
	json_object_object_add(c, "cmd", json_object_new_int((int)cmd));
	json_object_object_add(c, "network",
			       json_object_new_string(network ? network : ""));
	json_object_object_add(c, "type",
			       json_object_new_string(type ? type : ""));
	json_object_object_add(c, "ms", json_object_new_double(ms));
	json_object_object_add(c, "code", json_object_new_int(code));
	json_object_array_add(calls, c);
}

/* The forked process: ADD (or DEL) attachment k, send {rc, code, msg,
 * details, result, calls} and leave without running the parent's exit
 * handlers. */
static void __attribute__((noreturn))
child_main(const struct attach_ctx *pctx, const struct plexus_record *rec,
	   size_t k, bool del, int fd)
{
	const struct plexus_attachment *a = &rec->plan->att[k];
	struct attach_ctx ctx = *pctx;
	struct cni_err e = { 0 };
	json_object *slot = NULL, *msg = json_object_new_object();
	json_object *calls = pctx->observe ? json_object_new_array() : NULL;
	int r;
	const char *s;

	if (calls) { /* the parent's observer is told when it reads them */
		ctx.observe = calls_record;
		ctx.observe_ctx = calls;
	}
	r = del ? attach_one_del(&ctx, a, rec->results[k], &e)
		: attach_one_add(&ctx, a, &slot, &e);
	if (msg) {
		json_object_object_add(msg, "calls", calls);
		json_object_object_add(msg, "rc", json_object_new_int(r));
		json_object_object_add(msg, "code",
				       json_object_new_int(e.code));
		json_object_object_add(msg, "msg",
				       json_object_new_string(e.msg));
		json_object_object_add(msg, "details",
				       json_object_new_string(e.details));
		json_object_object_add(msg, "result", slot);
		s = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
		if (s)
			write_all(fd, s, strlen(s));
	}
	fflush(NULL); /* only this process' own log lines are buffered */
	_exit(0);
}

static int spawn(const struct attach_ctx *ctx, const struct plexus_record *rec,
		 struct par_child *c)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL); /* nothing buffered is written twice */
	c->pid = fork();
	if (c->pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (c->pid == 0) {
		close(fds[0]);
		child_main(ctx, rec, c->att, c->del, fds[1]);
	}
	close(fds[1]);
	c->fd = fds[0];
	return 0;
}

/* Read what is there; at the end (or past PAR_MSG_MAX) close the fd. */
static void child_read(struct par_child *c)
{
	char chunk[65536];
	ssize_t n = read(c->fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0 && c->len + (size_t)n + 1 > PAR_MSG_MAX)
		c->too_big = true;
	if (n > 0 && !c->too_big && c->len + (size_t)n + 1 > c->cap) {
		size_t cap = (c->len + (size_t)n + 1) * 2;
		char *b = realloc(c->buf, cap);

		if (!b)
			c->too_big = true;
		else
			c->buf = b, c->cap = cap;
	}
	if (n > 0 && !c->too_big) {
		memcpy(c->buf + c->len, chunk, (size_t)n);
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
	}
	if (n <= 0 || c->too_big) {
		close(c->fd);
		c->fd = -1;
	}
}

/* Read every pipe to its end, or until d: then the processes still
 * writing are killed (their fds closed, their messages missing). */
static void collect(struct par_child *cs, size_t n, int64_t d)
{
	struct pollfd *pf = calloc(n, sizeof(*pf));

	for (;;) {
		size_t open_n = 0;
		int t = (int)cni_deadline_left(d, 1000);

		for (size_t i = 0; pf && i < n; i++) {
			pf[i] = (struct pollfd){ .fd = cs[i].fd,
						 .events = POLLIN };
			open_n += cs[i].fd >= 0;
		}
		if (!pf || open_n == 0 || cni_deadline_passed(d))
			break;
		if (poll(pf, n, t) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < n; i++)
			if (cs[i].fd >= 0 && pf[i].revents)
				child_read(&cs[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (cs[i].fd < 0)
			continue;
		kill(cs[i].pid, SIGKILL);
		cs[i].killed = true;
		close(cs[i].fd);
		cs[i].fd = -1;
		free(cs[i].buf);
		cs[i].buf = NULL;
		cs[i].len = 0;
	}
	free(pf);
}

/* The latest a group's processes may take: for each, delegateTimeout per
 * plugin of its chain (what its own deadlines allow), and a grace. */
static int64_t group_deadline(const struct attach_ctx *ctx,
			      const struct plexus_record *rec,
			      const struct par_child *cs, size_t n)
{
	int64_t per = ctx->timeout_ms > 0 ? ctx->timeout_ms
					  : CNI_EXEC_TIMEOUT_MS_DEFAULT;
	size_t most = 1;

	for (size_t i = 0; i < n; i++) {
		size_t np = rec->plan->att[cs[i].att].conf->n_plugins;

		if (np > most)
			most = np;
	}
	return cni_deadline_after(per * (int64_t)most + PAR_GRACE_MS);
}

static const char *msg_str(json_object *msg, const char *key)
{
	const char *s =
		json_object_get_string(json_object_object_get(msg, key));

	return s ? s : "";
}

/* the delegate calls a process made, told to the parent's observer (in
 * its order; an entry not of the expected shape is passed over) */
static void calls_replay(const struct attach_ctx *ctx, json_object *msg)
{
	json_object *calls, *c, *cmd, *net, *type, *ms, *code;
	size_t n;

	if (!ctx->observe || !json_object_object_get_ex(msg, "calls", &calls) ||
	    !json_object_is_type(calls, json_type_array))
		return;
	n = json_object_array_length(calls);
	for (size_t i = 0; i < n && i < PAR_CALLS_MAX; i++) {
		c = json_object_array_get_idx(calls, i);
		if (!json_object_object_get_ex(c, "cmd", &cmd) ||
		    !json_object_object_get_ex(c, "network", &net) ||
		    !json_object_object_get_ex(c, "type", &type) ||
		    !json_object_object_get_ex(c, "ms", &ms) ||
		    !json_object_object_get_ex(c, "code", &code) ||
		    !json_object_is_type(cmd, json_type_int) ||
		    !json_object_is_type(net, json_type_string) ||
		    !json_object_is_type(type, json_type_string) ||
		    !json_object_is_type(code, json_type_int))
			continue;
		ctx->observe(ctx->observe_ctx,
			     (enum cni_cmd)json_object_get_int(cmd),
			     json_object_get_string(net),
			     json_object_get_string(type),
			     json_object_get_double(ms),
			     json_object_get_int(code));
	}
}

/* The message of child c into its slot of results (ADD; NULL for DEL)
 * and e; its return code; its delegate calls told to ctx's observer. */
static int child_finish(const struct attach_ctx *ctx, struct par_child *c,
			const struct plexus_record *rec, json_object **results,
			struct cni_err *e)
{
	const struct plexus_attachment *a = &rec->plan->att[c->att];
	const char *verb = c->del ? "DEL" : "ADD";
	json_object *msg = NULL, *v;
	int status = 0, r;

	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!c->buf ||
	    cni_json_parse_max(c->buf, c->len, PAR_MSG_MAX, "parallel ADD",
			       &msg, NULL) < 0 ||
	    !json_object_is_type(msg, json_type_object)) {
		json_object_put(msg);
		if (c->killed)
			return cni_errf(e, CNI_ERR_DELEGATE_TIMEOUT,
					"network \"%s\" (%s): its %s process "
					"outlived its deadlines and was killed",
					a->network, a->ifname, verb);
		return cni_errf(e, CNI_ERR_DELEGATE_FAILED,
				"network \"%s\" (%s): its %s process ended "
				"(status 0x%x) without an answer",
				a->network, a->ifname, verb, (unsigned)status);
	}
	r = json_object_get_int(json_object_object_get(msg, "rc"));
	e->code = json_object_get_int(json_object_object_get(msg, "code"));
	snprintf(e->msg, sizeof(e->msg), "%s", msg_str(msg, "msg"));
	snprintf(e->details, sizeof(e->details), "%s", msg_str(msg, "details"));
	if (results && json_object_object_get_ex(msg, "result", &v) &&
	    !json_object_is_type(v, json_type_null))
		results[c->att] = json_object_get(v);
	calls_replay(ctx, msg);
	json_object_put(msg);
	if (r < 0 && !e->code)
		cni_errf(e, CNI_ERR_DELEGATE_FAILED, "network \"%s\" (%s): %s",
			 a->network, a->ifname, strerror(-r));
	return r < 0 ? r : 0;
}

/* The first failure (plan order) becomes err, the others its details. */
static int report(const int *rcs, const struct cni_err *es, size_t n,
		  struct cni_err *err)
{
	int first = 0;

	for (size_t i = 0; i < n; i++) {
		if (rcs[i] == 0)
			continue;
		if (first == 0) {
			first = rcs[i];
			if (err)
				*err = es[i];
		} else {
			cni_err_add_details(err, "%s", es[i].msg);
		}
	}
	return first;
}

/* Wait for the processes of cs[0..n) and fill results (ADD) and the
 * errors. */
static void finish_all(const struct attach_ctx *ctx, struct par_child *cs,
		       size_t n, const struct plexus_record *rec,
		       json_object **results, int *rcs, struct cni_err *es)
{
	for (size_t i = 0; i < n; i++) {
		if (cs[i].pid > 0)
			rcs[i] =
				child_finish(ctx, &cs[i], rec, results, &es[i]);
		free(cs[i].buf);
	}
}

/* Run idx[0..n) at once (DEL when results is NULL), their outcomes into
 * rcs[0..n) and es[0..n). */
static int par_run(const struct attach_ctx *ctx,
		   const struct plexus_record *rec, json_object **results,
		   const size_t *idx, size_t n, int *rcs, struct cni_err *es)
{
	struct par_child *cs = calloc(n, sizeof(*cs));

	if (!cs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		cs[i] = (struct par_child){ .att = idx[i],
					    .fd = -1,
					    .del = !results };
		rcs[i] = spawn(ctx, rec, &cs[i]);
		if (rcs[i] < 0)
			cni_errf(&es[i], CNI_ERR_INTERNAL,
				 "network \"%s\": fork: %s",
				 rec->plan->att[idx[i]].network,
				 strerror(-rcs[i]));
	}
	collect(cs, n, group_deadline(ctx, rec, cs, n));
	finish_all(ctx, cs, n, rec, results, rcs, es);
	free(cs);
	return 0;
}

int attach_par_run(const struct attach_ctx *ctx, struct plexus_record *rec,
		   const size_t *idx, size_t n, struct cni_err *err)
{
	struct cni_err *es = calloc(n, sizeof(*es));
	int *rcs = calloc(n, sizeof(*rcs)), r = -ENOMEM;

	if (es && rcs)
		r = par_run(ctx, rec, rec->results, idx, n, rcs, es);
	if (r == 0)
		r = report(rcs, es, n, err);
	free(es);
	free(rcs);
	return r;
}

void attach_par_del(const struct attach_ctx *ctx,
		    const struct plexus_record *rec, const size_t *idx,
		    size_t n, int *rcs, struct cni_err *es)
{
	struct cni_err *e = calloc(n, sizeof(*e));
	int *r = calloc(n, sizeof(*r));

	if (!e || !r || par_run(ctx, rec, NULL, idx, n, r, e) < 0) {
		for (size_t i = 0; i < n; i++) /* no memory: one by one */
			rcs[idx[i]] = attach_one_del(
				ctx, &rec->plan->att[idx[i]],
				rec->results[idx[i]], &es[idx[i]]);
	} else {
		for (size_t i = 0; i < n; i++) {
			rcs[idx[i]] = r[i];
			es[idx[i]] = e[i];
		}
	}
	free(e);
	free(r);
}
