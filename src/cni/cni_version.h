/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CNI_VERSION_H
#define PLEXUS_CNI_VERSION_H

#include <stdbool.h>
#include <stdio.h>

struct cni_err;

/* Supported spec versions, oldest first. */
enum cni_ver {
	CNI_V030,
	CNI_V031,
	CNI_V040,
	CNI_V100,
	CNI_V110,
	CNI_V_COUNT,
};

#define CNI_VERSION_LATEST "1.1.0"

/* Parse "0.3.0".."1.1.0"; anything else fails with code 1
 * (incompatible version), naming `field` and the value. */
int cni_version_parse(const char *s, const char *field, enum cni_ver *ret,
		      struct cni_err *err);
const char *cni_version_str(enum cni_ver v);
bool cni_version_supports_check(enum cni_ver v);

/* Print the VERSION answer: {"cniVersion": v, "supportedVersions": [...]}. */
void cni_version_print(const char *cni_version, FILE *out);

#endif
