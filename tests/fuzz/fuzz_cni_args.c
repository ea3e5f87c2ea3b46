// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: CNI_ARGS ("K=V;K=V", cni_args_parse), the delegates' CNI_ARGS
 * built from it as Multus builds them (cni_args_for_delegate) and, on the
 * same text, the interface-name check the environment applies to
 * CNI_IFNAME; and a selection element's value (the input after its first
 * NUL byte, tenant text) set as IP= by cni_args_set. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni_env.h"
#include "cni_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* IP=<value> last, the only IP= item, or a refusal of a value that holds
 * ';' or '='. */
static void set_check(const char *args, const uint8_t *data, size_t size)
{
	size_t alen = strlen(args);
	char *val = alen < size ? strndup((const char *)data + alen + 1,
					  size - alen - 1)
				: NULL;
	struct cni_err err = { 0 };
	char *out = NULL, *last;
	int r;

	if (!val)
		return;
	r = cni_args_set(args, "IP", val, "fuzz", CNI_ERR_SELECTION, &out,
			 &err);
	if (r < 0 && (!strpbrk(val, ";=") || err.code != CNI_ERR_SELECTION))
		abort();
	if (r == 0) {
		last = strrchr(out, ';');
		last = last ? last + 1 : out;
		if (strncmp(last, "IP=", 3) != 0 || strcmp(last + 3, val) != 0)
			abort();
		for (const char *p = out; (p = strstr(p, "IP=")); p++)
			if (p != last && (p == out || p[-1] == ';'))
				abort();
	}
	free(out);
	free(val);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_err err = { 0 };
	struct cni_kv *kv;
	size_t n;
	char *s = strndup((const char *)data, size); /* the env is a C string */

	if (!s)
		return 0;
	if (cni_args_parse(s, &kv, &n, &err) == 0) {
		struct cni_env env = { .args_raw = s, .args = kv, .n_args = n };
		char *d = cni_args_for_delegate(&env, s);

		/* always the Multus prefix, and parseable again */
		if (d &&
		    (strncmp(d, "IgnoreUnknown=true;K8S_POD_NAMESPACE=", 37) !=
			     0 ||
		     cni_args_parse(d, &kv, &n, &err) < 0))
			abort();
		if (d)
			cni_kv_free(kv, n);
		free(d);
		kv = env.args;
		n = env.n_args;
		for (size_t i = 0; i < n; i++) {
			/* every pair is KEY=VALUE with a non-empty key */
			if (!kv[i].key[0] || strchr(kv[i].key, ';') ||
			    strchr(kv[i].val, ';'))
				abort();
			cni_ifname_check(kv[i].val, "fuzz", CNI_ERR_INVALID_ENV,
					 &err);
		}
		cni_kv_free(kv, n);
	} else if (err.code != CNI_ERR_INVALID_ENV) {
		abort();
	}
	cni_ifname_check(s, "fuzz", CNI_ERR_INVALID_ENV, &err);
	set_check(s, data, size);
	free(s);
	return 0;
}
