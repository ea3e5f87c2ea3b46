// SPDX-License-Identifier: Apache-2.0
/* dl-threads: runs a native delegate's ops in-process from one thread per
 * pod at once, as the meta plugin will: ADD, CHECK with the ADD's result
 * (spec 0.4.0 on), DEL. Each thread must end in the netns it started in. Prints one line
 * per pod and exits 0 only if every step of every pod succeeded.
 *
 *   dl-threads KIND CONFFILE NETNS-PATH...   (CNI_PATH from the env) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cni_error.h"
#include "cni_json.h"
#include "delegate.h"

struct job {
	const struct delegate_ops *ops;
	const char *conf_text;
	char cid[32];
	char *netns;
	char msg[CNI_ERR_MSG_MAX + 64];
	int ok;
};

static ino_t own_netns(void)
{
	struct stat st;

	return stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
}

/* One pod: ADD, CHECK against the ADD's result, DEL. */
static int job_steps(struct job *j, struct delegate_req *req,
		     struct cni_err *err)
{
	struct cni_result *res = NULL;
	struct cni_env *env = (struct cni_env *)req->env;
	int r;

	env->cmd = CNI_CMD_ADD;
	r = j->ops->add(req, &res, err);
	if (r < 0)
		return r;
	json_object_object_add(req->conf, "prevResult",
			       cni_result_to_json(res, req->ver));
	cni_result_free(res);
	env->cmd = CNI_CMD_CHECK; /* as the mains: not before 0.4.0 */
	r = cni_version_supports_check(req->ver) ? j->ops->check(req, err) : 0;
	if (r < 0)
		return r;
	env->cmd = CNI_CMD_DEL;
	return j->ops->del(req, err);
}

static void *job_run(void *arg)
{
	struct job *j = arg;
	struct cni_env env = { .container_id = j->cid,
			       .netns = j->netns,
			       .ifname = "eth0",
			       .path = getenv("CNI_PATH") };
	struct delegate_req req = { .env = &env };
	struct cni_err err = { 0 };
	const char *v = NULL;
	ino_t before = own_netns();
	int r;

	/* a config of its own: json-c objects are not shared across threads */
	r = cni_json_parse(j->conf_text, strlen(j->conf_text), "conf",
			   &req.conf, &err);
	if (r == 0)
		r = cni_json_get_string(req.conf, "cniVersion", "cniVersion",
					&v, &err);
	if (r == 0)
		r = cni_version_parse(v, "cniVersion", &req.ver, &err);
	if (r == 0)
		r = job_steps(j, &req, &err);
	json_object_put(req.conf);
	if (own_netns() != before)
		snprintf(j->msg, sizeof(j->msg),
			 "thread left in another netns");
	else if (r < 0)
		snprintf(j->msg, sizeof(j->msg), "code %d: %s", err.code,
			 err.msg);
	else
		j->ok = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	const struct delegate_ops *ops;
	struct cni_err err = { 0 };
	struct job *jobs;
	pthread_t *th;
	char *text = NULL;
	size_t len, n, failed = 0;

	if (argc < 4 || !(ops = delegate_find(argv[1])) ||
	    cni_read_file(argv[2], &text, &len, &err) < 0) {
		fprintf(stderr, "usage: dl-threads KIND CONFFILE NETNS...\n");
		return 2;
	}
	n = (size_t)argc - 3;
	jobs = calloc(n, sizeof(*jobs));
	th = calloc(n, sizeof(*th));
	for (size_t i = 0; jobs && th && i < n; i++) {
		jobs[i].ops = ops;
		jobs[i].conf_text = text;
		jobs[i].netns = argv[3 + i];
		snprintf(jobs[i].cid, sizeof(jobs[i].cid), "thr-%zu", i);
		pthread_create(&th[i], NULL, job_run, &jobs[i]);
	}
	for (size_t i = 0; jobs && th && i < n; i++) {
		pthread_join(th[i], NULL);
		printf("%s %s %s\n", jobs[i].ok ? "ok" : "FAIL", jobs[i].netns,
		       jobs[i].msg);
		failed += !jobs[i].ok;
	}
	free(jobs);
	free(th);
	free(text);
	return failed || n == 0 ? 1 : 0;
}
