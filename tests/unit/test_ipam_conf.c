/* SPDX-License-Identifier: Apache-2.0 */
/* plexus-ipam configuration: ranges, validation, reserved addresses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cni_error.h"
#include "ipam_addr.h"
#include "ipam_conf.h"
#include "ipam_node.h"

static struct ipam_conf *parse_ok(const char *ipam, const char *extra)
{
	struct cni_err err = { 0 };
	struct ipam_conf *c = NULL;
	char buf[4096];

	snprintf(buf, sizeof(buf),
		 "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"x\","
		 "\"ipam\":%s%s}",
		 ipam, extra ? extra : "");
	if (ipam_conf_parse(buf, strlen(buf), &c, &err) < 0)
		fail_msg("parse failed: %d %s", err.code, err.msg);
	return c;
}

/* Parse must fail with code and a message containing want. */
static void parse_bad(const char *ipam, const char *extra, int code,
		      const char *want)
{
	struct cni_err err = { 0 };
	struct ipam_conf *c = NULL;
	char buf[4096];

	snprintf(buf, sizeof(buf),
		 "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"x\","
		 "\"ipam\":%s%s}",
		 ipam, extra ? extra : "");
	assert_true(ipam_conf_parse(buf, strlen(buf), &c, &err) < 0);
	assert_null(c);
	assert_int_equal(err.code, code);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
}

static ipam_u128 a4(const char *s)
{
	struct ipam_addr a;

	assert_int_equal(ipam_addr_parse(s, &a), 0);
	return a.v;
}

static void test_ipam_conf_parse__v4_defaults(void **state)
{
	struct ipam_conf *c = parse_ok("{\"range\":\"10.1.0.0/24\","
				       "\"gateway\":\"10.1.0.1\"}",
				       NULL);
	const struct ipam_range *r = &c->ranges[0];

	(void)state;
	assert_int_equal(c->n_ranges, 1);
	assert_true(r->start == a4("10.1.0.0"));
	assert_true(r->end == a4("10.1.0.255"));
	assert_int_equal(r->block_len, 26);
	assert_string_equal(r->pool_id, "10.1.0.0_24");
	assert_true(ipam_range_reserved(r, a4("10.1.0.0")));
	assert_true(ipam_range_reserved(r, a4("10.1.0.255")));
	assert_true(ipam_range_reserved(r, a4("10.1.0.1")));
	assert_false(ipam_range_reserved(r, a4("10.1.0.2")));
	assert_false(ipam_range_reserved(r, a4("10.1.0.254")));
	ipam_conf_free(c);
}

static void test_ipam_conf_parse__start_end_exclude(void **state)
{
	struct ipam_conf *c = parse_ok("{\"range\":\"10.2.0.0/"
				       "16\",\"range_start\":\"10.2.1.10\","
				       "\"range_end\":\"10.2.1.20\","
				       "\"exclude\":[\"10.2.1.12/31\"],"
				       "\"network_name\":\"blue\","
				       "\"blockSize\":28}",
				       NULL);
	const struct ipam_range *r = &c->ranges[0];

	(void)state;
	assert_true(ipam_range_reserved(r, a4("10.2.1.9")));
	assert_false(ipam_range_reserved(r, a4("10.2.1.10")));
	assert_false(ipam_range_reserved(r, a4("10.2.1.11")));
	assert_true(ipam_range_reserved(r, a4("10.2.1.12")));
	assert_true(ipam_range_reserved(r, a4("10.2.1.13")));
	assert_false(ipam_range_reserved(r, a4("10.2.1.20")));
	assert_true(ipam_range_reserved(r, a4("10.2.1.21")));
	assert_int_equal(r->block_len, 28);
	assert_string_equal(r->pool_id, "blue.10.2.0.0_16");
	ipam_conf_free(c);
}

static void test_ipam_conf_parse__dash_form(void **state)
{
	struct ipam_conf *c = parse_ok("{\"range\":\"192.168.2.225-192.168.2."
				       "230/28\"}",
				       NULL);
	const struct ipam_range *r = &c->ranges[0];

	(void)state;
	assert_true(r->start == a4("192.168.2.225"));
	assert_true(r->end == a4("192.168.2.230"));
	assert_int_equal(r->net.len, 28);
	/* a pool smaller than a block is one block */
	assert_int_equal(r->block_len, 28);
	ipam_conf_free(c);
}

static void test_ipam_conf_parse__v6_64_whole(void **state)
{
	struct ipam_conf *c = parse_ok("{\"range\":\"fd00:1:2:3::/64\"}", NULL);
	const struct ipam_range *r = &c->ranges[0];
	struct ipam_addr last;

	(void)state;
	assert_int_equal(r->net.addr.family, AF_INET6);
	assert_int_equal(r->block_len, 122);
	assert_int_equal(
		ipam_addr_parse("fd00:1:2:3:ffff:ffff:ffff:ffff", &last), 0);
	assert_true(r->end == last.v);
	/* the upper half of the /64 is usable, not only the first /65 */
	assert_false(ipam_range_reserved(r, last.v));
	assert_false(ipam_range_reserved(r, last.v - ((ipam_u128)1 << 63)));
	assert_true(ipam_range_reserved(r, r->net.addr.v));
	ipam_conf_free(c);
}

static void test_ipam_conf_parse__dual_stack(void **state)
{
	struct ipam_conf *c = parse_ok("{\"ipRanges\":[{\"range\":\"10.3.0.0/"
				       "24\"},"
				       "{\"range\":\"fd00::/"
				       "120\",\"blockSize\":124}]}",
				       ",\"runtimeConfig\":{\"ips\":[\"10.3.0."
				       "7/24\",\"fd00::7\"]}");
	struct ipam_addr a;

	(void)state;
	assert_int_equal(c->n_ranges, 2);
	assert_int_equal(c->ranges[1].block_len, 124);
	assert_int_equal(c->n_static, 2);
	assert_int_equal(ipam_addr_parse("fd00::7", &a), 0);
	assert_ptr_equal(ipam_conf_range_of(c, &a), &c->ranges[1]);
	ipam_conf_free(c);
}

static const struct {
	const char *ipam, *extra, *want;
} bad_cases[] = {
	{ "{}", NULL, "no \"range\"" },
	{ "{\"range\":\"10.0.0/8\"}", NULL, "ipam: \"10.0.0/8\"" },
	{ "{\"range\":\"10.0.0.0/33\"}", NULL, "not a CIDR" },
	{ "{\"range\":\"10.0.0.0\"}", NULL, "not a CIDR" },
	{ "{\"range\":42}", NULL, "ipam.range" },
	{ "{\"range\":\"10.0.0.0/24\",\"range_start\":\"10.0.1.5\"}", NULL,
	  "range_start: \"10.0.1.5\" is outside" },
	{ "{\"range\":\"10.0.0.0/24\",\"range_end\":\"bogus\"}", NULL,
	  "range_end: \"bogus\" is not an IP" },
	{ "{\"range\":\"10.0.0.0/24\",\"range_start\":\"10.0.0.9\","
	  "\"range_end\":\"10.0.0.3\"}",
	  NULL, "after range_end" },
	{ "{\"range\":\"10.0.0.0/24\",\"gateway\":\"10.9.0.1\"}", NULL,
	  "gateway: \"10.9.0.1\" is outside" },
	{ "{\"range\":\"10.0.0.0/24\",\"exclude\":[\"x/1\"]}", NULL,
	  "exclude[0]" },
	{ "{\"range\":\"2001::0/116\",\"gateway\":\"2001::f:1\"}", NULL,
	  "gateway: \"2001::f:1\" is outside the range 2001::/116: the pod's "
	  "prefix would not reach it; write the segment's prefix" },
	{ "{\"range\":\"10.0.0.0/24\",\"gateway\":\"10.0.0.9\","
	  "\"noGateway\":true}",
	  NULL, "ipam.gateway: \"10.0.0.9\" given with \"noGateway\"" },
	{ "{\"range\":\"10.0.0.0/24\",\"kubernetes\":{\"kubeconfig\":"
	  "\"/etc/whereabouts.kubeconfig\"}}",
	  NULL, "ipam.kubernetes: a Whereabouts backend key" },
	{ "{\"range\":\"10.0.0.0/24\",\"etcd_host\":\"10.0.0.9:2379\"}", NULL,
	  "ipam.etcd_host: a Whereabouts backend key" },
	{ "{\"ranges\":[]}", NULL, "ipam.ranges: empty" },
	{ "{\"ranges\":[[]]}", NULL, "ipam.ranges[0]: an empty range set" },
	{ "{\"ranges\":[{\"subnet\":\"10.0.0.0/24\"}]}", NULL,
	  "ipam.ranges[0]: not a list of ranges" },
	{ "{\"ranges\":[[{\"rangeStart\":\"10.0.0.1\"}]]}", NULL,
	  "ipam.ranges[0][0].subnet: missing" },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\","
	  "\"gateway\":\"10.0.1.1\"}]]}",
	  NULL, "ipam.ranges[0][0].gateway: \"10.0.1.1\" is outside" },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\","
	  "\"rangeStart\":\"10.0.0.9\",\"rangeEnd\":\"10.0.0.3\"}]]}",
	  NULL, "ipam.ranges[0][0].rangeStart: after" },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\","
	  "\"rangeEnd\":\"10.0.1.3\"}]]}",
	  NULL, "ipam.ranges[0][0].rangeEnd: \"10.0.1.3\" is outside" },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],"
	  "[{\"subnet\":\"10.0.0.128/25\"}]]}",
	  NULL, "ipam.ranges[1][0]: range 10.0.0.128/25 overlaps" },
	{ "{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"},"
	  "{\"subnet\":\"fd00::/64\"}]]}",
	  NULL, "ipam.ranges[0][1].subnet: a range set mixes IPv4 and IPv6" },
	{ "{\"subnet\":\"10.0.0.1/24\"}", NULL,
	  "ipam.subnet: \"10.0.0.1/24\" has host bits set" },
	{ "{\"subnet\":\"10.0.0.0/31\"}", NULL, "too small" },
	{ "{\"subnet\":\"10.0.0.0/24\",\"range\":\"10.1.0.0/24\"}", NULL,
	  "ipam.range: Whereabouts' key beside host-local's" },
	{ "{\"subnet\":\"10.0.0.0/24\",\"resolvConf\":\"/etc/resolv.conf\"}",
	  NULL, "ipam.resolvConf" },

	{ "{\"range\":\"10.0.0.0/8\",\"ipRanges\":[{\"range\":"
	  "\"10.5.0.0/16\"}]}",
	  NULL, "overlaps" },
	{ "{\"ipRanges\":[{\"range_start\":\"10.0.0.1\"}]}", NULL,
	  "ipam.ipRanges[0].range: missing" },
	{ "{\"range\":\"10.0.0.0/8\",\"blockSize\":12}", NULL, "blockSize" },
	{ "{\"range\":\"10.0.0.0/8\",\"blockSize\":33}", NULL, "blockSize" },
	{ "{\"range\":\"10.0.0.0/24\",\"network_name\":\"a/b\"}", NULL,
	  "network_name" },
	{ "{\"range\":\"10.0.0.0/24\"}",
	  ",\"runtimeConfig\":{\"ips\":"
	  "[\"10.1.0.5\"]}",
	  "10.1.0.5 is in no range" },
	{ "{\"range\":\"10.0.0.0/24\"}",
	  ",\"runtimeConfig\":{\"ips\":"
	  "[\"10.0.0.5\",\"10.0.0.6\"]}",
	  "second address" },
	{ "{\"range\":\"10.0.0.0/24\"}",
	  ",\"runtimeConfig\":{\"ips\":"
	  "[\"nope\"]}",
	  "runtimeConfig.ips[0]" },
	{ "{\"range\":\"10.0.0.0/24\"}",
	  ",\"args\":{\"cni\":{\"ips\":[\"10.0.0.5\"]}},"
	  "\"runtimeConfig\":{\"ips\":[\"10.0.0.6\"]}",
	  "runtimeConfig.ips[0]: 10.0.0.6: a second address" },
	{ "{\"range\":\"10.0.0.0/24\"}", ",\"args\":{\"cni\":{\"ips\":[7]}}",
	  "args.cni.ips[0]: \"\" is not" }, /* a tenant's conflictDetection is a boolean, nothing else */
	{ "{\"range\":\"10.0.0.0/24\",\"conflictDetection\":\"true\"}", NULL,
	  "ipam.conflictDetection" },
	{ "{\"range\":\"10.0.0.0/24\",\"conflictDetection\":1}", NULL,
	  "ipam.conflictDetection" },
};

/* CNI_ARGS IP= first, then args.cni.ips and runtimeConfig.ips; the same
 * address twice counts once; one per range set. */
static void test_ipam_conf_request_env(void **state)
{
	struct cni_err err = { 0 };
	struct ipam_conf *c;
	char s[IPAM_ADDR_STRLEN];

	(void)state;
	c = parse_ok("{\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],"
		     "[{\"subnet\":\"fd00::/64\"}]]}",
		     ",\"runtimeConfig\":{\"ips\":[\"10.0.0.7/24\"]}");
	assert_int_equal(c->n_static, 1);
	assert_int_equal(ipam_conf_request_env(c, "fd00::9,10.0.0.7", &err), 0);
	assert_int_equal(c->n_static, 2);
	assert_string_equal(ipam_addr_fmt(&c->static_ips[0], s), "fd00::9");
	assert_string_equal(ipam_addr_fmt(&c->static_ips[1], s), "10.0.0.7");
	assert_int_equal(ipam_conf_request_env(c, NULL, &err), 0);
	assert_int_equal(c->n_static, 2);
	/* a different address in a set already asked for */
	assert_true(ipam_conf_request_env(c, "10.0.0.8", &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	assert_non_null(strstr(err.msg, "second address"));
	ipam_conf_free(c);

	c = parse_ok("{\"range\":\"10.0.0.0/24\"}", NULL);
	assert_true(ipam_conf_request_env(c, "10.0.1.1", &err) < 0);
	assert_non_null(strstr(err.msg, "CNI_ARGS IP: 10.0.1.1 is in no "
					"range"));
	assert_true(ipam_conf_request_env(c, "x", &err) < 0);
	assert_non_null(strstr(err.msg, "CNI_ARGS IP: \"x\" is not an IP"));
	ipam_conf_free(c);
}

static void test_ipam_conf_parse__bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		parse_bad(bad_cases[i].ipam, bad_cases[i].extra,
			  CNI_ERR_INVALID_CONFIG, bad_cases[i].want);
}

static void test_ipam_conf_parse__not_json(void **state)
{
	struct cni_err err = { 0 };
	struct ipam_conf *c = NULL;

	(void)state;
	assert_true(ipam_conf_parse("{\"ipam\":", 8, &c, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_DECODE);
	assert_true(ipam_conf_parse("{\"cniVersion\":\"1.0.0\"}", 22, &c,
				    &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	assert_non_null(strstr(err.msg, "ipam: missing"));
}

/* The gateway: `gateway`, else the first host address (reserved and
 * returned), none with noGateway or on a point-to-point prefix. */
static void test_ipam_conf_parse__gateway_rule(void **state)
{
	struct ipam_conf *c = parse_ok("{\"range\":\"10.5.0.0/27\"}", NULL);

	(void)state;
	assert_true(c->ranges[0].has_gw);
	assert_true(c->ranges[0].gw.v == a4("10.5.0.1"));
	assert_true(ipam_range_reserved(&c->ranges[0], a4("10.5.0.1")));
	assert_false(ipam_range_reserved(&c->ranges[0], a4("10.5.0.2")));
	ipam_conf_free(c);
	c = parse_ok("{\"range\":\"10.5.0.0/27\",\"noGateway\":true}", NULL);
	assert_false(c->ranges[0].has_gw);
	assert_false(ipam_range_reserved(&c->ranges[0], a4("10.5.0.1")));
	ipam_conf_free(c);
	c = parse_ok("{\"range\":\"10.5.0.0/27\",\"gateway\":\"10.5.0.30\"}",
		     NULL);
	assert_true(c->ranges[0].gw.v == a4("10.5.0.30"));
	assert_false(ipam_range_reserved(&c->ranges[0], a4("10.5.0.1")));
	ipam_conf_free(c);
	c = parse_ok("{\"range\":\"10.5.0.4/31\"}", NULL);
	assert_false(c->ranges[0].has_gw);
	ipam_conf_free(c);
}

/* exclude takes bare addresses (one address each), as Whereabouts. */
static void test_ipam_conf_parse__exclude_bare_address(void **state)
{
	struct ipam_conf *c = parse_ok("{\"range\":\"10.6.0.0/24\","
				       "\"exclude\":[\"10.6.0.7\","
				       "\"10.6.0.16/30\"]}",
				       NULL);

	(void)state;
	assert_int_equal(c->ranges[0].n_excl, 2);
	assert_true(ipam_range_reserved(&c->ranges[0], a4("10.6.0.7")));
	assert_false(ipam_range_reserved(&c->ranges[0], a4("10.6.0.8")));
	assert_true(ipam_range_reserved(&c->ranges[0], a4("10.6.0.19")));
	ipam_conf_free(c);
}

/* host-local's form: sets in order (the top-level subnet first), one
 * address per set; defaults as host-local's; pools named by network. */
static void test_ipam_conf_parse__hostlocal_form(void **state)
{
	struct ipam_conf *c = parse_ok("{\"type\":\"plexus-ipam\",\"subnet\":"
				       "\"10.7.9.0/24\","
				       "\"rangeStart\":\"10.7.9.100\","
				       "\"dataDir\":\"/var/lib/x\","
				       "\"ranges\":[[{\"subnet\":\"10.7.0.0/"
				       "30\"},"
				       "{\"subnet\":\"10.7.1.0/"
				       "24\",\"gateway\":\"10.7.1.254\"}],"
				       "[{\"subnet\":\"fd00:7::/64\"}]],"
				       "\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}",
				       ",\"runtimeConfig\":{\"ips\":[\"10.7.1."
				       "5\"]}");
	const struct ipam_range *r = c->ranges;

	(void)state;
	assert_int_equal(c->n_ranges, 4);
	assert_int_equal(c->n_sets, 3);
	assert_int_equal(r[0].set, 0);
	assert_string_equal(r[0].pool_id, "n.10.7.9.0_24");
	assert_true(r[0].start == a4("10.7.9.100"));
	assert_true(r[0].end == a4("10.7.9.255"));
	assert_true(ipam_range_reserved(&r[0], a4("10.7.9.255")));
	assert_true(r[0].gw.v == a4("10.7.9.1"));
	assert_int_equal(r[1].set, 1);
	assert_int_equal(r[2].set, 1);
	assert_true(r[2].gw.v == a4("10.7.1.254"));
	assert_false(ipam_range_reserved(&r[2], a4("10.7.1.1")));
	assert_true(ipam_range_reserved(&r[2], a4("10.7.1.254")));
	assert_int_equal(r[3].set, 2);
	assert_int_equal(r[3].net.addr.family, AF_INET6);
	/* IPv6: the last address is eligible, as in host-local */
	assert_false(ipam_range_reserved(&r[3], ipam_prefix_last(&r[3].net)));
	assert_non_null(c->routes);
	assert_int_equal(c->n_static, 1);
	ipam_conf_free(c);
}

/* A top-level range comes before ipRanges (Whereabouts' order). */
static void test_ipam_conf_parse__range_before_ipranges(void **state)
{
	struct ipam_conf *c = parse_ok("{\"ipRanges\":[{\"range\":\"10.8.1.0/"
				       "24\"}],\"range\":\"10.8.0.0/24\"}",
				       NULL);

	(void)state;
	assert_int_equal(c->n_ranges, 2);
	assert_true(c->ranges[0].net.addr.v == a4("10.8.0.0"));
	assert_int_equal(c->ranges[0].set, 0);
	assert_int_equal(c->ranges[1].set, 1);
	ipam_conf_free(c);
}

static void test_ipam_addr__u128_roundtrip(void **state)
{
	const char *in[] = { "0.0.0.0",
			     "255.255.255.255",
			     "10.1.2.3",
			     "::",
			     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
			     "fd00::1:0:0:1" };
	char buf[IPAM_ADDR_STRLEN], hex[33];
	struct ipam_prefix p;
	struct ipam_addr a;
	ipam_u128 v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(ipam_addr_parse(in[i], &a), 0);
		assert_string_equal(ipam_addr_fmt(&a, buf), in[i]);
		assert_int_equal(ipam_u128_parse_hex(
					 ipam_u128_hex(a.v, a.family, hex), &v),
				 0);
		assert_true(v == a.v);
	}
	assert_int_equal(ipam_prefix_parse("10.0.0.1/8", true, &p, NULL),
			 -EINVAL);
	assert_int_equal(ipam_prefix_parse("10.0.0.1/8", false, &p, NULL), 0);
	assert_true(p.addr.v == a4("10.0.0.0"));
	assert_int_equal(ipam_prefix_parse("::/0", true, &p, NULL), 0);
	assert_true(ipam_prefix_last(&p) == ~(ipam_u128)0);
	assert_int_equal(ipam_prefix_parse("10.0.0.0/-1", false, &p, NULL),
			 -EINVAL);
	assert_int_equal(ipam_prefix_parse("10.0.0.0/024", false, &p, NULL),
			 -EINVAL);
	assert_int_equal(ipam_prefix_parse("10.0.0.0/0", false, &p, NULL), 0);
}

static void test_ipam_node_name__order(void **state)
{
	struct ipam_conf *c;
	struct cni_err err = { 0 };
	char buf[256], host[256];

	(void)state;
	setenv(IPAM_NODE_INLINE_ENV, "{\"nodeName\":\"from-node\"}", 1);
	c = parse_ok("{\"range\":\"10.0.0.0/24\"}", NULL);
	unsetenv(IPAM_NODE_INLINE_ENV);
	setenv("NODE_NAME", "from-env", 1);
	assert_int_equal(ipam_node_name(c, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "from-node");
	c->node = NULL;
	assert_int_equal(ipam_node_name(c, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "from-env");
	unsetenv("NODE_NAME");
	gethostname(host, sizeof(host));
	assert_int_equal(ipam_node_name(c, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, host);
	setenv("NODE_NAME", "../etc", 1);
	assert_true(ipam_node_name(c, buf, sizeof(buf), &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	unsetenv("NODE_NAME");
	ipam_conf_free(c);
}

/* A network config (a NAD) may not define a store or the node name. */
static void test_ipam_conf_parse__node_only_refused(void **state)
{
	(void)state;
	parse_bad("{\"range\":\"10.0.0.0/24\",\"store\":{\"type\":"
		  "\"etcd\",\"endpoints\":[\"http://10.9.9.9:2379\"]}}",
		  NULL, CNI_ERR_INVALID_CONFIG,
		  "ipam.store: a store definition");
	parse_bad("{\"range\":\"10.0.0.0/24\",\"store\":{\"type\":"
		  "\"file\",\"path\":\"/tmp/x\"}}",
		  NULL, CNI_ERR_INVALID_CONFIG, "node-only setting");
	parse_bad("{\"range\":\"10.0.0.0/24\",\"nodeName\":\"other\"}", NULL,
		  CNI_ERR_INVALID_CONFIG, "ipam.nodeName: a node-only");
	/* sockets plexus-ipam sends its store operations and claim reads
	 * to: a tenant's would get them */
	parse_bad("{\"range\":\"10.0.0.0/24\",\"storeSocket\":\"/tmp/s\"}",
		  NULL, CNI_ERR_INVALID_CONFIG,
		  "ipam.storeSocket: a node-only setting");
	parse_bad("{\"range\":\"10.0.0.0/24\",\"plexusdSocket\":\"/tmp/s\"}",
		  NULL, CNI_ERR_INVALID_CONFIG,
		  "ipam.plexusdSocket: a node-only setting");
	parse_bad("{\"range\":\"10.0.0.0/24\",\"store\":\"nope\"}", NULL,
		  CNI_ERR_INVALID_CONFIG, "\"nope\" is not a store defined");
}

/* A store named by the config is looked up in the node settings. */
static void test_ipam_conf_parse__named_store(void **state)
{
	struct ipam_conf *c;
	json_object *v;

	(void)state;
	setenv(IPAM_NODE_INLINE_ENV,
	       "{\"store\":{\"type\":\"file\",\"path\":\"/a\"},"
	       "\"stores\":{\"b\":{\"type\":\"file\",\"path\":\"/b\"}}}",
	       1);
	c = parse_ok("{\"range\":\"10.0.0.0/24\",\"store\":\"b\"}", NULL);
	assert_true(json_object_object_get_ex(c->store, "path", &v));
	assert_string_equal(json_object_get_string(v), "/b");
	ipam_conf_free(c);
	c = parse_ok("{\"range\":\"10.0.0.0/24\"}", NULL);
	assert_true(json_object_object_get_ex(c->store, "path", &v));
	assert_string_equal(json_object_get_string(v), "/a");
	ipam_conf_free(c);
	parse_bad("{\"range\":\"10.0.0.0/24\",\"store\":\"c\"}", NULL,
		  CNI_ERR_INVALID_CONFIG, "\"c\" is not a store defined");
	setenv(IPAM_NODE_INLINE_ENV, "{\"stores\":[]}", 1);
	parse_bad("{\"range\":\"10.0.0.0/24\"}", NULL, CNI_ERR_INVALID_CONFIG,
		  "stores");
	setenv(IPAM_NODE_INLINE_ENV, "{\"lockdir\":\"/x\"}", 1);
	parse_bad("{\"range\":\"10.0.0.0/24\"}", NULL, CNI_ERR_INVALID_CONFIG,
		  "unknown key \"lockdir\"");
	unsetenv(IPAM_NODE_INLINE_ENV);
}

/* The node file is taken only when nobody but root (or us) can write it. */
static void test_ipam_conf_parse__node_file_trust(void **state)
{
	char path[] = "/tmp/plexus-ipam-node.XXXXXX";
	const char *text = "{\"nodeName\":\"node-f\"}";
	struct ipam_conf *c;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	setenv(IPAM_NODE_CONF_ENV, path, 1);
	assert_int_equal(fchmod(fd, 0644), 0);
	c = parse_ok("{\"range\":\"10.0.0.0/24\"}", NULL);
	assert_string_equal(c->node, "node-f");
	ipam_conf_free(c);
	assert_int_equal(fchmod(fd, 0666), 0);
	parse_bad("{\"range\":\"10.0.0.0/24\"}", NULL, CNI_ERR_INVALID_CONFIG,
		  "writable by group or others");
	close(fd);
	unlink(path);
	/* absent: no node settings, the default store */
	c = parse_ok("{\"range\":\"10.0.0.0/24\"}", NULL);
	assert_null(c->store);
	assert_null(c->node);
	ipam_conf_free(c);
	unsetenv(IPAM_NODE_CONF_ENV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipam_conf_parse__v4_defaults),
		cmocka_unit_test(test_ipam_conf_parse__start_end_exclude),
		cmocka_unit_test(test_ipam_conf_parse__dash_form),
		cmocka_unit_test(test_ipam_conf_parse__v6_64_whole),
		cmocka_unit_test(test_ipam_conf_parse__dual_stack),
		cmocka_unit_test(test_ipam_conf_parse__bad),
		cmocka_unit_test(test_ipam_conf_request_env),
		cmocka_unit_test(test_ipam_conf_parse__not_json),
		cmocka_unit_test(test_ipam_conf_parse__gateway_rule),
		cmocka_unit_test(test_ipam_conf_parse__exclude_bare_address),
		cmocka_unit_test(test_ipam_conf_parse__hostlocal_form),
		cmocka_unit_test(test_ipam_conf_parse__range_before_ipranges),
		cmocka_unit_test(test_ipam_addr__u128_roundtrip),
		cmocka_unit_test(test_ipam_node_name__order),
		cmocka_unit_test(test_ipam_conf_parse__node_only_refused),
		cmocka_unit_test(test_ipam_conf_parse__named_store),
		cmocka_unit_test(test_ipam_conf_parse__node_file_trust),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
