/* SPDX-License-Identifier: Apache-2.0 */
/* The plexus.dev/policy-routes parser: what it keeps, what it refuses. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cni_error.h"
#include "cni_json.h"
#include "proutes.h"

#define WHAT "network ns/red: annotation " ANNOT_POLICY_ROUTES

static void test_proutes_parse__both_families_canonical(void **state)
{
	static const char in[] = "[{\"dst\":\"10.83.0.0/"
				 "24\",\"gw\":\"10.73.0.254\"},"
				 " {\"gw\":\"FD00:73:0::FE\",\"dst\":\"fd00:83:"
				 "0::/64\"}]";
	struct cni_err err = { 0 };
	json_object *rts = NULL;

	(void)state;
	assert_int_equal(proutes_parse(in, strlen(in), WHAT, &rts, &err), 0);
	assert_string_equal(cni_json_str(rts), "[{\"dst\":\"10.83.0.0/"
					       "24\",\"gw\":\"10.73.0."
					       "254\"},{\"dst\":\"fd00:83::/"
					       "64\",\"gw\":"
					       "\"fd00:73::fe\"}]");
	json_object_put(rts);
}

static void test_proutes_parse__empty_list(void **state)
{
	struct cni_err err = { 0 };
	json_object *rts = NULL;

	(void)state;
	assert_int_equal(proutes_parse(" [ ] ", 5, WHAT, &rts, &err), 0);
	assert_int_equal(json_object_array_length(rts), 0);
	json_object_put(rts);
}

static void test_proutes_parse__refusals(void **state)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{ "", "empty input" },
		{ "[{\"dst\":\"10.0.0.0/8\",", "invalid JSON" },
		{ "{\"dst\":\"10.0.0.0/8\",\"gw\":\"10.1.0.1\"}", "not a JSON "
								  "list" },
		{ "[\"10.0.0.0/8\"]", "route 0: not an object" },
		{ "[{\"gw\":\"10.1.0.1\"}]", "route 0: \"dst\" missing" },
		{ "[{\"dst\":\"10.0.0.0/8\"}]", "route 0: \"gw\" missing" },
		{ "[{\"dst\":8,\"gw\":\"10.1.0.1\"}]", "route 0: \"dst\" is "
						       "not a string" },
		{ "[{\"dst\":\"10.0.0.0/8\",\"gw\":\"10.1.0.1\",\"via\":1}]",
		  "route 0: unknown member \"via\"" },
		{ "[{\"dst\":\"10.0.0.0\",\"gw\":\"10.1.0.1\"}]", "route 0: "
								  "dst "
								  "\"10.0.0."
								  "0\" is not "
								  "a CIDR" },
		{ "[{\"dst\":\"10.0.0.0/33\",\"gw\":\"10.1.0.1\"}]", "is not a "
								     "CIDR" },
		{ "[{\"dst\":\"10.0.0.0/08\",\"gw\":\"10.1.0.1\"}]", "is not a "
								     "CIDR" },
		{ "[{\"dst\":\"10.0.0.0/+8\",\"gw\":\"10.1.0.1\"}]", "is not a "
								     "CIDR" },
		{ "[{\"dst\":\"10.0.0.0/\",\"gw\":\"10.1.0.1\"}]", "is not a "
								   "CIDR" },
		{ "[{\"dst\":\"fd00::/129\",\"gw\":\"fd00::1\"}]", "is not a "
								   "CIDR" },
		{ "[{\"dst\":\"host/24\",\"gw\":\"10.1.0.1\"}]", "is not a "
								 "CIDR" },
		{ "[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.1.0.1\"}]", "is a "
								   "default "
								   "route" },
		{ "[{\"dst\":\"::/0\",\"gw\":\"fd00::1\"}]", "is a default "
							     "route" },
		{ "[{\"dst\":\"10.0.0.1/8\",\"gw\":\"10.1.0.1\"}]", "dst "
								    "\"10.0.0."
								    "1/8\" has "
								    "host bits "
								    "set" },
		{ "[{\"dst\":\"fd00::1:0/111\",\"gw\":\"fd00::1\"}]", "has "
								      "host "
								      "bits "
								      "set" },
		{ "[{\"dst\":\"10.0.0.0/8\",\"gw\":\"10.1.0.1/24\"}]",
		  "route 0 (dst 10.0.0.0/8): gw \"10.1.0.1/24\" is not an IP "
		  "address" },
		{ "[{\"dst\":\"10.0.0.0/8\",\"gw\":\"fd00::1\"}]", "gw "
								   "\"fd00::"
								   "1\" is not "
								   "of dst's "
								   "address "
								   "family" },
		{ "[{\"dst\":\"10.0.0.0/8\",\"gw\":\"10.1.0.1\"},"
		  "{\"dst\":\"10.0.0.0/8\",\"gw\":\"10.1.0.2\"}]",
		  "route 1: dst 10.0.0.0/8 is route 0's already" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cni_err err = { 0 };
		json_object *rts = NULL;
		int r = proutes_parse(cases[i].in, strlen(cases[i].in), WHAT,
				      &rts, &err);

		if (r == 0 || !strstr(err.msg, cases[i].msg) ||
		    strncmp(err.msg, WHAT, strlen(WHAT)))
			print_error("case %zu: r=%d msg: %s\n", i, r, err.msg);
		assert_true(r < 0);
		assert_null(rts);
		assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
		assert_non_null(strstr(err.msg, cases[i].msg));
		assert_memory_equal(err.msg, WHAT, strlen(WHAT));
	}
}

/* n routes 10.<i>.0.0/16 via 10.255.0.1 */
static void many(size_t n, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "[");

	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, len - off,
					"%s{\"dst\":\"10.%zu.0.0/16\","
					"\"gw\":\"10.255.0.1\"}",
					i ? "," : "", i);
	snprintf(buf + off, len - off, "]");
}

static void test_proutes_parse__at_most_64(void **state)
{
	char buf[PROUTES_MAX_BYTES];
	struct cni_err err = { 0 };
	json_object *rts = NULL;

	(void)state;
	many(PROUTES_MAX, buf, sizeof(buf));
	assert_int_equal(proutes_parse(buf, strlen(buf), WHAT, &rts, &err), 0);
	assert_int_equal(json_object_array_length(rts), PROUTES_MAX);
	json_object_put(rts);
	rts = NULL;
	many(PROUTES_MAX + 1, buf, sizeof(buf));
	assert_true(proutes_parse(buf, strlen(buf), WHAT, &rts, &err) < 0);
	assert_null(rts);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	assert_non_null(strstr(err.msg, "65 routes, at most 64"));
}

static void test_proutes_parse__too_large(void **state)
{
	static char buf[PROUTES_MAX_BYTES + 2];
	struct cni_err err = { 0 };
	json_object *rts = NULL;

	(void)state;
	memset(buf, ' ', sizeof(buf) - 1);
	buf[0] = '[';
	buf[sizeof(buf) - 2] = ']';
	assert_true(proutes_parse(buf, sizeof(buf) - 1, WHAT, &rts, &err) < 0);
	assert_null(rts);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proutes_parse__both_families_canonical),
		cmocka_unit_test(test_proutes_parse__empty_list),
		cmocka_unit_test(test_proutes_parse__refusals),
		cmocka_unit_test(test_proutes_parse__at_most_64),
		cmocka_unit_test(test_proutes_parse__too_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
