/* SPDX-License-Identifier: Apache-2.0 */
/* Config parsing of the native delegates, and their pure helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <cmocka.h>

#include "cni_error.h"
#include "kinds.h"

static json_object *conf_of(const char *s)
{
	json_object *o = json_tokener_parse(s);

	assert_non_null(o);
	return o;
}

/* ---- bridge ---- */

static void test_bridge_conf_parse__defaults(void **state)
{
	json_object *o = conf_of("{\"type\":\"plexus-bridge\"}");
	struct bridge_conf b;
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(bridge_conf_parse(o, &b, &err), 0);
	assert_string_equal(b.bridge, "cni0");
	assert_false(b.is_gw);
	assert_false(b.hairpin);
	assert_null(b.c.ipam_type);
	assert_int_equal(b.c.mtu, 0);
	assert_false(b.c.has_mac);
	json_object_put(o);
}

static void test_bridge_conf_parse__keys(void **state)
{
	json_object *o = conf_of("{\"bridge\":\"br7\",\"isDefaultGateway\":"
				 "true,"
				 "\"forceAddress\":true,\"hairpinMode\":true,"
				 "\"mtu\":1400,"
				 "\"ipMasq\":true,\"ipMasqBackend\":"
				 "\"nftables\","
				 "\"vlan\":0,\"macspoofchk\":false,"
				 "\"enabledad\":true,"
				 "\"ipam\":{\"type\":\"host-local\"},"
				 "\"runtimeConfig\":{\"mac\":\"02:00:00:00:00:"
				 "0a\"}}");
	struct bridge_conf b;
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(bridge_conf_parse(o, &b, &err), 0);
	assert_string_equal(b.bridge, "br7");
	assert_true(b.is_gw); /* implied by isDefaultGateway */
	assert_true(b.is_default_gw);
	assert_true(b.force_address);
	assert_true(b.hairpin);
	assert_true(b.ip_masq);
	assert_true(b.dad);
	assert_int_equal(b.c.mtu, 1400);
	assert_string_equal(b.c.ipam_type, "host-local");
	assert_true(b.c.has_mac);
	assert_int_equal(b.c.mac[5], 0x0a);
	json_object_put(o);
}

static const struct {
	const char *conf;
	int code;
	const char *names; /* the message must name this */
} bridge_bad[] = {
	{ "{\"ipMasq\":\"yes\"}", CNI_ERR_INVALID_CONFIG, "ipMasq" },
	{ "{\"ipMasqBackend\":\"iptables\"}", CNI_ERR_UNSUPPORTED_FIELD,
	  "ipMasqBackend" },
	{ "{\"vlan\":5000}", CNI_ERR_INVALID_CONFIG, "\"vlan\": 5000" },
	{ "{\"vlanTrunk\":[{\"id\":0}]}", CNI_ERR_INVALID_CONFIG,
	  "vlanTrunk[0].id" },
	{ "{\"macspoofchk\":1}", CNI_ERR_INVALID_CONFIG, "macspoofchk" },
	{ "{\"enabledad\":1}", CNI_ERR_INVALID_CONFIG, "enabledad" },
	{ "{\"portIsolation\":true}", CNI_ERR_UNSUPPORTED_FIELD,
	  "portIsolation" },
	{ "{\"hairpinMode\":true,\"promiscMode\":true}", CNI_ERR_INVALID_CONFIG,
	  "promiscMode" },
	{ "{\"bridge\":\"a-name-longer-than-15\"}", CNI_ERR_INVALID_CONFIG,
	  "a-name-longer-than-15" },
	{ "{\"bridge\":\"a/b\"}", CNI_ERR_INVALID_CONFIG, "a/b" },
	{ "{\"isGateway\":\"yes\"}", CNI_ERR_INVALID_CONFIG, "isGateway" },
	{ "{\"mtu\":70000}", CNI_ERR_INVALID_CONFIG, "mtu" },
	{ "{\"mtu\":\"1500\"}", CNI_ERR_INVALID_CONFIG, "mtu" },
	{ "{\"runtimeConfig\":{\"mac\":\"02:00:00:00:00\"}}",
	  CNI_ERR_INVALID_CONFIG, "runtimeConfig.mac" },
	{ "{\"args\":{\"cni\":{\"mac\":\"zz:00:00:00:00:00\"}}}",
	  CNI_ERR_INVALID_CONFIG, "args.cni.mac" },
};

static void test_bridge_conf_parse__refused_and_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bridge_bad) / sizeof(bridge_bad[0]);
	     i++) {
		json_object *o = conf_of(bridge_bad[i].conf);
		struct bridge_conf b;
		struct cni_err err = { 0 };

		assert_true(bridge_conf_parse(o, &b, &err) < 0);
		if (err.code != bridge_bad[i].code ||
		    !strstr(err.msg, bridge_bad[i].names))
			fail_msg("%s: code %d msg \"%s\"", bridge_bad[i].conf,
				 err.code, err.msg);
		json_object_put(o);
	}
}

/* ---- bridge VLANs ---- */

static void test_bridge_vlans_parse__access(void **state)
{
	json_object *o = conf_of("{\"vlan\":100}");
	struct bridge_vlans v;
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(bridge_vlans_parse(o, &v, &err), 0);
	assert_int_equal(v.vlan, 100);
	assert_true(v.preserve_default);
	assert_false(v.trunk_set);
	assert_int_equal(v.n_trunk, 0);
	assert_true(bridge_vlans_filtering(&v));
	json_object_put(o);
}

static void test_bridge_vlans_parse__none(void **state)
{
	json_object *o = conf_of("{\"vlan\":0,\"vlanTrunk\":null}");
	struct bridge_vlans v;
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(bridge_vlans_parse(o, &v, &err), 0);
	assert_int_equal(v.vlan, 0);
	assert_false(bridge_vlans_filtering(&v));
	json_object_put(o);
}

/* Entries merge (a set, as the reference); an entry may have both an id
 * and a range; an empty entry adds nothing. */
static void test_bridge_vlans_parse__trunk_merges(void **state)
{
	json_object *o = conf_of("{\"preserveDefaultVlan\":false,\"vlanTrunk\":"
				 "[{\"id\":5},"
				 "{\"minID\":10,\"maxID\":12},{\"id\":11},{},"
				 "{\"minID\":1,\"maxID\":1,\"id\":4094}]}");
	static const int want[] = { 1, 5, 10, 11, 12, 4094 };
	struct bridge_vlans v;
	struct cni_err err = { 0 };
	size_t n = 0;

	(void)state;
	assert_int_equal(bridge_vlans_parse(o, &v, &err), 0);
	assert_false(v.preserve_default);
	assert_true(v.trunk_set);
	assert_int_equal(v.n_trunk, 6);
	for (int id = 0; id <= 4096; id++)
		if (bridge_vlans_trunk_has(&v, id)) {
			assert_true(n < 6);
			assert_int_equal(id, want[n++]);
		}
	assert_int_equal(n, 6);
	json_object_put(o);
}

/* An empty vlanTrunk still turns filtering on, and may go with vlan. */
static void test_bridge_vlans_parse__empty_trunk(void **state)
{
	json_object *o = conf_of("{\"vlan\":7,\"vlanTrunk\":[]}");
	struct bridge_vlans v;
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(bridge_vlans_parse(o, &v, &err), 0);
	assert_int_equal(v.vlan, 7);
	assert_true(v.trunk_set);
	assert_int_equal(v.n_trunk, 0);
	json_object_put(o);
}

static const struct {
	const char *conf;
	const char *names; /* the message must name this (code 7) */
} vlans_bad[] = {
	{ "{\"vlan\":4095}", "\"vlan\": 4095 is out of range 0..4094" },
	{ "{\"vlan\":-1}", "\"vlan\": -1" },
	{ "{\"vlan\":\"100\"}", "\"vlan\": must be an integer" },
	{ "{\"preserveDefaultVlan\":\"no\"}", "preserveDefaultVlan" },
	{ "{\"vlanTrunk\":{\"id\":5}}", "\"vlanTrunk\": must be a list" },
	{ "{\"vlanTrunk\":[5]}", "\"vlanTrunk[0]\": 5 is not an object" },
	{ "{\"vlanTrunk\":[{\"id\":1},{\"id\":0}]}", "\"vlanTrunk[1].id\": 0 "
						     "is out of range "
						     "1..4094" },
	{ "{\"vlanTrunk\":[{\"id\":4095}]}", "vlanTrunk[0].id\": 4095" },
	{ "{\"vlanTrunk\":[{\"id\":\"5\"}]}", "vlanTrunk[0].id" },
	{ "{\"vlanTrunk\":[{\"minID\":0,\"maxID\":5}]}", "vlanTrunk[0].minID\":"
							 " 0" },
	{ "{\"vlanTrunk\":[{\"minID\":1,\"maxID\":4095}]}", "vlanTrunk[0]."
							    "maxID\": 4095" },
	{ "{\"vlanTrunk\":[{\"minID\":9,\"maxID\":3}]}", "\"vlanTrunk[0]\": "
							 "minID 9 is greater "
							 "than maxID 3" },
	{ "{\"vlanTrunk\":[{\"minID\":3}]}", "\"maxID\" missing" },
	{ "{\"vlanTrunk\":[{\"maxID\":3}]}", "\"minID\" missing" },
	{ "{\"vlan\":3,\"vlanTrunk\":[{\"id\":4}]}", "\"vlan\" (3) and "
						     "\"vlanTrunk\" cannot "
						     "both be set" },
};

static void test_bridge_vlans_parse__bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vlans_bad) / sizeof(vlans_bad[0]); i++) {
		json_object *o = conf_of(vlans_bad[i].conf);
		struct bridge_vlans v = { .vlan = -7 };
		struct cni_err err = { 0 };

		assert_true(bridge_vlans_parse(o, &v, &err) < 0);
		if (err.code != CNI_ERR_INVALID_CONFIG ||
		    !strstr(err.msg, vlans_bad[i].names))
			fail_msg("%s: code %d msg \"%s\"", vlans_bad[i].conf,
				 err.code, err.msg);
		assert_int_equal(v.vlan, -7); /* ret untouched */
		json_object_put(o);
	}
}

/* -EOPNOTSUPP (no VLAN filtering in the kernel): code 2 naming the key. */
static void test_bridge_vlans_unsupported__names_key(void **state)
{
	struct bridge_vlans v = { .vlan = 100 };
	struct cni_err err = { 0 };

	(void)state;
	assert_true(bridge_vlans_unsupported(&v, -EOPNOTSUPP, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_UNSUPPORTED_FIELD);
	assert_non_null(strstr(err.msg, "\"vlan\": 100: this kernel has no "
					"bridge VLAN filtering"));
	v.vlan = 0;
	v.trunk_set = true;
	assert_true(bridge_vlans_unsupported(&v, -EOPNOTSUPP, &err) < 0);
	assert_non_null(strstr(err.msg, "\"vlanTrunk\": this kernel"));
	assert_int_equal(bridge_vlans_unsupported(&v, -EIO, &err), -EIO);
}

/* ---- macvlan ---- */

static void test_macvlan_conf_parse__modes(void **state)
{
	static const struct {
		const char *mode;
		int want; /* -1: refused */
	} t[] = {
		{ NULL, MACVLAN_MODE_BRIDGE },
		{ "", MACVLAN_MODE_BRIDGE },
		{ "bridge", MACVLAN_MODE_BRIDGE },
		{ "private", MACVLAN_MODE_PRIVATE },
		{ "vepa", MACVLAN_MODE_VEPA },
		{ "passthru", MACVLAN_MODE_PASSTHRU },
		{ "source", -1 },
		{ "Bridge", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_object *o = conf_of("{\"master\":\"eth9\"}");
		struct macvlan_conf m;
		struct cni_err err = { 0 };
		int r;

		if (t[i].mode)
			json_object_object_add(
				o, "mode", json_object_new_string(t[i].mode));
		r = macvlan_conf_parse(o, &m, &err);
		if (t[i].want < 0) {
			assert_int_equal(r < 0, 1);
			assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
			assert_non_null(strstr(err.msg, t[i].mode));
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(m.mode, (uint32_t)t[i].want);
			assert_string_equal(m.master, "eth9");
		}
		json_object_put(o);
	}
}

static void test_macvlan_conf_parse__defaults_and_refused(void **state)
{
	json_object *o = conf_of("{\"linkInContainer\":true}");
	struct macvlan_conf m;
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(macvlan_conf_parse(o, &m, &err), 0);
	assert_null(m.master); /* the default route's link, at ADD */
	assert_true(m.link_in_container);
	json_object_put(o);
	o = conf_of("{\"master\":\"eth0\",\"bcqueuelen\":100}");
	assert_true(macvlan_conf_parse(o, &m, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_UNSUPPORTED_FIELD);
	assert_non_null(strstr(err.msg, "bcqueuelen"));
	json_object_put(o);
}

/* ---- ipvlan ---- */

static void test_ipvlan_conf_parse__modes(void **state)
{
	static const struct {
		const char *conf;
		int want; /* -1: refused with code */
		int code;
	} t[] = {
		{ "{}", IPVLAN_MODE_L2, 0 },
		{ "{\"mode\":\"l2\"}", IPVLAN_MODE_L2, 0 },
		{ "{\"mode\":\"l3\"}", IPVLAN_MODE_L3, 0 },
		{ "{\"mode\":\"l3s\"}", IPVLAN_MODE_L3S, 0 },
		{ "{\"mode\":\"l4\"}", -1, CNI_ERR_INVALID_CONFIG },
		{ "{\"mode\":3}", -1, CNI_ERR_INVALID_CONFIG },
		{ "{\"runtimeConfig\":{\"mac\":\"02:00:00:00:00:01\"}}", -1,
		  CNI_ERR_UNSUPPORTED_FIELD },
		{ "{\"master\":\"\"}", -1, CNI_ERR_INVALID_CONFIG },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_object *o = conf_of(t[i].conf);
		struct ipvlan_conf v;
		struct cni_err err = { 0 };
		int r = ipvlan_conf_parse(o, &v, &err);

		if (t[i].want < 0) {
			if (r >= 0 || err.code != t[i].code)
				fail_msg("%s: r %d code %d", t[i].conf, r,
					 err.code);
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(v.mode, t[i].want);
		}
		json_object_put(o);
	}
}

/* ---- helpers ---- */

static void test_dl_mac_parse__table(void **state)
{
	static const struct {
		const char *s;
		int ok;
	} t[] = {
		{ "02:aa:BB:cc:dd:ee", 1 },
		{ "02:aa:bb:cc:dd", 0 },
		{ "02:aa:bb:cc:dd:ee:ff", 0 },
		{ "02-aa-bb-cc-dd-ee", 0 },
		{ "0g:aa:bb:cc:dd:ee", 0 },
		{ " 2:aa:bb:cc:dd:ee", 0 },
		{ "", 0 },
	};
	uint8_t mac[6];
	char back[18];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if ((dl_mac_parse(t[i].s, mac) == 0) != t[i].ok)
			fail_msg("\"%s\"", t[i].s);
	assert_int_equal(dl_mac_parse("02:aa:BB:cc:dd:ee", mac), 0);
	dl_mac_format(mac, back);
	assert_string_equal(back, "02:aa:bb:cc:dd:ee");
}

static void test_dl_prefix_parse__table(void **state)
{
	static const struct {
		const char *s;
		int family, len; /* family 0: refused */
	} t[] = {
		{ "10.1.2.3/24", AF_INET, 24 }, { "10.1.2.3/0", AF_INET, 0 },
		{ "fd00::5/64", AF_INET6, 64 }, { "10.1.2.3", 0, 0 },
		{ "10.1.2.3/33", 0, 0 },	{ "10.1.2.3/-1", 0, 0 },
		{ "10.1.2.3/", 0, 0 },		{ "fd00::5/129", 0, 0 },
		{ "10.1.2/24", 0, 0 },		{ "10.1.2.3/24x", 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct nl_prefix p;
		int r = dl_prefix_parse(t[i].s, &p);

		if (t[i].family == 0 ? r == 0
				     : (r != 0 || p.family != t[i].family ||
					p.len != t[i].len))
			fail_msg("\"%s\"", t[i].s);
	}
}

static void test_dl_prefix_contains__subnets(void **state)
{
	struct nl_prefix net, in, out, v6;

	(void)state;
	assert_int_equal(dl_prefix_parse("10.1.0.0/23", &net), 0);
	assert_int_equal(dl_ip_parse("10.1.1.200", &in), 0);
	assert_int_equal(dl_ip_parse("10.1.2.1", &out), 0);
	assert_int_equal(dl_ip_parse("::1", &v6), 0);
	assert_true(dl_prefix_contains(&net, &in));
	assert_false(dl_prefix_contains(&net, &out));
	assert_false(dl_prefix_contains(&net, &v6));
}

static int undo_log[4], undo_n;
static void undo_rec(void *arg)
{
	undo_log[undo_n++] = *(int *)arg;
}

static void test_dl_undo_run__reverse_order(void **state)
{
	struct dl_undos u = { .n = 0 };
	int a = 1, b = 2, c = 3;

	(void)state;
	undo_n = 0;
	dl_undo_push(&u, undo_rec, &a);
	dl_undo_push(&u, undo_rec, &b);
	dl_undo_push(&u, undo_rec, &c);
	dl_undo_run(&u);
	assert_int_equal(undo_n, 3);
	assert_int_equal(undo_log[0], 3);
	assert_int_equal(undo_log[2], 1);
	assert_int_equal(u.n, 0);
}

/* A fake exec: checks what an IPAM call gets, answers a canned result. */
struct fake_exec {
	int calls;
	enum cni_cmd last_cmd;
	const char *answer;
	int fail_code;
};

static int fake_run(void *ctx, const struct cni_exec_req *req,
		    json_object **ret_out, struct cni_err *err)
{
	struct fake_exec *f = ctx;

	f->calls++;
	f->last_cmd = req->cmd;
	assert_string_equal(req->type, "fake-ipam");
	assert_string_equal(req->container_id, "cid9");
	assert_string_equal(req->ifname, "net3");
	assert_non_null(json_object_object_get(req->conf, "ipam"));
	if (f->fail_code)
		return cni_errf(err, f->fail_code, "fake-ipam: no");
	*ret_out = f->answer ? json_tokener_parse(f->answer) : NULL;
	return 0;
}

static void test_dl_ipam_exec__passes_env_and_parses(void **state)
{
	struct fake_exec f = {
		.answer = "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":"
			  "\"10.9.0.4/24\",\"gateway\":\"10.9.0.1\"}]}",
	};
	struct cni_exec_ops ops = { fake_run, &f };
	struct cni_env env = { .cmd = CNI_CMD_ADD,
			       .container_id = "cid9",
			       .ifname = "net3",
			       .netns = "/x" };
	json_object *conf = conf_of("{\"cniVersion\":\"1.0.0\",\"ipam\":"
				    "{\"type\":\"fake-ipam\"}}");
	struct delegate_req req = {
		.env = &env, .conf = conf, .ver = CNI_V100, .exec = &ops
	};
	struct cni_result *res = NULL;
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(
		dl_ipam_exec(&req, "fake-ipam", CNI_CMD_ADD, &res, &err), 0);
	assert_int_equal(res->n_ips, 1);
	assert_string_equal(res->ips[0].address, "10.9.0.4/24");
	cni_result_free(res);
	assert_int_equal(
		dl_ipam_exec(&req, "fake-ipam", CNI_CMD_DEL, NULL, &err), 0);
	assert_int_equal(f.last_cmd, CNI_CMD_DEL);
	f.fail_code = CNI_ERR_TRY_AGAIN;
	assert_true(dl_ipam_exec(&req, "fake-ipam", CNI_CMD_ADD, &res, &err) <
		    0);
	assert_int_equal(err.code, CNI_ERR_TRY_AGAIN);
	f.fail_code = 0;
	f.answer = NULL; /* ADD without a result is an error */
	assert_true(dl_ipam_exec(&req, "fake-ipam", CNI_CMD_ADD, &res, &err) <
		    0);
	assert_int_equal(f.calls, 4);
	json_object_put(conf);
}

static void test_delegate_find__names(void **state)
{
	(void)state;
	assert_ptr_equal(delegate_find("plexus-bridge"), &bridge_delegate);
	assert_ptr_equal(delegate_find("plexus-macvlan"), &macvlan_delegate);
	assert_ptr_equal(delegate_find("plexus-ipvlan"), &ipvlan_delegate);
	assert_ptr_equal(delegate_find("plexus-sriov"), &sriov_delegate);
	assert_null(delegate_find("bridge"));
	assert_null(delegate_find(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bridge_conf_parse__defaults),
		cmocka_unit_test(test_bridge_conf_parse__keys),
		cmocka_unit_test(test_bridge_conf_parse__refused_and_bad),
		cmocka_unit_test(test_bridge_vlans_parse__access),
		cmocka_unit_test(test_bridge_vlans_parse__none),
		cmocka_unit_test(test_bridge_vlans_parse__trunk_merges),
		cmocka_unit_test(test_bridge_vlans_parse__empty_trunk),
		cmocka_unit_test(test_bridge_vlans_parse__bad),
		cmocka_unit_test(test_bridge_vlans_unsupported__names_key),
		cmocka_unit_test(test_macvlan_conf_parse__modes),
		cmocka_unit_test(test_macvlan_conf_parse__defaults_and_refused),
		cmocka_unit_test(test_ipvlan_conf_parse__modes),
		cmocka_unit_test(test_dl_mac_parse__table),
		cmocka_unit_test(test_dl_prefix_parse__table),
		cmocka_unit_test(test_dl_prefix_contains__subnets),
		cmocka_unit_test(test_dl_undo_run__reverse_order),
		cmocka_unit_test(test_dl_ipam_exec__passes_env_and_parses),
		cmocka_unit_test(test_delegate_find__names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
