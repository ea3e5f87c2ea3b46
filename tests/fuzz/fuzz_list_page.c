// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: a list answer's page read an item at a time (pd_list_scan),
 * what the API server sends, each item cut into a NAD cache's list
 * (pd_cache_list_item) and committed. Checks: each item handed lies in
 * the input; a failure is -EINVAL (or an item's refusal) and sets no
 * metadata; a text json-c reads as an object with an "items" array is
 * never refused, and hands at least that many items (a repeated
 * "items" key hands each array's); the cache stays usable. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "pd_cache.h"
#include "pd_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	const char *start;
	size_t size, n;
	struct pd_cache_list *l;
};

static int on_item(void *ctx, const char *item, size_t n, struct cni_err *err)
{
	struct seen *s = ctx;

	if (item < s->start || n > s->size ||
	    (size_t)(item - s->start) > s->size - n)
		abort();
	s->n++;
	return s->l ? pd_cache_list_item(s->l, item, n, err) : 0;
}

/* the items json-c finds, or -1 when it reads no such list (or the text
 * has a NUL: json-c takes one as the end of the text, the scan refuses
 * it; an API server sends none) */
static long items_by_json_c(const char *text, size_t size)
{
	struct cni_err err = { 0 };
	json_object *doc = NULL, *items;
	long n = -1;

	if (!memchr(text, '\0', size) &&
	    cni_json_parse_max(text, size, size + 1, "fuzz", &doc, &err) == 0 &&
	    json_object_is_type(doc, json_type_object) &&
	    json_object_object_get_ex(doc, "items", &items) &&
	    json_object_is_type(items, json_type_array))
		n = (long)json_object_array_length(items);
	json_object_put(doc);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { (const char *)data, size, 0, NULL };
	struct cni_err err = { 0 };
	json_object *md = NULL;
	struct pd_cache *c = NULL;
	char *json = NULL;
	long want = items_by_json_c(s.start, size);
	int r = pd_list_scan(s.start, size, on_item, &s, &md, &err);

	if (r != 0 && (r != -EINVAL || md))
		abort();
	if (want >= 0 && (r != 0 || s.n < (size_t)want))
		abort();
	json_object_put(md);
	if (pd_cache_new(PD_CACHE_NADS, &c) < 0 ||
	    pd_cache_list_new(c, &s.l) < 0) {
		pd_cache_free(c);
		return 0;
	}
	s.n = 0;
	md = NULL;
	if (pd_list_scan(s.start, size, on_item, &s, &md, &err) == 0)
		pd_cache_list_commit(s.l, "1");
	else
		pd_cache_list_free(s.l);
	json_object_put(md);
	if (pd_cache_get(c, "default", "a", NULL, &json) == 0)
		free(json);
	pd_cache_free(c);
	return 0;
}
