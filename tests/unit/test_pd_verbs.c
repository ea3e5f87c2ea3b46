/* SPDX-License-Identifier: Apache-2.0 */
/* The metrics plexus reports to plexusd (pd_verbs.c): label values
 * escaped, histogram buckets cumulative with _sum and _count, errors by
 * CNI code, and the cap on distinct label sets with its "_other"
 * series. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pd_sock.h"
#include "pd_verbs.h"

#define BUF (256 * 1024)

static void take(struct pd_verbs *v, const char *line)
{
	struct pd_sock_req r;

	assert_int_equal(pd_sock_parse(line, strlen(line), &r), 0);
	pd_verbs_take(v, &r);
}

static char *render(const struct pd_verbs *v)
{
	char *buf = malloc(BUF);
	size_t len = 0;

	assert_non_null(buf);
	assert_int_equal(pd_verbs_render(v, buf, BUF, &len), 0);
	assert_int_equal(strlen(buf), len);
	return buf;
}

static void has(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("missing: %s", line);
}

static void test_pd_label_escape__table(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "default/a1", "default/a1" }, { "a\"b", "a\\\"b" },
		{ "a\\b", "a\\\\b" },		{ "a\nb", "a\\nb" },
		{ "\"\\\n", "\\\"\\\\\\n" },	{ "", "" },
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(pd_label_escape(t[i].in, out, sizeof(out)),
				 (int)strlen(t[i].out));
		assert_string_equal(out, t[i].out);
	}
	assert_int_equal(pd_label_escape("abc", out, 3), -ENOSPC);
	assert_int_equal(pd_label_escape("a\"", out, 3), -ENOSPC);
	assert_int_equal(pd_label_escape("ab", out, 3), 2);
}

static void test_pd_verbs_render__buckets(void **state)
{
	struct pd_verbs *v = NULL;
	char *text;

	(void)state;
	assert_int_equal(pd_verbs_new(&v), 0);
	take(v, "RESULT ADD 0 800 0");	    /* 0.8 ms: le 0.001 */
	take(v, "RESULT ADD 0 1000 0");	    /* exactly 1 ms: le 0.001 */
	take(v, "RESULT ADD 0 30000 2");    /* 30 ms: le 0.05 */
	take(v, "RESULT ADD 7 20000000 1"); /* 20 s: only +Inf */
	take(v, "RESULT DEL 0 5000 0");
	take(v, "CALL ADD 0 2000 default/a1 bridge");
	take(v, "CALL ADD 4 3000 default/a1 bridge");
	text = render(v);
	has(text, "# TYPE plexus_verb_duration_seconds histogram\n");
	has(text, "plexus_verb_duration_seconds_bucket{verb=\"ADD\",le=\"0."
		  "001\"} 2\n");
	has(text, "plexus_verb_duration_seconds_bucket{verb=\"ADD\",le=\"0."
		  "025\"} 2\n");
	has(text, "plexus_verb_duration_seconds_bucket{verb=\"ADD\",le=\"0."
		  "05\"} 3\n");
	has(text, "plexus_verb_duration_seconds_bucket{verb=\"ADD\",le=\"10\"} "
		  "3\n");
	has(text, "plexus_verb_duration_seconds_bucket{verb=\"ADD\",le=\"+"
		  "Inf\"} 4\n");
	has(text, "plexus_verb_duration_seconds_sum{verb=\"ADD\"} 20.031800\n");
	has(text, "plexus_verb_duration_seconds_count{verb=\"ADD\"} 4\n");
	has(text, "plexus_verb_duration_seconds_count{verb=\"DEL\"} 1\n");
	has(text, "plexus_verb_duration_seconds_count{verb=\"CHECK\"} 0\n");
	has(text, "plexus_errors_total{verb=\"ADD\",code=\"7\"} 1\n");
	assert_null(strstr(text, "plexus_errors_total{verb=\"DEL\""));
	has(text, "plexus_fallbacks_total 3\n");
	has(text, "plexus_delegate_duration_seconds_bucket{verb=\"ADD\","
		  "network=\"default/a1\",type=\"bridge\",le=\"0.0025\"} 1\n");
	has(text, "plexus_delegate_duration_seconds_count{verb=\"ADD\","
		  "network=\"default/a1\",type=\"bridge\"} 2\n");
	has(text, "plexus_delegate_failures_total{verb=\"ADD\","
		  "network=\"default/a1\",type=\"bridge\"} 1\n");
	free(text);
	pd_verbs_free(v);
}

static void test_pd_verbs_render__escaped_and_capped(void **state)
{
	struct pd_verbs *v = NULL;
	char line[128], *text, *p;
	int n = 0;

	(void)state;
	assert_int_equal(pd_verbs_new(&v), 0);
	take(v, "CALL ADD 0 10 we%22ird%5Cnet x");
	for (int i = 0; i < PD_VERBS_SERIES_MAX + 10; i++) {
		snprintf(line, sizeof(line), "CALL DEL 0 10 n%d bridge", i);
		take(v, line);
	}
	text = render(v);
	has(text, "plexus_delegate_duration_seconds_count{verb=\"ADD\","
		  "network=\"we\\\"ird\\\\net\",type=\"x\"} 1\n");
	has(text, "plexus_delegate_duration_seconds_count{verb=\"DEL\","
		  "network=\"n62\",type=\"bridge\"} 1\n");
	assert_null(strstr(text, "network=\"n63\""));
	has(text, "plexus_delegate_duration_seconds_count{verb=\"DEL\","
		  "network=\"_other\",type=\"_other\"} 11\n");
	for (p = text; (p = strstr(p, "plexus_delegate_duration_seconds_count"
				      "{verb=\"DEL\""));
	     p++)
		n++;
	assert_int_equal(n, PD_VERBS_SERIES_MAX);
	free(text);
	pd_verbs_free(v);
}

/* The cap at its worst: PD_VERBS_SERIES_MAX series whose network and
 * type are PD_SOCK_LABEL_MAX bytes that nearly all need escaping (NAD
 * names are tenant input), plus the "_other" series: about 630 KiB, more
 * than the 256 KiB plexusd once rendered /metrics into (it answered 503
 * then); under 1 MiB. */
static void test_pd_verbs_render__worst_case_size(void **state)
{
	static const char *const verbs[] = { "ADD", "DEL", "CHECK" };
	struct pd_verbs *v = NULL;
	char line[1024], lab[PD_SOCK_LABEL_MAX + 1];
	char *buf = malloc(4 << 20);
	size_t len = 0;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(pd_verbs_new(&v), 0);
	for (int i = 0; i < PD_VERBS_SERIES_MAX + 1; i++) {
		/* a backslash is sent as it is and escaped as two */
		memset(lab, '\\', PD_SOCK_LABEL_MAX);
		lab[PD_SOCK_LABEL_MAX] = 0;
		snprintf(lab, 4, "%03d", i);
		lab[3] = '\\';
		snprintf(line, sizeof(line), "CALL %s 7 10 %s %s", verbs[i % 3],
			 lab, lab);
		take(v, line);
		snprintf(line, sizeof(line), "RESULT %s 7 10 0", verbs[i % 3]);
		take(v, line);
	}
	assert_int_equal(pd_verbs_render(v, buf, 4 << 20, &len), 0);
	print_message("worst-case exposition: %zu bytes\n", len);
	/* plexusd renders /metrics into at most 8 MiB (METRICS_BUF_MAX) */
	assert_true(len < (1 << 20));
	free(buf);
	pd_verbs_free(v);
}

/* the parser refuses control bytes in a label: a newline never reaches
 * the exposition from a report */
static void test_pd_verbs_take__no_raw_newline(void **state)
{
	struct pd_sock_req r;

	(void)state;
	assert_int_equal(pd_sock_parse("CALL ADD 0 1 a%0Ab x", 20, &r),
			 -EINVAL);
	assert_int_equal(pd_sock_parse("CALL ADD 0 1 a%22b x", 20, &r), 0);
	assert_string_equal(r.network, "a\"b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pd_label_escape__table),
		cmocka_unit_test(test_pd_verbs_render__buckets),
		cmocka_unit_test(test_pd_verbs_render__escaped_and_capped),
		cmocka_unit_test(test_pd_verbs_render__worst_case_size),
		cmocka_unit_test(test_pd_verbs_take__no_raw_newline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
