// SPDX-License-Identifier: Apache-2.0
/* cni_error: return values per code, message building, the error JSON. */
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
#include <json-c/json.h>

#include "cni_error.h"
#include "cni_log.h"

static void test_cni_errf__return_per_code(void **state)
{
	static const struct {
		int code, ret;
	} cases[] = {
		{ CNI_ERR_INCOMPATIBLE_VERSION, -EINVAL },
		{ CNI_ERR_UNSUPPORTED_FIELD, -EINVAL },
		{ CNI_ERR_UNKNOWN_CONTAINER, -ENOENT },
		{ CNI_ERR_INVALID_ENV, -EINVAL },
		{ CNI_ERR_IO, -EIO },
		{ CNI_ERR_DECODE, -EINVAL },
		{ CNI_ERR_INVALID_CONFIG, -EINVAL },
		{ CNI_ERR_TRY_AGAIN, -EAGAIN },
		{ CNI_ERR_NOT_AVAILABLE, -EPROTO },
		{ CNI_ERR_NO_ADDRESSES, -ENOSPC },
		{ CNI_ERR_DELEGATE_NOT_FOUND, -ENOENT },
		{ CNI_ERR_DELEGATE_FAILED, -EPROTO },
		{ CNI_ERR_DELEGATE_TIMEOUT, -ETIMEDOUT },
		{ CNI_ERR_DELEGATE_OUTPUT, -EPROTO },
		{ CNI_ERR_ROLLBACK, -EPROTO },
		{ CNI_ERR_SELECTION, -EINVAL },
		{ CNI_ERR_KUBERNETES, -EPROTO },
		{ CNI_ERR_POOL_EXHAUSTED, -ENOSPC },
		{ CNI_ERR_ADDRESS_TAKEN, -EEXIST },
		{ CNI_ERR_TOO_LARGE, -EFBIG },
		{ CNI_ERR_NETLINK, -EPROTO },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cni_err err = { 0 };

		print_message("code %d\n", cases[i].code);
		assert_int_equal(cni_errf(&err, cases[i].code, "x %d", 7),
				 cases[i].ret);
		assert_int_equal(err.code, cases[i].code);
		assert_string_equal(err.msg, "x 7");
		/* NULL err: only the return value */
		assert_int_equal(cni_errf(NULL, cases[i].code, "x"),
				 cases[i].ret);
	}
}

/* The limit (name, value), the object and the size seen; a read cut
 * at the limit says "more than". */
static void test_cni_err_too_large__names_limit_object_size(void **state)
{
	static const struct {
		size_t limit, size;
		const char *want;
	} cases[] = {
		{ 4096, 6120,
		  "etcd put of key /p/k: 6120 bytes, over the L of 4096 "
		  "bytes" },
		{ 4096, 0,
		  "etcd put of key /p/k: more than 4096 bytes, over the L of "
		  "4096 bytes" },
		{ 0, 6120, "etcd put of key /p/k: 6120 bytes, over the L" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cni_err err = { 0 };

		assert_int_equal(cni_err_too_large(
					 &err, "the L", cases[i].limit,
					 "etcd put of key /p/k", cases[i].size),
				 -EFBIG);
		assert_int_equal(err.code, CNI_ERR_TOO_LARGE);
		assert_string_equal(err.msg, cases[i].want);
	}
	assert_int_equal(cni_err_too_large(NULL, "the L", 1, "x", 2), -EFBIG);
}

static void test_cni_errf__truncates_long_message(void **state)
{
	struct cni_err err = { 0 };
	char *big = malloc(5000);

	(void)state;
	memset(big, 'a', 4999);
	big[4999] = '\0';
	cni_errf(&err, CNI_ERR_IO, "%s", big);
	assert_int_equal(strlen(err.msg), CNI_ERR_MSG_MAX - 1);
	free(big);
}

static void test_cni_err_prefix__adds_prefix_keeps_code(void **state)
{
	struct cni_err err = { 0 };

	(void)state;
	cni_errf(&err, CNI_ERR_DECODE, "bad byte");
	cni_err_prefix(&err, "network \"%s\"", "a");
	assert_string_equal(err.msg, "network \"a\": bad byte");
	assert_int_equal(err.code, CNI_ERR_DECODE);
	cni_err_prefix(NULL, "x");
}

static void test_cni_err_prefix__not_twice(void **state)
{
	struct cni_err err = { 0 };

	(void)state;
	cni_errf(&err, CNI_ERR_INVALID_CONFIG, "plexus-macvlan: \"mode\": bad");
	cni_err_prefix(&err, "%s", "plexus-macvlan");
	assert_string_equal(err.msg, "plexus-macvlan: \"mode\": bad");
	cni_err_prefix(&err, "%s", "plexus-mac");
	assert_string_equal(err.msg, "plexus-mac: plexus-macvlan: \"mode\": "
				     "bad");
	cni_errf(&err, CNI_ERR_INVALID_CONFIG, "x");
	cni_err_prefix(&err, "x");
	assert_string_equal(err.msg, "x: x");
}

static void test_cni_err_prefix__truncation_is_safe(void **state)
{
	static const size_t prefix_lens[] = { 0, 1, 100, 254, 255, 300, 2000 };

	(void)state;
	for (size_t i = 0; i < sizeof(prefix_lens) / sizeof(prefix_lens[0]);
	     i++) {
		struct cni_err err;
		char *prefix = malloc(prefix_lens[i] + 1);
		size_t len;

		/* poison the whole struct, then a 1023-char message */
		memset(&err, 'Z', sizeof(err));
		memset(err.msg, 'm', CNI_ERR_MSG_MAX - 1);
		err.msg[CNI_ERR_MSG_MAX - 1] = '\0';
		err.code = CNI_ERR_IO;
		err.details[0] = '\0';
		memset(prefix, 'p', prefix_lens[i]);
		prefix[prefix_lens[i]] = '\0';
		cni_err_prefix(&err, "%s", prefix);
		len = strnlen(err.msg, sizeof(err.msg));
		print_message("prefix %zu -> msg %zu\n", prefix_lens[i], len);
		assert_true(len < sizeof(err.msg));
		/* prefix (cut to a quarter of the buffer), ": ", then message */
		size_t plen = prefix_lens[i] < CNI_ERR_MSG_MAX / 4
				      ? prefix_lens[i]
				      : CNI_ERR_MSG_MAX / 4 - 1;
		assert_int_equal(len, CNI_ERR_MSG_MAX - 1);
		for (size_t j = 0; j < plen; j++)
			assert_int_equal(err.msg[j], 'p');
		assert_memory_equal(err.msg + plen, ": m", 3);
		assert_int_equal(err.msg[len - 1], 'm');
		assert_int_equal(err.code, CNI_ERR_IO);
		free(prefix);
	}
}

static void test_cni_err_add_details__separates_and_bounds(void **state)
{
	struct cni_err err = { 0 };

	(void)state;
	cni_err_add_details(&err, "first %d", 1);
	cni_err_add_details(&err, "second");
	assert_string_equal(err.details, "first 1; second");
	for (int i = 0; i < 1000; i++)
		cni_err_add_details(&err, "more details %d", i);
	assert_true(strnlen(err.details, sizeof(err.details)) <
		    sizeof(err.details));
	cni_err_add_details(NULL, "x");
}

static json_object *print_to_json(const struct cni_err *err,
				  const char *version)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_object *o;

	assert_non_null(f);
	cni_err_print(err, version, f);
	fclose(f);
	assert_true(len > 0 && buf[len - 1] == '\n');
	o = json_tokener_parse(buf);
	assert_non_null(o);
	free(buf);
	return o;
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static void test_cni_err_print__json_shape(void **state)
{
	struct cni_err err = { 0 };
	json_object *o;

	(void)state;
	cni_errf(&err, CNI_ERR_INVALID_CONFIG,
		 "delegates[0]: \"type\" "
		 "missing in /etc/cni/net.d");
	o = print_to_json(&err, "0.4.0");
	assert_int_equal(json_object_object_length(o), 3);
	assert_string_equal(str_of(o, "cniVersion"), "0.4.0");
	assert_int_equal(json_object_get_int(json_object_object_get(o, "code")),
			 7);
	assert_true(json_object_is_type(json_object_object_get(o, "code"),
					json_type_int));
	assert_string_equal(str_of(o, "msg"), "delegates[0]: \"type\" missing "
					      "in /etc/cni/net.d");
	assert_null(str_of(o, "details"));
	json_object_put(o);

	cni_err_add_details(&err, "rollback: x");
	o = print_to_json(&err, NULL);
	assert_string_equal(str_of(o, "cniVersion"), "1.1.0");
	assert_string_equal(str_of(o, "details"), "rollback: x");
	json_object_put(o);
}

static void test_cni_err_print__no_error_set(void **state)
{
	struct cni_err err = { 0 };
	json_object *o;

	(void)state;
	o = print_to_json(&err, "");
	assert_string_equal(str_of(o, "cniVersion"), "1.1.0");
	assert_int_equal(json_object_get_int(json_object_object_get(o, "code")),
			 CNI_ERR_IO);
	assert_string_equal(str_of(o, "msg"), "unknown error");
	json_object_put(o);
	o = print_to_json(NULL, "1.0.0");
	assert_int_equal(json_object_get_int(json_object_object_get(o, "code")),
			 CNI_ERR_IO);
	json_object_put(o);
}

/* A tenant string with a newline cannot split or forge a log line. */
static void test_cni_log__escapes_control_characters(void **state)
{
	char path[] = "/tmp/plexus-log.XXXXXX", buf[512];
	int fd = mkstemp(path);
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(cni_log_open(path, CNI_LOG_DEBUG, "t"), 0);
	cni_log(CNI_LOG_ERROR, "nad \"%s\"",
		"x\n2026-01-01T00:00:00Z [error] fake\r\t\x01\\");
	cni_log_close();
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	close(fd);
	unlink(path);
	assert_non_null(strstr(buf, "nad \"x\\n2026-01-01T00:00:00Z [error] "
				    "fake\\r\\t\\x01\\\\\"\n"));
	assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cni_errf__return_per_code),
		cmocka_unit_test(test_cni_errf__truncates_long_message),
		cmocka_unit_test(test_cni_err_prefix__adds_prefix_keeps_code),
		cmocka_unit_test(test_cni_err_prefix__not_twice),
		cmocka_unit_test(test_cni_err_prefix__truncation_is_safe),
		cmocka_unit_test(
			test_cni_err_add_details__separates_and_bounds),
		cmocka_unit_test(
			test_cni_err_too_large__names_limit_object_size),
		cmocka_unit_test(test_cni_err_print__json_shape),
		cmocka_unit_test(test_cni_err_print__no_error_set),
		cmocka_unit_test(test_cni_log__escapes_control_characters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
