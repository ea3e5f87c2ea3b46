/* SPDX-License-Identifier: Apache-2.0 */
/* YAML to json-c through libyaml's event parser: manifests and
 * kubeconfigs. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cni_error.h"
#include "yamljson.h"

struct yj {
	yaml_parser_t parser;
	const char *what;
	struct cni_err *err;
	int depth;
};

static int yj_fail(struct yj *y, const char *why, const yaml_mark_t *m)
{
	return cni_errf(y->err, CNI_ERR_DECODE, "%s: line %zu column %zu: %s",
			y->what, m->line + 1, m->column + 1, why);
}

static int yj_next(struct yj *y, yaml_event_t *ev)
{
	if (yaml_parser_parse(&y->parser, ev))
		return 0;
	return cni_errf(y->err, CNI_ERR_DECODE, "%s: line %zu column %zu: %s",
			y->what, y->parser.problem_mark.line + 1,
			y->parser.problem_mark.column + 1,
			y->parser.problem ? y->parser.problem : "invalid YAML");
}

/* Each pattern is compiled once per process and kept: compiling it for
 * every scalar cost ~90% of reading a folder of manifests. */
/* The compiled patterns are shared by every thread (plexusd's watch
 * threads each parse a kubeconfig): one mutex over the cache. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static bool matches_locked(const char *s, const char *re)
{
	static struct {
		const char *re;
		regex_t rx;
		bool ok;
	} cache[8];
	size_t i;

	for (i = 0; i < 8 && cache[i].re; i++)
		if (!strcmp(cache[i].re, re))
			break;
	if (i == 8) { /* more patterns than slots: compile this one now */
		regex_t rx;
		bool ok;

		if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB))
			return false;
		ok = regexec(&rx, s, 0, NULL, 0) == 0;
		regfree(&rx);
		return ok;
	}
	if (!cache[i].re) {
		cache[i].ok = regcomp(&cache[i].rx, re,
				      REG_EXTENDED | REG_NOSUB) == 0;
		cache[i].re = re;
	}
	return cache[i].ok && regexec(&cache[i].rx, s, 0, NULL, 0) == 0;
}

static bool matches(const char *s, const char *re)
{
	bool ok;

	pthread_mutex_lock(&cache_lock);
	ok = matches_locked(s, re);
	pthread_mutex_unlock(&cache_lock);
	return ok;
}

static bool is_null(const char *s)
{
	return !*s || !strcmp(s, "~") || matches(s, "^(null|Null|NULL)$");
}

/* The YAML 1.2 core schema for a plain scalar that is not null. */
static json_object *plain_scalar(const char *s)
{
	long long v;

	if (matches(s, "^(true|True|TRUE)$"))
		return json_object_new_boolean(1);
	if (matches(s, "^(false|False|FALSE)$"))
		return json_object_new_boolean(0);
	errno = 0;
	if (matches(s, "^[-+]?[0-9]+$") && ((v = strtoll(s, NULL, 10)), !errno))
		return json_object_new_int64(v);
	errno = 0;
	if ((matches(s, "^0x[0-9a-fA-F]+$") || matches(s, "^0o[0-7]+$")) &&
	    ((v = strtoll(s + 2, NULL, s[1] == 'x' ? 16 : 8)), !errno))
		return json_object_new_int64(v);
	if (matches(s, "^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)"
		       "([eE][-+]?[0-9]+)?$"))
		return json_object_new_double(strtod(s, NULL));
	if (matches(s, "^[-+]?\\.(inf|Inf|INF)$"))
		return json_object_new_double(s[0] == '-' ? -INFINITY
							  : INFINITY);
	return json_object_new_string(s);
}

static int yj_scalar(struct yj *y, const yaml_event_t *ev, json_object **ret)
{
	const char *v = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    (tag && !strcmp(tag, YAML_STR_TAG)))
		*ret = json_object_new_string_len(v,
						  (int)ev->data.scalar.length);
	else if (is_null(v))
		return *ret = NULL, 0;
	else
		*ret = plain_scalar(v);
	return *ret ? 0 : cni_errf(y->err, CNI_ERR_IO, "out of memory");
}

static int yj_node(struct yj *y, yaml_event_t *ev, json_object **ret);

static int yj_seq(struct yj *y, json_object **ret)
{
	json_object *arr = json_object_new_array();
	yaml_event_t ev;
	int r;

	for (;;) {
		json_object *item = NULL;

		r = yj_next(y, &ev);
		if (r)
			break;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			*ret = arr;
			return 0;
		}
		r = yj_node(y, &ev, &item);
		yaml_event_delete(&ev);
		if (r)
			break;
		json_object_array_add(arr, item);
	}
	json_object_put(arr);
	return r;
}

static int yj_map(struct yj *y, json_object **ret)
{
	json_object *obj = json_object_new_object();
	yaml_event_t ev;
	int r;

	for (;;) {
		json_object *val = NULL;
		char *key;

		r = yj_next(y, &ev);
		if (r)
			break;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			*ret = obj;
			return 0;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			r = yj_fail(y,
				    "only scalar mapping keys are "
				    "supported",
				    &ev.start_mark);
			yaml_event_delete(&ev);
			break;
		}
		key = strdup((const char *)ev.data.scalar.value);
		yaml_event_delete(&ev);
		r = key ? yj_next(y, &ev) : -ENOMEM;
		if (r == 0) {
			r = yj_node(y, &ev, &val);
			yaml_event_delete(&ev);
		}
		if (r == 0)
			json_object_object_add(obj, key, val);
		free(key);
		if (r)
			break;
	}
	json_object_put(obj);
	return r;
}

static int yj_node(struct yj *y, yaml_event_t *ev, json_object **ret)
{
	int r;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return yj_scalar(y, ev, ret);
	case YAML_ALIAS_EVENT:
		return yj_fail(y, "aliases are not supported", &ev->start_mark);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (++y->depth > YAMLJSON_DEPTH)
			return yj_fail(y, "nested too deeply", &ev->start_mark);
		r = ev->type == YAML_SEQUENCE_START_EVENT ? yj_seq(y, ret)
							  : yj_map(y, ret);
		y->depth--;
		return r;
	default:
		return yj_fail(y, "unexpected YAML event", &ev->start_mark);
	}
}

static int docs_add(json_object ***docs, size_t *n, json_object *doc)
{
	json_object **nd;

	if (!doc)
		return 0; /* an empty document */
	if (*n >= YAMLJSON_DOCS_MAX)
		return -E2BIG;
	nd = realloc(*docs, (*n + 1) * sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	*docs = nd;
	nd[(*n)++] = doc;
	return 0;
}

/* DOCUMENT-START node DOCUMENT-END, until STREAM-END. */
static int yj_stream(struct yj *y, json_object ***docs, size_t *n)
{
	yaml_event_t ev;
	int r;

	for (;;) {
		json_object *doc = NULL;

		r = yj_next(y, &ev);
		if (r)
			return r;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type == YAML_STREAM_START_EVENT ||
		    ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			r = yj_next(y, &ev);
			if (r)
				return r;
		}
		r = yj_node(y, &ev, &doc);
		yaml_event_delete(&ev);
		if (r == 0 && (r = docs_add(docs, n, doc)) != 0)
			json_object_put(doc);
		if (r == -E2BIG)
			return cni_errf(y->err, CNI_ERR_DECODE,
					"%s: more than "
					"%d documents",
					y->what, YAMLJSON_DOCS_MAX);
		if (r)
			return r;
	}
}

void yamljson_docs_free(json_object **docs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_put(docs[i]);
	free(docs);
}

int yamljson_parse(const char *buf, size_t len, const char *what,
		   json_object ***ret_docs, size_t *ret_n, struct cni_err *err)
{
	struct yj y = { .what = what, .err = err };
	json_object **docs = NULL;
	size_t n = 0;
	int r;

	if (!yaml_parser_initialize(&y.parser))
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)buf,
				     len);
	r = yj_stream(&y, &docs, &n);
	yaml_parser_delete(&y.parser);
	if (r) {
		if (r == -ENOMEM)
			cni_errf(err, CNI_ERR_IO, "out of memory");
		yamljson_docs_free(docs, n);
		return r;
	}
	*ret_docs = docs;
	*ret_n = n;
	return 0;
}
