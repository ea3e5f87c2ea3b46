/* SPDX-License-Identifier: Apache-2.0 */
/* plexus' side of plexusd's socket (pdclient.c) against a fake plexusd
 * on a unix socket: DEL's network-status (the empty list) goes through
 * plexusd as ADD's does, the same STATUS line; OK and GONE are final
 * (no fallback); a plexusd that never answers (stopped) is given up
 * after PDCLIENT_DEL_STATUS_MS and the write goes direct, counted as a
 * fallback; a DEL's pod lookup never asks plexusd and is not counted. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "cni_deadline.h"
#include "cni_error.h"
#include "nadsrc.h"
#include "netstatus.h"
#include "pdclient.h"
#include "plan.h"
#include "plexus_conf.h"

struct fake_pd {
	char dir[32], path[64];
	int lfd;
	const char *reply; /* NULL: accept nothing (a stopped plexusd) */
	char line[256];	   /* the first request line received */
	pthread_t thread;
	bool running;
};

/* one connection: read one line, answer it, wait for plexus to close */
static void *serve(void *arg)
{
	struct fake_pd *f = arg;
	size_t len = 0;
	char c;
	int fd = accept(f->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	while (len + 1 < sizeof(f->line) && read(fd, &c, 1) == 1 && c != '\n')
		f->line[len++] = c;
	f->line[len] = '\0';
	if (write(fd, f->reply, strlen(f->reply)) < 0)
		f->line[0] = '\0';
	while (read(fd, &c, 1) == 1)
		;
	close(fd);
	return NULL;
}

static void fake_start(struct fake_pd *f, const char *reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/pq3-pdc.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/pd.sock", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	f->reply = reply;
	if (reply) {
		assert_int_equal(pthread_create(&f->thread, NULL, serve, f), 0);
		f->running = true;
	}
}

static void fake_stop(struct fake_pd *f)
{
	if (f->running)
		pthread_join(f->thread, NULL);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
}

/* a plan of pod default/p1 of uid u1 */
static struct plexus_plan *plan_p1(void)
{
	struct plexus_plan *p = plexus_plan_new();

	assert_non_null(p);
	p->pod_namespace = strdup("default");
	p->pod_name = strdup("p1");
	p->pod_uid = strdup("u1");
	return p;
}

/* the direct source: a kubeconfig that does not exist (opening it
 * fails, so a fallback shows as an error, and nothing is sent) */
static void conf_for(struct plexus_conf *c, struct fake_pd *f)
{
	memset(c, 0, sizeof(*c));
	c->plexusd_socket = f->path;
	c->kubeconfig = "/nonexistent/pq3-kubeconfig";
}

static int clear_via(struct fake_pd *f, enum pdclient_mode mode,
		     unsigned *ret_fallbacks, int64_t *ret_ms,
		     struct cni_err *err)
{
	struct plexus_conf c;
	struct plexus_plan *plan = plan_p1();
	struct nad_source *src = NULL;
	int64_t t0 = cni_now_ms();
	int r;

	conf_for(&c, f);
	assert_int_equal(pdclient_open(&c, "u1", 0, mode, &src, err), 0);
	r = netstatus_clear(src, plan, err);
	*ret_ms = cni_now_ms() - t0;
	*ret_fallbacks = pdclient_fallbacks(src);
	nad_source_free(src);
	plexus_plan_free(plan);
	return r;
}

static void test_pdclient__del_clear_through_plexusd(void **state)
{
	struct fake_pd f;
	struct cni_err err = { 0 };
	unsigned fb;
	int64_t ms;

	(void)state;
	fake_start(&f, "OK\n");
	assert_int_equal(clear_via(&f, PDCLIENT_DEL, &fb, &ms, &err), 0);
	fake_stop(&f);
	assert_string_equal(f.line, "STATUS default p1 u1 " NETSTATUS_CLEARED);
	assert_int_equal(fb, 0);
}

static void test_pdclient__del_pod_gone(void **state)
{
	struct fake_pd f;
	struct cni_err err = { 0 };
	unsigned fb;
	int64_t ms;

	(void)state;
	fake_start(&f, "GONE 404 pods \"p1\" not found\n");
	assert_int_equal(clear_via(&f, PDCLIENT_DEL, &fb, &ms, &err), -ENOENT);
	fake_stop(&f);
	assert_non_null(strstr(err.msg, "GONE"));
	assert_int_equal(fb, 0);
}

/* UNKNOWN (not cached) or FAILED: written directly, counted */
static void test_pdclient__del_miss_direct(void **state)
{
	static const char *const replies[] = { "UNKNOWN\n", "MISMATCH\n",
					       "FAILED 500\n", "NOTREADY\n" };

	(void)state;
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		struct fake_pd f;
		struct cni_err err = { 0 };
		unsigned fb;
		int64_t ms;
		int r;

		fake_start(&f, replies[i]);
		r = clear_via(&f, PDCLIENT_DEL, &fb, &ms, &err);
		fake_stop(&f);
		/* the direct source could not be opened: its error */
		if (r >= 0 || fb != 1)
			fail_msg("%s: r %d, fallbacks %u", replies[i], r, fb);
	}
}

/* a plexusd that takes the line and never answers (SIGSTOP): DEL gives
 * it up after PDCLIENT_DEL_STATUS_MS, not ADD's PDCLIENT_STATUS_MS */
static void test_pdclient__del_stopped_short_deadline(void **state)
{
	struct fake_pd f;
	struct cni_err err = { 0 };
	unsigned fb;
	int64_t ms;

	(void)state;
	fake_start(&f, NULL);
	assert_true(clear_via(&f, PDCLIENT_DEL, &fb, &ms, &err) < 0);
	fake_stop(&f);
	assert_int_equal(fb, 1);
	if (ms < PDCLIENT_DEL_STATUS_MS || ms >= PDCLIENT_STATUS_MS)
		fail_msg("gave plexusd up after %lld ms", (long long)ms);
}

/* no plexusd at all: at once, direct, counted */
static void test_pdclient__del_absent(void **state)
{
	struct fake_pd f;
	struct cni_err err = { 0 };
	unsigned fb;
	int64_t ms;

	(void)state;
	fake_start(&f, NULL);
	fake_stop(&f); /* the socket file removed */
	assert_true(clear_via(&f, PDCLIENT_DEL, &fb, &ms, &err) < 0);
	assert_int_equal(fb, 1);
	assert_true(ms < PDCLIENT_DEL_STATUS_MS);
}

/* a DEL without a record reads the pod: from the API, never plexusd,
 * and it is no fallback; the STATUS still goes to plexusd */
static void test_pdclient__del_lookup_direct(void **state)
{
	struct fake_pd f;
	struct plexus_conf c;
	struct nad_source *src = NULL;
	struct cni_err err = { 0 };
	json_object *pod = NULL;

	(void)state;
	fake_start(&f, "OK\n");
	conf_for(&c, &f);
	assert_int_equal(pdclient_open(&c, "u1", 0, PDCLIENT_DEL, &src, &err),
			 0);
	assert_true(src->ops->get_pod(src->ctx, "default", "p1", &pod, &err) <
		    0);
	assert_int_equal(pdclient_fallbacks(src), 0);
	assert_int_equal(src->ops->put_network_status(src->ctx, "default", "p1",
						      "u1", "[]", &err),
			 0);
	nad_source_free(src);
	fake_stop(&f);
	assert_string_equal(f.line, "STATUS default p1 u1 []");
}

/* ADD asks plexusd for the pod: a miss is a fallback */
static void test_pdclient__add_lookup_asks(void **state)
{
	struct fake_pd f;
	struct plexus_conf c;
	struct nad_source *src = NULL;
	struct cni_err err = { 0 };
	json_object *pod = NULL;

	(void)state;
	fake_start(&f, "UNKNOWN\n");
	conf_for(&c, &f);
	assert_int_equal(pdclient_open(&c, "u1", 0, PDCLIENT_ADD, &src, &err),
			 0);
	assert_true(src->ops->get_pod(src->ctx, "default", "p1", &pod, &err) <
		    0);
	assert_int_equal(pdclient_fallbacks(src), 1);
	nad_source_free(src);
	fake_stop(&f);
	assert_string_equal(f.line, "POD default p1 u1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pdclient__del_clear_through_plexusd),
		cmocka_unit_test(test_pdclient__del_pod_gone),
		cmocka_unit_test(test_pdclient__del_miss_direct),
		cmocka_unit_test(test_pdclient__del_stopped_short_deadline),
		cmocka_unit_test(test_pdclient__del_absent),
		cmocka_unit_test(test_pdclient__del_lookup_direct),
		cmocka_unit_test(test_pdclient__add_lookup_asks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
