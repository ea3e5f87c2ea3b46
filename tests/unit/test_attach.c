// SPDX-License-Identifier: Apache-2.0
/* attach: delegates called in order through a fake exec; all-or-nothing
 * ADD with reverse rollback, DEL past failures, CHECK, STATUS, GC, merge. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../fakes/fake_exec.h"
#include "attach.h"
#include "cache.h"
#include "cni_conf.h"
#include "cni_env.h"
#include "cni_error.h"
#include "cni_json.h"
#include "cni_log.h"
#include "cni_result.h"
#include "plan.h"

#define NET_A "{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"type\":\"bridge\"}"
#define NET_B                                                   \
	"{\"cniVersion\":\"1.0.0\",\"name\":\"b\",\"plugins\":" \
	"[{\"type\":\"macvlan\"},{\"type\":\"tuning\"}]}"
#define NET_C "{\"cniVersion\":\"0.4.0\",\"name\":\"c\",\"type\":\"ipvlan\"}"

static struct cni_env env = {
	.cmd = CNI_CMD_ADD,
	.container_id = "c0ffee",
	.netns = "/var/run/netns/pod",
	.ifname = "eth0",
	.args_raw = "K8S_POD_NAME=web-0",
};

struct fixture {
	struct fake_exec fake;
	struct attach_ctx ctx;
	struct plexus_record *rec;
	char cache_path[64];
};

/* A record of the given networks: eth0, net1, net2, ... in order. */
static struct plexus_record *record_of(const char *const *confs, size_t n)
{
	struct plexus_plan *p = plexus_plan_new();
	struct plexus_record *rec;

	for (size_t i = 0; i < n; i++) {
		struct plexus_attachment a = { 0 };
		char ifname[16];

		assert_int_equal(cni_conflist_parse_str(confs[i],
							strlen(confs[i]), "t",
							&a.conf, NULL),
				 0);
		snprintf(ifname, sizeof(ifname), i ? "net%zu" : "eth0", i);
		a.ifname = strdup(ifname);
		a.network = strdup(a.conf->name);
		a.is_default = i == 0;
		assert_int_equal(plexus_plan_add(p, &a), 0);
	}
	rec = plexus_record_new(p);
	assert_non_null(rec);
	return rec;
}

static struct fixture *fixture_new(const char *const *confs, size_t n)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fake_exec_init(&fx->fake);
	fx->rec = record_of(confs, n);
	fx->ctx = (struct attach_ctx){ .lock_fd = -1,
				       .env = &env,
				       .exec = &fx->fake.ops,
				       .path = "/opt/cni/bin",
				       .netns = env.netns,
				       .timeout_ms = 1000 };
	return fx;
}

static void fixture_free(struct fixture *fx)
{
	if (fx->cache_path[0])
		unlink(fx->cache_path);
	fake_exec_clear(&fx->fake);
	plexus_record_free(fx->rec);
	free(fx);
}

static void expect_calls(const struct fake_exec *f, const char *const *want,
			 size_t n)
{
	char buf[128];

	for (size_t i = 0; i < f->n_calls; i++)
		print_message("  call %zu: %s\n", i,
			      fake_exec_call_str(f, i, buf, sizeof(buf)));
	assert_int_equal(f->n_calls, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(fake_exec_call_str(f, i, buf, sizeof(buf)),
				    want[i]);
}

static const char *addr_of(json_object *result)
{
	json_object *ips;

	if (!result || !json_object_object_get_ex(result, "ips", &ips))
		return NULL;
	return json_object_get_string(
		json_object_object_get(json_object_array_get_idx(ips, 0), "addr"
									  "es"
									  "s"));
}

static int setup(void **state)
{
	(void)state;
	cni_log_open(NULL, CNI_LOG_PANIC, "test"); /* keep stderr quiet */
	return 0;
}

static void test_attach_add__calls_in_order(void **state)
{
	static const char *const confs[] = { NET_A, NET_B, NET_C };
	static const char *const want[] = { "ADD bridge eth0",
					    "ADD macvlan net1",
					    "ADD tuning net1",
					    "ADD ipvlan net2" };
	struct fixture *fx = fixture_new(confs, 3);
	struct cni_err err = { 0 };
	json_object *v;

	(void)state;
	assert_int_equal(attach_add(&fx->ctx, fx->rec, &err), 0);
	expect_calls(&fx->fake, want, 4);
	assert_true(fx->rec->complete);
	assert_string_equal(addr_of(fx->rec->results[0]), "10.1.0.2/24");
	assert_string_equal(addr_of(fx->rec->results[1]), "10.2.0.2/24");
	assert_string_equal(addr_of(fx->rec->results[2]), "10.3.0.2/24");
	/* the chain's second plugin gets the first one's result */
	assert_null(fake_exec_prev(&fx->fake, 1));
	assert_string_equal(addr_of(fake_exec_prev(&fx->fake, 2)), "10.2.0.2/"
								   "24");
	/* stdin carries the list's name and version, env the container */
	assert_true(
		json_object_object_get_ex(fx->fake.calls[2].conf, "name", &v));
	assert_string_equal(json_object_get_string(v), "b");
	assert_string_equal(fx->fake.calls[3].container_id, "c0ffee");
	fixture_free(fx);
}

/* Failure at attachment k: k..0 deleted in reverse, each with what it
 * got so far as prevResult. */
static void test_attach_add__failure_rolls_back_in_reverse(void **state)
{
	static const char *const confs[] = { NET_A, NET_B, NET_C };
	static const struct {
		const char *type, *ifname;
		const char *want[12];
		size_t n;
	} cases[] = {
		{ "bridge",
		  "eth0",
		  { "ADD bridge eth0", "DEL bridge eth0" },
		  2 },
		{ "macvlan",
		  "net1",
		  { "ADD bridge eth0", "ADD macvlan net1", "DEL tuning net1",
		    "DEL macvlan net1", "DEL bridge eth0" },
		  5 },
		{ "tuning",
		  "net1",
		  { "ADD bridge eth0", "ADD macvlan net1", "ADD tuning net1",
		    "DEL tuning net1", "DEL macvlan net1", "DEL bridge eth0" },
		  6 },
		{ "ipvlan",
		  "net2",
		  { "ADD bridge eth0", "ADD macvlan net1", "ADD tuning net1",
		    "ADD ipvlan net2", "DEL ipvlan net2", "DEL tuning net1",
		    "DEL macvlan net1", "DEL bridge eth0" },
		  8 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture *fx = fixture_new(confs, 3);
		struct cni_err err = { 0 };
		const struct fake_exec *f = &fx->fake;
		size_t n = cases[i].n;

		print_message("failing %s\n", cases[i].type);
		fake_exec_fail(&fx->fake, cases[i].type, CNI_CMD_ADD,
			       cases[i].ifname, 11, "no luck");
		assert_int_equal(attach_add(&fx->ctx, fx->rec, &err), -EAGAIN);
		assert_int_equal(err.code, 11);
		assert_non_null(strstr(err.msg, "no luck"));
		assert_false(fx->rec->complete);
		expect_calls(f, cases[i].want, n);
		/* DEL eth0 (last call) gets eth0's result */
		if (n > 2)
			assert_string_equal(addr_of(fake_exec_prev(f, n - 1)),
					    "10.1.0.2/24");
		else
			assert_null(fake_exec_prev(f, n - 1));
		/* b's DELs: what b got before the failure, or nothing */
		if (i == 1)
			assert_null(fake_exec_prev(f, 2));
		if (i >= 2)
			assert_string_equal(addr_of(fake_exec_prev(f, n - 3)),
					    "10.2.0.2/24");
		fixture_free(fx);
	}
}

#define NET_D                                                         \
	"{\"cniVersion\":\"1.0.0\",\"name\":\"d\",\"type\":\"vlan\"," \
	"\"master\":"                                                 \
	"\"net1\",\"linkInContainer\":true}"

/* Parallel ADD: a group of more than one runs in forked processes (the
 * parent's fake sees none of their calls); the results land at their
 * plan positions and the record is complete. */
static void test_attach_add__parallel_results_in_plan_order(void **state)
{
	static const char *const confs[] = { NET_A, NET_B, NET_C };
	struct fixture *fx = fixture_new(confs, 3);
	struct cni_err err = { 0 };

	(void)state;
	fx->rec->plan->parallel = true;
	fake_exec_answer(&fx->fake, "ipvlan", CNI_CMD_ADD, "net2",
			 "{\"cniVersion\":\"0.4.0\",\"ips\":[{\"version\":"
			 "\"4\",\"address\":\"10.9.9.9/24\"}]}");
	assert_int_equal(attach_add(&fx->ctx, fx->rec, &err), 0);
	assert_int_equal(fx->fake.n_calls, 0);
	assert_true(fx->rec->complete);
	for (size_t i = 0; i < 3; i++)
		assert_non_null(fx->rec->results[i]);
	assert_string_equal(addr_of(fx->rec->results[2]), "10.9.9.9/24");
	fixture_free(fx);
}

/* A failure in a parallel group: every attachment of it (and of the
 * groups before) deleted in this process, in reverse of the plan's
 * order, each with what its process got; the first failure the error. */
static void test_attach_add__parallel_failure_rolls_back_all(void **state)
{
	static const char *const confs[] = { NET_A, NET_B, NET_C };
	static const char *const want[] = { "DEL ipvlan net2",
					    "DEL tuning net1",
					    "DEL macvlan net1",
					    "DEL bridge eth0" };
	struct fixture *fx = fixture_new(confs, 3);
	struct cni_err err = { 0 };

	(void)state;
	fx->rec->plan->parallel = true;
	fake_exec_fail(&fx->fake, "macvlan", CNI_CMD_ADD, "net1", 11,
		       "no luck");
	fake_exec_fail(&fx->fake, "ipvlan", CNI_CMD_ADD, "net2", 5, "no disk");
	assert_int_equal(attach_add(&fx->ctx, fx->rec, &err), -EAGAIN);
	assert_int_equal(err.code, 11);
	assert_non_null(strstr(err.msg, "network \"b\" (net1)"));
	assert_non_null(strstr(err.msg, "no luck"));
	assert_non_null(strstr(err.details, "no disk"));
	assert_false(fx->rec->complete);
	expect_calls(&fx->fake, want, 4);
	assert_null(fake_exec_prev(&fx->fake, 1)); /* b got nothing */
	assert_string_equal(addr_of(fake_exec_prev(&fx->fake, 3)), "10.1.0.2/"
								   "24");
	fixture_free(fx);
}

/* d's vlan sits on net1: it runs after a, b, c (alone, so in this
 * process), and its failure rolls back all four in reverse. */
static void test_attach_add__parallel_dependent_runs_later(void **state)
{
	static const char *const confs[] = { NET_A, NET_B, NET_C, NET_D };
	static const char *const want[] = {
		"ADD vlan net3",   "DEL vlan net3",    "DEL ipvlan net2",
		"DEL tuning net1", "DEL macvlan net1", "DEL bridge eth0"
	};
	struct fixture *fx = fixture_new(confs, 4);
	struct cni_err err = { 0 };

	(void)state;
	fx->rec->plan->parallel = true;
	fake_exec_fail(&fx->fake, "vlan", CNI_CMD_ADD, "net3", 11, "no luck");
	assert_int_equal(attach_add(&fx->ctx, fx->rec, &err), -EAGAIN);
	expect_calls(&fx->fake, want, 6);
	/* the group before it had finished: b's tuning got its result */
	assert_non_null(fake_exec_prev(&fx->fake, 3));
	fixture_free(fx);
}

static void test_attach_add__rollback_errors_in_details(void **state)
{
	static const char *const confs[] = { NET_A, NET_C };
	struct fixture *fx = fixture_new(confs, 2);
	struct cni_err err = { 0 };

	(void)state;
	fake_exec_fail(&fx->fake, "ipvlan", CNI_CMD_ADD, NULL, 7, "bad master");
	fake_exec_fail(&fx->fake, "bridge", CNI_CMD_DEL, NULL, 5, "stuck");
	assert_true(attach_add(&fx->ctx, fx->rec, &err) < 0);
	assert_int_equal(err.code, 7);
	assert_non_null(strstr(err.msg, "bad master"));
	assert_non_null(strstr(err.details, "rollback:"));
	assert_non_null(strstr(err.details, "stuck"));
	fixture_free(fx);
}

static void test_attach_add__record_written_and_removed(void **state)
{
	static const char *const confs[] = { NET_A, NET_C };
	struct fixture *fx = fixture_new(confs, 2);
	struct plexus_record *back;

	(void)state;
	snprintf(fx->cache_path, sizeof(fx->cache_path),
		 "/tmp/plexus-attach-%d.json", (int)getpid());
	fx->ctx.cache_path = fx->cache_path;
	assert_int_equal(attach_add(&fx->ctx, fx->rec, NULL), 0);
	assert_int_equal(plexus_cache_read(fx->cache_path, &back, NULL), 0);
	assert_true(back->complete);
	assert_int_equal(back->plan->n, 2);
	assert_string_equal(addr_of(back->results[1]), "10.2.0.2/24");
	plexus_record_free(back);
	fixture_free(fx);

	/* a failed ADD whose rollback worked leaves no record */
	fx = fixture_new(confs, 2);
	snprintf(fx->cache_path, sizeof(fx->cache_path),
		 "/tmp/plexus-attach-%d.json", (int)getpid());
	fx->ctx.cache_path = fx->cache_path;
	fake_exec_fail(&fx->fake, "ipvlan", CNI_CMD_ADD, NULL, 11, "x");
	assert_true(attach_add(&fx->ctx, fx->rec, NULL) < 0);
	assert_int_equal(access(fx->cache_path, F_OK), -1);
	fixture_free(fx);
}

static void test_attach_add__bad_delegate_output(void **state)
{
	static const char *const confs[] = { NET_A, NET_C };
	static const char *const outs[] = {
		NULL,
		"{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"x\"}]}",
	};
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct fixture *fx = fixture_new(confs, 2);
		struct cni_err err = { 0 };

		fake_exec_answer(&fx->fake, "ipvlan", CNI_CMD_ADD, NULL,
				 outs[i]);
		assert_true(attach_add(&fx->ctx, fx->rec, &err) < 0);
		print_message("%s\n", err.msg);
		assert_int_equal(err.code, CNI_ERR_DELEGATE_OUTPUT);
		assert_non_null(strstr(err.msg, "ipvlan"));
		/* both rolled back */
		assert_int_equal(fx->fake.n_calls, 4);
		fixture_free(fx);
	}
}

static void add_all(struct fixture *fx)
{
	assert_int_equal(attach_add(&fx->ctx, fx->rec, NULL), 0);
	fake_exec_clear(&fx->fake);
}

static void test_attach_del__reverse_past_failures(void **state)
{
	static const char *const confs[] = { NET_A, NET_B, NET_C };
	static const char *const want[] = { "DEL ipvlan net2",
					    "DEL tuning net1",
					    "DEL macvlan net1",
					    "DEL bridge eth0" };
	struct fixture *fx = fixture_new(confs, 3);
	struct cni_err err = { 0 };

	(void)state;
	add_all(fx);
	fake_exec_fail(&fx->fake, "ipvlan", CNI_CMD_DEL, NULL, 11, "busy");
	fake_exec_fail(&fx->fake, "bridge", CNI_CMD_DEL, NULL, 5, "io");
	assert_int_equal(attach_del(&fx->ctx, fx->rec, &err), -EAGAIN);
	expect_calls(&fx->fake, want, 4);
	assert_int_equal(err.code, 11);
	assert_non_null(strstr(err.msg, "2 of 3 networks failed to delete"));
	assert_non_null(strstr(err.msg, "busy"));
	assert_non_null(strstr(err.details, "io"));
	/* prevResult: each attachment's own result */
	assert_string_equal(addr_of(fake_exec_prev(&fx->fake, 0)), "10.3.0.2/"
								   "24");
	assert_string_equal(addr_of(fake_exec_prev(&fx->fake, 1)), "10.2.0.2/"
								   "24");
	assert_string_equal(addr_of(fake_exec_prev(&fx->fake, 3)), "10.1.0.2/"
								   "24");
	fixture_free(fx);
}

static void test_attach_del__chain_continues_past_failure(void **state)
{
	static const char *const confs[] = { NET_B };
	static const char *const want[] = { "DEL tuning eth0", "DEL macvlan "
							       "eth0" };
	struct fixture *fx = fixture_new(confs, 1);
	struct cni_err err = { 0 };

	(void)state;
	add_all(fx);
	fake_exec_fail(&fx->fake, "tuning", CNI_CMD_DEL, NULL, 5, "first");
	fake_exec_fail(&fx->fake, "macvlan", CNI_CMD_DEL, NULL, 11, "second");
	assert_int_equal(attach_del(&fx->ctx, fx->rec, &err), -EIO);
	expect_calls(&fx->fake, want, 2);
	assert_int_equal(err.code, 5);
	assert_non_null(strstr(err.msg, "first"));
	assert_non_null(strstr(err.details, "second"));
	fixture_free(fx);
}

static void test_attach_del__prev_result_from_040(void **state)
{
	static const char *const confs[] = {
		NET_A,
		"{\"cniVersion\":\"0.3.1\",\"name\":\"old\",\"type\":\"x\"}",
		NET_C,
	};
	struct fixture *fx = fixture_new(confs, 3);

	(void)state;
	add_all(fx);
	assert_int_equal(attach_del(&fx->ctx, fx->rec, NULL), 0);
	assert_int_equal(fx->fake.n_calls, 3);
	assert_non_null(fake_exec_prev(&fx->fake, 0)); /* 0.4.0 */
	assert_null(fake_exec_prev(&fx->fake, 1));     /* 0.3.1 */
	assert_non_null(fake_exec_prev(&fx->fake, 2)); /* 1.0.0 */
	fixture_free(fx);
}

/* A delegate binary that is not installed cannot have attached anything:
 * its DEL is skipped, the others still run. */
static void test_attach_del__missing_plugin_is_not_a_failure(void **state)
{
	static const char *const confs[] = { NET_A, NET_B };
	struct fixture *fx = fixture_new(confs, 2);
	struct cni_err err = { 0 };

	(void)state;
	add_all(fx);
	fake_exec_fail(&fx->fake, "tuning", CNI_CMD_DEL, NULL,
		       CNI_ERR_DELEGATE_NOT_FOUND, "tuning: not found");
	assert_int_equal(attach_del(&fx->ctx, fx->rec, &err), 0);
	assert_int_equal(fx->fake.n_calls, 3);
	/* any other failure still counts */
	fake_exec_clear(&fx->fake);
	fake_exec_fail(&fx->fake, "tuning", CNI_CMD_DEL, NULL,
		       CNI_ERR_DELEGATE_FAILED, "tuning: exit 1");
	assert_true(attach_del(&fx->ctx, fx->rec, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_DELEGATE_FAILED);
	fixture_free(fx);
}

static void test_attach_del__nothing_added(void **state)
{
	static const char *const confs[] = { NET_A, NET_C };
	struct fixture *fx = fixture_new(confs, 2);

	(void)state;
	/* a record rebuilt from config: no results, DEL still runs */
	assert_int_equal(attach_del(&fx->ctx, fx->rec, NULL), 0);
	assert_int_equal(fx->fake.n_calls, 2);
	assert_null(fake_exec_prev(&fx->fake, 0));
	fixture_free(fx);
}

static void test_attach_check__skips_old_and_disabled(void **state)
{
	static const char *const confs[] = {
		NET_A,
		"{\"cniVersion\":\"0.3.1\",\"name\":\"old\",\"type\":\"old\"}",
		"{\"cniVersion\":\"1.0.0\",\"name\":\"off\",\"disableCheck\":"
		"true,"
		"\"plugins\":[{\"type\":\"off\"}]}",
		NET_B,
	};
	static const char *const want[] = { "CHECK bridge eth0",
					    "CHECK macvlan net3",
					    "CHECK tuning net3" };
	struct fixture *fx = fixture_new(confs, 4);

	(void)state;
	add_all(fx);
	assert_int_equal(attach_check(&fx->ctx, fx->rec, NULL), 0);
	expect_calls(&fx->fake, want, 3);
	assert_string_equal(addr_of(fake_exec_prev(&fx->fake, 0)), "10.1.0.2/"
								   "24");
	assert_non_null(fake_exec_prev(&fx->fake, 2));
	fixture_free(fx);
}

static void test_attach_check__failure_and_missing_result(void **state)
{
	static const char *const confs[] = { NET_A, NET_C };
	struct fixture *fx = fixture_new(confs, 2);
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(attach_check(&fx->ctx, fx->rec, &err), -ENOENT);
	assert_int_equal(err.code, CNI_ERR_UNKNOWN_CONTAINER);
	assert_non_null(strstr(err.msg, "\"a\""));
	add_all(fx);
	fake_exec_fail(&fx->fake, "ipvlan", CNI_CMD_CHECK, NULL, 5, "gone");
	assert_true(attach_check(&fx->ctx, fx->rec, &err) < 0);
	assert_int_equal(err.code, 5);
	assert_non_null(strstr(err.msg, "network \"c\" (net1)"));
	fixture_free(fx);
}

static void test_attach_status__only_110(void **state)
{
	static const char *const confs[] = {
		NET_A,
		"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"new\"}",
	};
	static const char *const want[] = { "STATUS new " };
	struct fixture *fx = fixture_new(confs, 2);
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(attach_status(&fx->ctx, fx->rec, NULL), 0);
	expect_calls(&fx->fake, want, 1);
	assert_string_equal(fx->fake.calls[0].container_id, "");
	fake_exec_fail(&fx->fake, "new", CNI_CMD_STATUS, NULL, 50, "down");
	assert_true(attach_status(&fx->ctx, fx->rec, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_NOT_AVAILABLE);
	fixture_free(fx);
}

static void test_attach_gc__valid_lists_per_network(void **state)
{
	static const char *const confs[] = {
		"{\"cniVersion\":\"1.1.0\",\"name\":\"a\",\"type\":\"ga\"}",
		"{\"cniVersion\":\"1.1.0\",\"name\":\"off\",\"disableGC\":true,"
		"\"plugins\":[{\"type\":\"off\"}]}",
		NET_C,
		"{\"cniVersion\":\"1.1.0\",\"name\":\"d\",\"type\":\"gd\"}",
	};
	static const char *const want[] = { "GC ga ", "GC gd " };
	struct fixture *fx = fixture_new(confs, 4);
	json_object *valid = json_tokener_parse("[[{\"containerID\":\"c1\","
						"\"ifname\":\"eth0\"}],[],[],"
						"[{\"containerID\":\"c1\","
						"\"ifname\":\"net3\"}]]");
	json_object *l1, *l2;

	(void)state;
	assert_int_equal(attach_gc(&fx->ctx, fx->rec, valid, NULL), 0);
	expect_calls(&fx->fake, want, 2);
	assert_true(json_object_object_get_ex(
		fx->fake.calls[1].conf, "cni.dev/valid-attachments", &l1));
	assert_true(json_object_object_get_ex(fx->fake.calls[1].conf,
					      "cni.dev/attachments", &l2));
	assert_true(json_object_equal(l1, json_object_array_get_idx(valid, 3)));
	assert_true(json_object_equal(l1, l2));
	json_object_put(valid);
	fixture_free(fx);
}

static void test_attach_args_others__drops_ip_and_mac(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "", "" },
		{ "IgnoreUnknown=1;K8S_POD_NAME=web-0", "IgnoreUnknown=1;K8S_"
							"POD_NAME=web-0" },
		{ "IgnoreUnknown=1;IP=10.0.0.5/24;MAC=02:00:00:00:00:01;"
		  "K8S_POD_NAME=x",
		  "IgnoreUnknown=1;K8S_POD_NAME=x" },
		{ "IP=10.0.0.5/24", "" },
		{ "MAC=02:00:00:00:00:01;A=1;", "A=1" },
		{ "IPX=1;MACS=2;XIP=3", "IPX=1;MACS=2;XIP=3" },
		{ ";;A=1;;", "A=1" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = attach_args_others(cases[i].in);

		assert_non_null(out);
		assert_string_equal(out, cases[i].want);
		free(out);
	}
	free(attach_args_others(NULL));
}

/* IP=/MAC= are for the default interface: the others get args_others. */
static void test_attach_add__args_per_network(void **state)
{
	static const char *const confs[] = { NET_A, NET_B };
	struct fixture *fx = fixture_new(confs, 2);
	struct cni_env e = env;

	(void)state;
	e.args_raw = "IP=10.0.0.5/24;K8S_POD_NAME=web-0";
	fx->ctx.env = &e;
	fx->ctx.args_others = "K8S_POD_NAME=web-0";
	assert_int_equal(attach_add(&fx->ctx, fx->rec, NULL), 0);
	assert_int_equal(fx->fake.n_calls, 3);
	assert_string_equal(fx->fake.calls[0].args, e.args_raw);
	assert_string_equal(fx->fake.calls[1].args, "K8S_POD_NAME=web-0");
	assert_string_equal(fx->fake.calls[2].args, "K8S_POD_NAME=web-0");
	fixture_free(fx);
}

/* "ipam-claim-reference" reaches only its own attachment, as CNI_ARGS
 * PLEXUS_IPAM_CLAIM; one the runtime passed never reaches any. */
static void test_attach_add__ipam_claim_arg(void **state)
{
	static const char *const confs[] = { NET_A, NET_B, NET_C };
	struct fixture *fx = fixture_new(confs, 3);
	struct cni_env e = env;

	(void)state;
	e.args_raw = "K8S_POD_NAMESPACE=ns;PLEXUS_IPAM_CLAIM=forged;"
		     "K8S_POD_NAME=web-0";
	fx->ctx.env = &e;
	fx->rec->plan->att[1].ipam_claim = strdup("vm-a");
	assert_int_equal(attach_add(&fx->ctx, fx->rec, NULL), 0);
	assert_true(fx->fake.n_calls >= 3);
	for (size_t i = 0; i < fx->fake.n_calls; i++) {
		const struct fake_exec_call *c = &fx->fake.calls[i];

		if (strcmp(c->ifname, "net1") == 0)
			assert_string_equal(c->args, "K8S_POD_NAMESPACE=ns;K8S_"
						     "POD_NAME="
						     "web-0;PLEXUS_IPAM_CLAIM="
						     "vm-a");
		else
			assert_string_equal(c->args, "K8S_POD_NAMESPACE=ns;"
						     "K8S_POD_NAME=web-0");
	}
	fixture_free(fx);
}

static void test_attach_merge__default_first(void **state)
{
	static const char *const confs[] = { NET_A, NET_B, NET_C };
	struct fixture *fx = fixture_new(confs, 3);
	struct cni_result *m;

	(void)state;
	add_all(fx);
	/* make the second attachment the default network */
	fx->rec->plan->att[0].is_default = false;
	fx->rec->plan->att[1].is_default = true;
	assert_int_equal(attach_merge(fx->rec, NULL, &m, NULL), 0);
	assert_int_equal(m->n_ifaces, 3);
	assert_string_equal(m->ifaces[0].name, "net1");
	assert_string_equal(m->ifaces[1].name, "eth0");
	assert_string_equal(m->ifaces[2].name, "net2");
	assert_int_equal(m->n_ips, 3);
	assert_string_equal(m->ips[0].address, "10.2.0.2/24");
	assert_int_equal(m->ips[0].interface, 0);
	assert_string_equal(m->ips[1].address, "10.1.0.2/24");
	assert_int_equal(m->ips[1].interface, 1);
	assert_int_equal(m->ips[2].interface, 2);
	cni_result_free(m);
	/* attachments without a result are left out */
	json_object_put(fx->rec->results[2]);
	fx->rec->results[2] = NULL;
	assert_int_equal(attach_merge(fx->rec, NULL, &m, NULL), 0);
	assert_int_equal(m->n_ifaces, 2);
	cni_result_free(m);
	fixture_free(fx);
}

static void test_attach_merge__secondary_unset_index_claimed(void **state)
{
	static const char *const confs[] = { NET_A, NET_C };
	static const char *const res[] = {
		"{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\","
		"\"sandbox\":\"/var/run/netns/pod\"}],\"ips\":[{\"address\":"
		"\"10.1.0.9/24\"}]}",
		"{\"cniVersion\":\"0.4.0\",\"ips\":[{\"version\":\"4\","
		"\"address\":\"10.3.0.9/24\"}]}",
	};
	struct fixture *fx = fixture_new(confs, 2);
	struct cni_result *m;

	(void)state;
	add_all(fx);
	/* neither network gives its address an interface index */
	for (size_t i = 0; i < 2; i++) {
		json_object_put(fx->rec->results[i]);
		fx->rec->results[i] = json_tokener_parse(res[i]);
		assert_non_null(fx->rec->results[i]);
	}
	assert_int_equal(attach_merge(fx->rec, env.netns, &m, NULL), 0);
	assert_int_equal(m->n_ifaces, 2);
	assert_string_equal(m->ifaces[1].name, "net1");
	assert_string_equal(m->ifaces[1].sandbox, env.netns);
	assert_int_equal(m->n_ips, 2);
	/* the default network's stays unset: runtimes read it as eth0's */
	assert_int_equal(m->ips[0].interface, -1);
	assert_int_equal(m->ips[1].interface, 1);
	cni_result_free(m);
	/* without a netns (a record read back) nothing is claimed */
	assert_int_equal(attach_merge(fx->rec, NULL, &m, NULL), 0);
	assert_int_equal(m->n_ifaces, 1);
	assert_int_equal(m->ips[1].interface, -1);
	cni_result_free(m);
	fixture_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_add__calls_in_order),
		cmocka_unit_test(
			test_attach_add__failure_rolls_back_in_reverse),
		cmocka_unit_test(test_attach_add__rollback_errors_in_details),
		cmocka_unit_test(
			test_attach_add__parallel_results_in_plan_order),
		cmocka_unit_test(
			test_attach_add__parallel_failure_rolls_back_all),
		cmocka_unit_test(
			test_attach_add__parallel_dependent_runs_later),
		cmocka_unit_test(test_attach_add__record_written_and_removed),
		cmocka_unit_test(test_attach_add__bad_delegate_output),
		cmocka_unit_test(test_attach_del__reverse_past_failures),
		cmocka_unit_test(test_attach_del__chain_continues_past_failure),
		cmocka_unit_test(test_attach_del__prev_result_from_040),
		cmocka_unit_test(
			test_attach_del__missing_plugin_is_not_a_failure),
		cmocka_unit_test(test_attach_del__nothing_added),
		cmocka_unit_test(test_attach_check__skips_old_and_disabled),
		cmocka_unit_test(test_attach_check__failure_and_missing_result),
		cmocka_unit_test(test_attach_status__only_110),
		cmocka_unit_test(test_attach_gc__valid_lists_per_network),
		cmocka_unit_test(test_attach_args_others__drops_ip_and_mac),
		cmocka_unit_test(test_attach_add__args_per_network),
		cmocka_unit_test(test_attach_add__ipam_claim_arg),
		cmocka_unit_test(test_attach_merge__default_first),
		cmocka_unit_test(
			test_attach_merge__secondary_unset_index_claimed),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
