// SPDX-License-Identifier: Apache-2.0
/* Bounded JSON reading and typed getters over json-c. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni_error.h"
#include "cni_json.h"

static int json_parse(const char *buf, size_t len, const char *what,
		      json_object **ret, struct cni_err *err);

int cni_json_parse(const char *buf, size_t len, const char *what,
		   json_object **ret, struct cni_err *err)
{
	if (len > CNI_JSON_MAX)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: %zu bytes is larger than the %d-byte "
				"limit",
				what, len, CNI_JSON_MAX);
	return json_parse(buf, len, what, ret, err);
}

int cni_json_parse_max(const char *buf, size_t len, size_t max,
		       const char *what, json_object **ret, struct cni_err *err)
{
	if (len > max || len > INT_MAX)
		return cni_err_too_large(err, "the JSON parse limit",
					 max < INT_MAX ? max : INT_MAX, what,
					 len);
	return json_parse(buf, len, what, ret, err);
}

/* buf[0..len), len at most INT_MAX: one JSON value. */
static int json_parse(const char *buf, size_t len, const char *what,
		      json_object **ret, struct cni_err *err)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *obj;
	size_t used;

	while (len > 0 && strchr(" \t\r\n", buf[len - 1]))
		len--;
	if (len == 0)
		return cni_errf(err, CNI_ERR_DECODE, "%s: empty input", what);
	tok = json_tokener_new_ex(CNI_JSON_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!obj || jerr != json_tokener_success || used != len) {
		json_object_put(obj);
		if (jerr == json_tokener_continue)
			jerr = json_tokener_error_parse_eof;
		return cni_errf(err, CNI_ERR_DECODE,
				"%s: invalid JSON at byte %zu: %s", what, used,
				obj ? "trailing data"
				    : json_tokener_error_desc(jerr));
	}
	*ret = obj;
	return 0;
}

/* Code 7 (a config over the limit is a bad config), but -EFBIG so a
 * reader of stored data can say code 123 instead. */
static int read_too_large(const char *what, struct cni_err *err)
{
	cni_errf(err, CNI_ERR_INVALID_CONFIG,
		 "%s: larger than the %d-byte limit", what, CNI_JSON_MAX);
	return -EFBIG;
}

int cni_read_fd(int fd, const char *what, char **ret, size_t *ret_len,
		struct cni_err *err)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap), *grown;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > CNI_JSON_MAX) {
				free(buf);
				return read_too_large(what, err);
			}
			grown = realloc(buf, cap * 2);
			if (!grown) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			return cni_errf(err, CNI_ERR_IO, "%s: read: %s", what,
					strerror(e));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CNI_JSON_MAX) {
			free(buf);
			return read_too_large(what, err);
		}
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

int cni_read_file(const char *path, char **ret, size_t *ret_len,
		  struct cni_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r, e;

	if (fd < 0) {
		e = errno;
		cni_errf(err, CNI_ERR_IO, "%s: %s", path, strerror(e));
		return -e;
	}
	r = cni_read_fd(fd, path, ret, ret_len, err);
	close(fd);
	return r;
}

static int get_typed(json_object *obj, const char *key, const char *field,
		     enum json_type want, json_object **ret,
		     struct cni_err *err)
{
	static const char *const names[] = {
		[json_type_null] = "null",
		[json_type_boolean] = "a boolean",
		[json_type_double] = "a number",
		[json_type_int] = "an integer",
		[json_type_object] = "an object",
		[json_type_array] = "a list",
		[json_type_string] = "a string",
	};
	json_object *v;
	enum json_type t;

	if (!obj || !json_object_object_get_ex(obj, key, &v) || !v)
		return -ENOENT;
	t = json_object_get_type(v);
	if (t != want)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: must be %s, not %s", field, names[want],
				names[t]);
	*ret = v;
	return 0;
}

int cni_json_get_string(json_object *obj, const char *key, const char *field,
			const char **ret, struct cni_err *err)
{
	json_object *v;
	int r = get_typed(obj, key, field, json_type_string, &v, err);

	if (r == 0)
		*ret = json_object_get_string(v);
	return r;
}

int cni_json_get_bool(json_object *obj, const char *key, const char *field,
		      bool *ret, struct cni_err *err)
{
	json_object *v;
	int r = get_typed(obj, key, field, json_type_boolean, &v, err);

	if (r == 0)
		*ret = json_object_get_boolean(v);
	return r;
}

int cni_json_get_int(json_object *obj, const char *key, const char *field,
		     int64_t *ret, struct cni_err *err)
{
	json_object *v;
	int r = get_typed(obj, key, field, json_type_int, &v, err);

	if (r == 0)
		*ret = json_object_get_int64(v);
	return r;
}

int cni_json_get_array(json_object *obj, const char *key, const char *field,
		       json_object **ret, struct cni_err *err)
{
	return get_typed(obj, key, field, json_type_array, ret, err);
}

int cni_json_get_object(json_object *obj, const char *key, const char *field,
			json_object **ret, struct cni_err *err)
{
	return get_typed(obj, key, field, json_type_object, ret, err);
}

json_object *cni_json_copy(json_object *obj)
{
	json_object *copy = NULL;

	if (!obj)
		return NULL;
	if (json_object_deep_copy(obj, &copy, NULL) < 0)
		return NULL;
	return copy;
}

const char *cni_json_str(json_object *obj)
{
	return json_object_to_json_string_ext(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}
