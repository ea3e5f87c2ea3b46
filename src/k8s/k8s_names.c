// SPDX-License-Identifier: Apache-2.0
/* Kubernetes names (DNS-1123 labels and subdomains) and the merge patch
 * that sets a pod's network-status annotation. */
#include <stdbool.h>
#include <string.h>

#include "k8s.h"

bool k8s_name_is_label(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && !(c == '-' && i > 0 && i < n - 1))
			return false;
	}
	return true;
}

bool k8s_name_is_subdomain(const char *s)
{
	char label[64];
	size_t n = s ? strlen(s) : 0;
	const char *p = s;

	if (n == 0 || n > 253)
		return false;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		if (len == 0 || len >= sizeof(label))
			return false;
		memcpy(label, p, len);
		label[len] = '\0';
		if (!k8s_name_is_label(label))
			return false;
		if (!dot)
			return true;
		p = dot + 1;
	}
}

json_object *k8s_status_patch(const char *status_json, const char *uid)
{
	json_object *patch = json_object_new_object(),
		    *md = json_object_new_object(),
		    *an = json_object_new_object(),
		    *v = json_object_new_string(status_json);

	if (!patch || !md || !an || !v) {
		json_object_put(patch);
		json_object_put(md);
		json_object_put(an);
		json_object_put(v);
		return NULL;
	}
	json_object_object_add(an, K8S_NETWORK_STATUS, v);
	if (uid && *uid)
		json_object_object_add(md, "uid", json_object_new_string(uid));
	json_object_object_add(md, "annotations", an);
	json_object_object_add(patch, "metadata", md);
	return patch;
}
