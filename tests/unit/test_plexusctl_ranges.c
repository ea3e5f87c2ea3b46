/* SPDX-License-Identifier: Apache-2.0 */
/* plexusctl validate's IPAM ranges: parsing, bounds, overlap. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "plexusctl.h"

static struct ctl_range rng(const char *s)
{
	struct ctl_range r;
	const char *why;

	if (ctl_range_parse(s, &r, &why))
		fail_msg("%s: %s", s, why);
	return r;
}

static void bound(const struct ctl_range *r, bool hi, char *buf)
{
	struct ipam_addr a = { r->family, hi ? r->hi : r->lo };

	ipam_addr_fmt(&a, buf);
}

static void test_ctl_range_parse__bounds(void **state)
{
	static const struct {
		const char *in, *lo, *hi;
	} cases[] = {
		{ "10.0.0.0/24", "10.0.0.0", "10.0.0.255" },
		{ "10.0.0.77/24", "10.0.0.0", "10.0.0.255" }, /* host bits */
		{ "10.1.2.3/32", "10.1.2.3", "10.1.2.3" },
		{ "0.0.0.0/0", "0.0.0.0", "255.255.255.255" },
		{ "10.0.0.0/8", "10.0.0.0", "10.255.255.255" },
		{ "192.168.2.225-192.168.2.230/28", "192.168.2.225",
		  "192.168.2.230" },
		{ "192.168.2.225-/28", "192.168.2.225", "192.168.2.239" },
		{ "fd00::/64", "fd00::", "fd00::ffff:ffff:ffff:ffff" },
		{ "fd00:1:2:3::/63",
		  "fd00:1:2:2::", "fd00:1:2:3:ffff:ffff:ffff:ffff" },
		{ "2001:db8::10-2001:db8::20/120", "2001:db8::10",
		  "2001:db8::20" },
	};
	char lo[IPAM_ADDR_STRLEN], hi[IPAM_ADDR_STRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctl_range r = rng(cases[i].in);

		bound(&r, false, lo);
		bound(&r, true, hi);
		assert_string_equal(lo, cases[i].lo);
		assert_string_equal(hi, cases[i].hi);
	}
}

static void test_ctl_range_parse__rejects(void **state)
{
	static const char *const bad[] = {
		"10.0.0.0",
		"10.0.0.0/33",
		"10.0.0.0/",
		"10.0.0.0/-1",
		"10.0.0.0/2x",
		"10.0.0/24",
		"fd00::/129",
		"x/24",
		"",
		"10.0.0.9-10.0.0.1/24",
		"10.0.0.1-10.0.1.1/24",
		"10.0.0.1-fd00::1/24",
		"10.0.0.0/0024",
	};
	struct ctl_range r;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (ctl_range_parse(bad[i], &r, &why) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_non_null(why);
	}
}

static void test_ctl_range_overlap__families_and_edges(void **state)
{
	struct ctl_range a = rng("10.0.0.0/24"), b = rng("10.0.0.128/25"),
			 c = rng("10.0.1.0/24"), d = rng("10.0.0.255/32"),
			 e = rng("fd00::/8"), f = rng("fd12::/64"),
			 g = rng("10.0.0.0-10.0.0.99/24"),
			 h = rng("10.0.0.100-10.0.0.200/24");

	(void)state;
	assert_true(ctl_range_overlap(&a, &b));
	assert_true(ctl_range_overlap(&b, &a));
	assert_false(ctl_range_overlap(&a, &c));
	assert_true(ctl_range_overlap(&a, &d)); /* the last address */
	assert_false(ctl_range_overlap(&c, &d));
	assert_true(ctl_range_overlap(&e, &f));
	assert_false(ctl_range_overlap(&a, &e)); /* v4 vs v6 */
	assert_false(ctl_range_overlap(&g, &h)); /* one subnet, split */
	assert_true(ctl_range_overlap(&a, &h));
}

static void test_ctl_range_contains__addresses(void **state)
{
	struct ctl_range r = rng("10.0.0.0/30");
	struct ipam_addr a;

	(void)state;
	assert_int_equal(ipam_addr_parse("10.0.0.3", &a), 0);
	assert_true(ctl_range_contains(&r, &a));
	assert_int_equal(ipam_addr_parse("10.0.0.4", &a), 0);
	assert_false(ctl_range_contains(&r, &a));
	assert_int_equal(ipam_addr_parse("::ffff:10.0.0.1", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_false(ctl_range_contains(&r, &a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctl_range_parse__bounds),
		cmocka_unit_test(test_ctl_range_parse__rejects),
		cmocka_unit_test(test_ctl_range_overlap__families_and_edges),
		cmocka_unit_test(test_ctl_range_contains__addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
