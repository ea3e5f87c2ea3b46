// SPDX-License-Identifier: Apache-2.0
/* cni_json: bounded parsing, typed getters, reading fds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "cni_error.h"
#include "cni_json.h"

static void test_cni_json_parse__valid(void **state)
{
	static const char *const ok[] = {
		"{}",
		"[]",
		"[1]",
		"\"s\"",
		" {\"a\": [1, 2, {\"b\": true}]} \n",
		"{\"cniVersion\":\"1.0.0\"}\r\n\t ",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		json_object *o = (json_object *)0x1;

		print_message("input %zu: %s\n", i, ok[i]);
		assert_int_equal(
			cni_json_parse(ok[i], strlen(ok[i]), "t", &o, NULL), 0);
		assert_non_null(o);
		json_object_put(o);
	}
}

static void test_cni_json_parse__invalid(void **state)
{
	static const struct {
		const char *in, *want;
	} bad[] = {
		{ "", "empty" },
		{ " \n\t\r ", "empty" },
		{ "{} x", "invalid JSON at byte 3" },
		{ "{}{}", "invalid JSON at byte 2" },
		{ "[1, 2", "invalid JSON" },
		{ "{\"a\":}", "invalid JSON" },
		{ "{\"a\": 01}", "invalid JSON" }, /* strict mode */
		{ "[1,]", "invalid JSON" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cni_err err = { 0 };
		json_object *o = (json_object *)0x1;

		print_message("input \"%s\"\n", bad[i].in);
		assert_int_equal(cni_json_parse(bad[i].in, strlen(bad[i].in),
						"stdin", &o, &err),
				 -EINVAL);
		assert_int_equal(err.code, CNI_ERR_DECODE);
		assert_non_null(strstr(err.msg, "stdin"));
		assert_non_null(strstr(err.msg, bad[i].want));
		assert_ptr_equal(o, (json_object *)0x1);
	}
}

static void test_cni_json_parse__length_bounds_input(void **state)
{
	/* only buf[0..len) is parsed */
	const char *buf = "{\"a\":1}garbage";
	json_object *o;

	(void)state;
	assert_int_equal(cni_json_parse(buf, 7, "t", &o, NULL), 0);
	json_object_put(o);
}

static void test_cni_json_parse__too_deep(void **state)
{
	size_t n = 100000;
	char *buf = malloc(2 * n);
	struct cni_err err = { 0 };
	json_object *o;

	(void)state;
	assert_non_null(buf);
	memset(buf, '[', n);
	memset(buf + n, ']', n);
	assert_int_equal(cni_json_parse(buf, 2 * n, "deep", &o, &err), -EINVAL);
	assert_int_equal(err.code, CNI_ERR_DECODE);
	assert_non_null(strstr(err.msg, "deep"));
	/* CNI_JSON_DEPTH - 1 levels still parse */
	assert_int_equal(cni_json_parse(buf + n - (CNI_JSON_DEPTH - 1),
					2 * (CNI_JSON_DEPTH - 1), "ok", &o,
					&err),
			 0);
	json_object_put(o);
	free(buf);
}

static void test_cni_json_parse__too_large(void **state)
{
	size_t n = CNI_JSON_MAX + 1;
	char *buf = malloc(n);
	struct cni_err err = { 0 };
	json_object *o;

	(void)state;
	assert_non_null(buf);
	memset(buf, ' ', n);
	buf[0] = '{';
	buf[1] = '}';
	assert_true(cni_json_parse(buf, n, "big", &o, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	assert_non_null(strstr(err.msg, "big"));
	assert_non_null(strstr(err.msg, "limit"));
	/* exactly the limit is fine */
	assert_int_equal(cni_json_parse(buf, n - 1, "max", &o, &err), 0);
	json_object_put(o);
	free(buf);
}

static json_object *doc(void)
{
	return json_tokener_parse("{\"s\":\"str\",\"b\":true,\"i\":42,\"a\":[1]"
				  ",\"o\":{},"
				  "\"d\":1.5,\"n\":null}");
}

/* Each getter against each member: only its own type passes. */
static void test_cni_json_get__wrong_type_names_field(void **state)
{
	static const char *const keys[] = { "s", "b", "i", "a", "o", "d" };
	json_object *o = doc();

	(void)state;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		for (int g = 0; g < 5; g++) {
			static const char *const own[] = { "s", "b", "i", "a",
							   "o" };
			struct cni_err err = { 0 };
			const char *s;
			bool b;
			int64_t i;
			json_object *v;
			char field[32];
			int r;

			snprintf(field, sizeof(field), "delegates[1].%s",
				 keys[k]);
			switch (g) {
			case 0:
				r = cni_json_get_string(o, keys[k], field, &s,
							&err);
				break;
			case 1:
				r = cni_json_get_bool(o, keys[k], field, &b,
						      &err);
				break;
			case 2:
				r = cni_json_get_int(o, keys[k], field, &i,
						     &err);
				break;
			case 3:
				r = cni_json_get_array(o, keys[k], field, &v,
						       &err);
				break;
			default:
				r = cni_json_get_object(o, keys[k], field, &v,
							&err);
				break;
			}
			if (strcmp(own[g], keys[k]) == 0) {
				assert_int_equal(r, 0);
				continue;
			}
			print_message("getter %d on \"%s\"\n", g, keys[k]);
			assert_int_equal(r, -EINVAL);
			assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
			assert_non_null(strstr(err.msg, field));
			assert_non_null(strstr(err.msg, "must be"));
		}
	}
	json_object_put(o);
}

static void test_cni_json_get__values(void **state)
{
	json_object *o = doc(), *v;
	const char *s;
	bool b = false;
	int64_t i = 0;

	(void)state;
	assert_int_equal(cni_json_get_string(o, "s", "s", &s, NULL), 0);
	assert_string_equal(s, "str");
	assert_int_equal(cni_json_get_bool(o, "b", "b", &b, NULL), 0);
	assert_true(b);
	assert_int_equal(cni_json_get_int(o, "i", "i", &i, NULL), 0);
	assert_int_equal(i, 42);
	assert_int_equal(cni_json_get_array(o, "a", "a", &v, NULL), 0);
	assert_int_equal(json_object_array_length(v), 1);
	json_object_put(o);
}

static void test_cni_json_get__missing_or_null_is_enoent(void **state)
{
	json_object *o = doc();
	struct cni_err err = { 0 };
	const char *s = "untouched";

	(void)state;
	assert_int_equal(cni_json_get_string(o, "nope", "nope", &s, &err),
			 -ENOENT);
	assert_int_equal(cni_json_get_string(o, "n", "n", &s, &err), -ENOENT);
	assert_int_equal(cni_json_get_string(NULL, "s", "s", &s, &err),
			 -ENOENT);
	assert_string_equal(s, "untouched");
	assert_int_equal(err.code, 0);
	json_object_put(o);
}

static void test_cni_json_copy__deep_and_null(void **state)
{
	json_object *o = doc(), *c = cni_json_copy(o);

	(void)state;
	assert_non_null(c);
	assert_ptr_not_equal(c, o);
	assert_true(json_object_equal(c, o));
	json_object_object_add(c, "new", json_object_new_int(1));
	assert_false(json_object_object_get_ex(o, "new", NULL));
	assert_null(cni_json_copy(NULL));
	json_object_put(c);
	json_object_put(o);
}

/* fd holding n bytes of '1' (a valid JSON number). */
static int memfd_with(size_t n)
{
	int fd = memfd_create("cni-json-test", 0);
	char *buf = malloc(n ? n : 1);

	assert_true(fd >= 0);
	assert_non_null(buf);
	memset(buf, '1', n);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	free(buf);
	return fd;
}

static void test_cni_read_fd__sizes(void **state)
{
	static const size_t ok[] = { 0, 1, 4095, 4096, 100000, CNI_JSON_MAX };

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int fd = memfd_with(ok[i]);
		char *buf;
		size_t len = 1234;

		print_message("%zu bytes\n", ok[i]);
		assert_int_equal(cni_read_fd(fd, "stdin", &buf, &len, NULL), 0);
		assert_int_equal(len, ok[i]);
		assert_int_equal(buf[len], '\0');
		free(buf);
		close(fd);
	}
}

static void test_cni_read_fd__over_limit(void **state)
{
	static const size_t bad[] = { CNI_JSON_MAX + 1, 2 * CNI_JSON_MAX - 1,
				      3 * CNI_JSON_MAX };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = memfd_with(bad[i]);
		struct cni_err err = { 0 };
		char *buf = (char *)0x1;
		size_t len = 1234;

		print_message("%zu bytes\n", bad[i]);
		assert_int_equal(cni_read_fd(fd, "stdin", &buf, &len, &err),
				 -EFBIG);
		assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
		assert_non_null(strstr(err.msg, "stdin"));
		assert_ptr_equal(buf, (char *)0x1);
		assert_int_equal(len, 1234);
		close(fd);
	}
}

static void test_cni_read_fd__pipe(void **state)
{
	int p[2];
	char *buf;
	size_t len;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "{\"a\":1}", 7), 7);
	close(p[1]);
	assert_int_equal(cni_read_fd(p[0], "pipe", &buf, &len, NULL), 0);
	assert_int_equal(len, 7);
	assert_string_equal(buf, "{\"a\":1}");
	free(buf);
	close(p[0]);
}

static void test_cni_read_fd__read_error(void **state)
{
	struct cni_err err = { 0 };
	char *buf;
	size_t len;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	/* reading the write end fails with EBADF */
	assert_true(cni_read_fd(p[1], "pipe", &buf, &len, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_IO);
	assert_non_null(strstr(err.msg, "pipe"));
	close(p[0]);
	close(p[1]);
}

static void test_cni_read_file__missing(void **state)
{
	struct cni_err err = { 0 };
	char *buf;
	size_t len;

	(void)state;
	assert_int_equal(
		cni_read_file("/nonexistent/plexus.conf", &buf, &len, &err),
		-ENOENT);
	assert_int_equal(err.code, CNI_ERR_IO);
	assert_non_null(strstr(err.msg, "/nonexistent/plexus.conf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cni_json_parse__valid),
		cmocka_unit_test(test_cni_json_parse__invalid),
		cmocka_unit_test(test_cni_json_parse__length_bounds_input),
		cmocka_unit_test(test_cni_json_parse__too_deep),
		cmocka_unit_test(test_cni_json_parse__too_large),
		cmocka_unit_test(test_cni_json_get__wrong_type_names_field),
		cmocka_unit_test(test_cni_json_get__values),
		cmocka_unit_test(test_cni_json_get__missing_or_null_is_enoent),
		cmocka_unit_test(test_cni_json_copy__deep_and_null),
		cmocka_unit_test(test_cni_read_fd__sizes),
		cmocka_unit_test(test_cni_read_fd__over_limit),
		cmocka_unit_test(test_cni_read_fd__pipe),
		cmocka_unit_test(test_cni_read_fd__read_error),
		cmocka_unit_test(test_cni_read_file__missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
