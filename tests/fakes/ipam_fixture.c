/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cni_error.h"
#include "ipam_fixture.h"
#include "ipam_refs.h"
#include "mem_store.h"
#include "store.h"

struct fx *fx_new(const char *ipam)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cni_err err = { 0 };
	char buf[2048];

	assert_non_null(f);
	snprintf(buf, sizeof(buf),
		 "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":%s}", ipam);
	if (ipam_conf_parse(buf, strlen(buf), &f->conf, &err) < 0)
		fail_msg("conf: %s", err.msg);
	f->st = mem_store_new();
	f->r = &f->conf->ranges[0];
	f->a = (struct ipam_ctx){ .st = f->st, .node = "node-a", .seed = 1 };
	f->b = (struct ipam_ctx){ .st = f->st, .node = "node-b", .seed = 2 };
	return f;
}

void fx_free(struct fx *f)
{
	ipam_store_close(f->st);
	ipam_conf_free(f->conf);
	free(f);
}

size_t fx_refs_n(struct fx *f, const char *node)
{
	struct cni_err err = { 0 };
	struct ipam_refs x;
	size_t n;

	if (ipam_refs_load(f->st, f->r, node, false, &x, &err) < 0)
		fail_msg("refs %s: %s", node, err.msg);
	n = x.n;
	ipam_refs_clear(&x);
	return n;
}

void fx_put(struct fx *f, const char *key, const char *val)
{
	struct cni_err err = { 0 };
	uint64_t ver = 0;
	char *old;

	if (ipam_store_get(f->st, key, &old, NULL, &ver, NULL) == 0)
		free(old);
	if (ipam_store_put_if(f->st, key, val, strlen(val), ver, NULL, &err) <
	    0)
		fail_msg("put %s: %s", key, err.msg);
}

void fx_del(struct fx *f, const char *key)
{
	struct cni_err err = { 0 };

	if (ipam_store_del_if(f->st, key, 0, &err) < 0)
		fail_msg("delete %s: %s", key, err.msg);
}

char *fx_get(struct fx *f, const char *key)
{
	char *val = NULL;

	if (ipam_store_get(f->st, key, &val, NULL, NULL, NULL) < 0)
		return NULL;
	return val;
}

const char *fx_val(struct fx *f, const char *key)
{
	static char buf[4096];
	char *val = fx_get(f, key);

	buf[0] = '\0';
	if (val)
		snprintf(buf, sizeof(buf), "%s", val);
	free(val);
	return buf;
}

bool fx_has(struct fx *f, const char *key)
{
	char *val = fx_get(f, key);
	bool has = val != NULL;

	free(val);
	return has;
}
