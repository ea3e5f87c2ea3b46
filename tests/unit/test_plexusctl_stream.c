/* SPDX-License-Identifier: Apache-2.0 */
/* plexusctl ipam's streamed output: pretty JSON written an element at a
 * time is byte for byte json-c's whole document; the spool copies its
 * pieces out in (group, block index) order; records read back as
 * written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>

#include "plexusctl_ipam_int.h"

#define FLAGS                                                \
	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
	 JSON_C_TO_STRING_NOSLASHESCAPE)

/* A document {"head": "x/y", key: [], "count": n}: a member before the
 * array and one after it, which may change while the array is
 * written. */
static json_object *doc(const char *key, int n)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "head", json_object_new_string("x/y"));
	json_object_object_add(o, key, json_object_new_array());
	json_object_object_add(o, "count", json_object_new_int(n));
	return o;
}

static json_object *elem(int i)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	json_object_object_add(o, "i", json_object_new_int(i));
	json_object_object_add(o, "none", NULL);
	json_object_object_add(o, "empty", json_object_new_array());
	json_object_array_add(a, json_object_new_string("a\nb"));
	json_object_object_add(o, "list", a);
	return o;
}

static void test_ipamctl_js__as_one_document(void **state)
{
	for (int n = 0; n < 4; n++) {
		json_object *whole = doc("items", n), *arr;
		struct ipamctl_js js;
		size_t len;
		char *buf;
		FILE *f = open_memstream(&buf, &len);

		(void)state;
		json_object_object_get_ex(whole, "items", &arr);
		assert_int_equal(
			ipamctl_js_open(&js, f, doc("items", 0), "items", 0),
			0);
		for (int i = 0; i < n; i++) {
			ipamctl_js_add(&js, elem(i));
			json_object_array_add(arr, elem(i));
		}
		assert_int_equal(ipamctl_js_close(&js, doc("items", n)), 0);
		fclose(f);
		assert_string_equal(
			buf, json_object_to_json_string_ext(whole, FLAGS));
		free(buf);
		json_object_put(whole);
	}
}

/* {"outer": [{"head", "items": [...], "tail"}, ...]}, the inner arrays
 * written from a spool at their element indent, as ls does. */
static void test_ipamctl_js__nested_from_spool(void **state)
{
	json_object *whole = json_object_new_object(), *outer, *d, *arr;
	struct ipamctl_js js, in;
	struct ipamctl_spool sp;
	size_t len;
	char *buf;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	outer = json_object_new_array();
	json_object_object_add(whole, "outer", outer);
	d = json_object_new_object();
	json_object_object_add(d, "outer", json_object_new_array());
	assert_int_equal(ipamctl_js_open(&js, f, d, "outer", 0), 0);
	assert_int_equal(ipamctl_spool_open(&sp), 0);
	for (int p = 0; p < 3; p++) {
		assert_int_equal(ipamctl_spool_reset(&sp), 0);
		d = doc("items", p);
		json_object_object_get_ex(d, "items", &arr);
		for (int i = p; i > 0; i--) { /* pieces out of order */
			assert_int_equal(ipamctl_spool_begin(&sp, (ipam_u128)i),
					 0);
			ipamctl_json_write(sp.f, elem(i));
			assert_int_equal(ipamctl_spool_end(&sp), 0);
		}
		for (int i = 1; i <= p; i++)
			json_object_array_add(arr, elem(i));
		json_object_array_add(outer, d);
		ipamctl_spool_sort(&sp);
		ipamctl_js_sep(&js);
		assert_int_equal(ipamctl_js_open(&in, f, doc("items", p),
						 "items",
						 ipamctl_js_elem_indent(&js)),
				 0);
		for (size_t i = 0; i < sp.n; i++) {
			ipamctl_js_sep(&in);
			assert_int_equal(
				ipamctl_spool_copy(&sp, i, f,
						   ipamctl_js_elem_indent(&in)),
				0);
		}
		assert_int_equal(ipamctl_js_close(&in, NULL), 0);
	}
	assert_int_equal(ipamctl_js_close(&js, NULL), 0);
	fclose(f);
	assert_string_equal(buf, json_object_to_json_string_ext(whole, FLAGS));
	free(buf);
	json_object_put(whole);
	ipamctl_spool_close(&sp);
}

static void test_ipamctl_js_open__key_not_an_empty_array(void **state)
{
	struct ipamctl_js js;
	FILE *f = fopen("/dev/null", "w");

	(void)state;
	assert_int_equal(ipamctl_js_open(&js, f, doc("items", 0), "other", 0),
			 -EINVAL);
	fclose(f);
}

static void test_ipamctl_rec__spool_roundtrip(void **state)
{
	struct ipam_range ranges[2] = { 0 };
	struct ipam_conf conf = { .ranges = ranges, .n_ranges = 2 };
	struct rec x = { .off = 7,
			 .a = { .family = 4, .v = 0x0a000007 },
			 .held = true,
			 .cid = "c1",
			 .ifname = "eth0",
			 .ns = "ns",
			 .pod = "p",
			 .uid = "",
			 .node = "n1",
			 .claim = "ns/cl",
			 .at = "" },
		   y;
	struct ipamctl_spool sp;

	(void)state;
	assert_int_equal(ipamctl_spool_open(&sp), 0);
	sp.group = 1;
	assert_int_equal(ipamctl_spool_begin(&sp, 5), 0);
	ipamctl_rec_write(sp.f, &x, 1);
	ipamctl_rec_write(sp.f, &x, 0);
	assert_int_equal(ipamctl_spool_end(&sp), 0);
	assert_int_equal(ipamctl_spool_seek(&sp, 0), 0);
	for (int k = 1; k >= 0; k--) {
		assert_true(ipamctl_spool_left(&sp, 0));
		assert_int_equal(ipamctl_rec_read(sp.f, &conf, &y), 0);
		assert_ptr_equal(y.r, &ranges[k]);
		assert_int_equal(y.off, 7);
		assert_true(y.held && !y.conflict);
		assert_true(y.a.v == x.a.v);
		assert_string_equal(y.cid, "c1");
		assert_string_equal(y.uid, "");
		assert_string_equal(y.claim, "ns/cl");
		ipamctl_rec_clear(&y);
	}
	assert_false(ipamctl_spool_left(&sp, 0));
	assert_int_equal(ipamctl_rec_read(sp.f, &conf, &y), -EIO);
	ipamctl_rec_clear(&y);
	ipamctl_spool_close(&sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipamctl_js__as_one_document),
		cmocka_unit_test(test_ipamctl_js__nested_from_spool),
		cmocka_unit_test(test_ipamctl_js_open__key_not_an_empty_array),
		cmocka_unit_test(test_ipamctl_rec__spool_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
