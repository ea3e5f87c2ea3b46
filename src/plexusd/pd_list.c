// SPDX-License-Identifier: Apache-2.0
/* A list answer read an item at a time (pd_list.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "k8s.h"
#include "pd_list.h"

struct scan {
	const char *s;
	size_t len, pos;
};

static void skip_ws(struct scan *sc)
{
	while (sc->pos < sc->len &&
	       (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t' ||
		sc->s[sc->pos] == '\r' || sc->s[sc->pos] == '\n'))
		sc->pos++;
}

static bool eat(struct scan *sc, char ch)
{
	skip_ws(sc);
	if (sc->pos >= sc->len || sc->s[sc->pos] != ch)
		return false;
	sc->pos++;
	return true;
}

/* past the string at pos (its opening quote) */
static int skip_string(struct scan *sc)
{
	for (sc->pos++; sc->pos < sc->len; sc->pos++) {
		if (sc->s[sc->pos] == '\\')
			sc->pos++;
		else if (sc->s[sc->pos] == '"')
			return sc->pos++, 0;
	}
	return -EINVAL;
}

/* past the object or array at pos, by its brackets and strings */
static int skip_nested(struct scan *sc)
{
	size_t depth = 0;

	for (; sc->pos < sc->len; sc->pos++) {
		char ch = sc->s[sc->pos];

		if (ch == '"') {
			if (skip_string(sc) < 0)
				return -EINVAL;
			sc->pos--; /* the loop steps past the closing quote */
		} else if (ch == '{' || ch == '[')
			depth++;
		else if ((ch == '}' || ch == ']') && --depth == 0)
			return sc->pos++, 0;
	}
	return -EINVAL;
}

/* past the value at pos (a scalar: up to the next delimiter) */
static int skip_value(struct scan *sc)
{
	size_t start;

	skip_ws(sc);
	if (sc->pos >= sc->len)
		return -EINVAL;
	if (sc->s[sc->pos] == '"')
		return skip_string(sc);
	if (sc->s[sc->pos] == '{' || sc->s[sc->pos] == '[')
		return skip_nested(sc);
	start = sc->pos;
	while (sc->pos < sc->len && !strchr(",}] \t\r\n", sc->s[sc->pos]))
		sc->pos++;
	return sc->pos > start ? 0 : -EINVAL;
}

static int bad(const struct scan *sc, struct cni_err *err)
{
	cni_errf(err, CNI_ERR_KUBERNETES,
		 "list: the answer is not a list object (at byte %zu)",
		 sc->pos);
	return -EINVAL;
}

/* the "items" array at pos, each element handed to on_item */
static int scan_items(struct scan *sc,
		      int (*on_item)(void *, const char *, size_t,
				     struct cni_err *),
		      void *ctx, struct cni_err *err)
{
	size_t start;
	int r;

	if (!eat(sc, '['))
		return bad(sc, err);
	if (eat(sc, ']'))
		return 0;
	do {
		skip_ws(sc);
		start = sc->pos;
		if (skip_value(sc) < 0)
			return bad(sc, err);
		r = on_item(ctx, sc->s + start, sc->pos - start, err);
		if (r)
			return r;
	} while (eat(sc, ','));
	return eat(sc, ']') ? 0 : bad(sc, err);
}

static bool key_is(const struct scan *sc, size_t start, size_t end,
		   const char *key)
{
	size_t n = strlen(key);

	return end - start == n + 2 && !memcmp(sc->s + start + 1, key, n);
}

/* the "metadata" value at pos, parsed into *md (a later one wins) */
static int scan_metadata(struct scan *sc, json_object **md, struct cni_err *err)
{
	struct cni_err perr = { 0 };
	size_t start;

	skip_ws(sc);
	start = sc->pos;
	if (skip_value(sc) < 0)
		return bad(sc, err);
	json_object_put(*md);
	*md = NULL;
	if (cni_json_parse_max(sc->s + start, sc->pos - start, K8S_RESPONSE_MAX,
			       "list: metadata", md, &perr)) {
		cni_errf(err, CNI_ERR_KUBERNETES, "%s", perr.msg);
		return -EINVAL;
	}
	return 0;
}

/* one "key": value of the top-level object */
static int
scan_member(struct scan *sc,
	    int (*on_item)(void *, const char *, size_t, struct cni_err *),
	    void *ctx, json_object **md, bool *items, struct cni_err *err)
{
	size_t start, end;

	skip_ws(sc);
	start = sc->pos;
	if (sc->pos >= sc->len || sc->s[sc->pos] != '"' || skip_string(sc) < 0)
		return bad(sc, err);
	end = sc->pos;
	if (!eat(sc, ':'))
		return bad(sc, err);
	skip_ws(sc);
	/* an "items" that is no array is passed over like any other member
	 * (json-c keeps a repeated key's last value: a later "items" may
	 * be the array); a list with none is refused below */
	if (key_is(sc, start, end, "items") && sc->pos < sc->len &&
	    sc->s[sc->pos] == '[') {
		*items = true;
		return scan_items(sc, on_item, ctx, err);
	}
	if (key_is(sc, start, end, "metadata"))
		return scan_metadata(sc, md, err);
	return skip_value(sc) < 0 ? bad(sc, err) : 0;
}

int pd_list_scan(const char *text, size_t len,
		 int (*on_item)(void *ctx, const char *item, size_t n,
				struct cni_err *err),
		 void *ctx, json_object **ret_metadata, struct cni_err *err)
{
	struct scan sc = { text ? text : "", text ? len : 0, 0 };
	json_object *md = NULL;
	bool items = false;
	int r = 0;

	if (!eat(&sc, '{'))
		return bad(&sc, err);
	if (!eat(&sc, '}')) {
		do
			r = scan_member(&sc, on_item, ctx, &md, &items, err);
		while (r == 0 && eat(&sc, ','));
		if (r == 0 && !eat(&sc, '}'))
			r = bad(&sc, err);
	}
	skip_ws(&sc);
	if (r == 0 && sc.pos != sc.len)
		r = bad(&sc, err);
	if (r == 0 && !items) {
		cni_errf(err, CNI_ERR_KUBERNETES, "list: no items");
		r = -EINVAL;
	}
	if (r) {
		json_object_put(md);
		return r;
	}
	*ret_metadata = md;
	return 0;
}
