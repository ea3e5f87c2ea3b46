// SPDX-License-Identifier: Apache-2.0
/* The spec versions plexus speaks. */
#include <string.h>
#include <json-c/json.h>

#include "cni_error.h"
#include "cni_version.h"

static const char *const versions[CNI_V_COUNT] = {
	[CNI_V030] = "0.3.0", [CNI_V031] = "0.3.1", [CNI_V040] = "0.4.0",
	[CNI_V100] = "1.0.0", [CNI_V110] = "1.1.0",
};

int cni_version_parse(const char *s, const char *field, enum cni_ver *ret,
		      struct cni_err *err)
{
	for (int v = 0; v < CNI_V_COUNT; v++) {
		if (s && strcmp(s, versions[v]) == 0) {
			*ret = (enum cni_ver)v;
			return 0;
		}
	}
	return cni_errf(err, CNI_ERR_INCOMPATIBLE_VERSION,
			"%s: unsupported CNI version \"%.64s\" (supported: "
			"0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)",
			field, s ? s : "");
}

const char *cni_version_str(enum cni_ver v)
{
	return (unsigned)v < CNI_V_COUNT ? versions[v] : CNI_VERSION_LATEST;
}

bool cni_version_supports_check(enum cni_ver v)
{
	return v >= CNI_V040;
}

void cni_version_print(const char *cni_version, FILE *out)
{
	json_object *o = json_object_new_object();
	json_object *list = json_object_new_array();

	for (int v = 0; v < CNI_V_COUNT; v++)
		json_object_array_add(list,
				      json_object_new_string(versions[v]));
	json_object_object_add(
		o, "cniVersion",
		json_object_new_string(cni_version && *cni_version
					       ? cni_version
					       : CNI_VERSION_LATEST));
	json_object_object_add(o, "supportedVersions", list);
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	fflush(out);
	json_object_put(o);
}
