/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_KUBE_OBJ_H
#define PLEXUS_IPAM_KUBE_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct cni_err;

/* The kubernetes store keeps each key in one cluster-scoped custom
 * resource (crd/ipam.yaml): spec.key is the full key, spec.value the
 * value as a string, metadata.resourceVersion the key's version. */
#define KUBE_GROUP    "ipam.plexus.dev"
#define KUBE_VERSION  "v1alpha1"
#define KUBE_KIND     "IPAMKey"
#define KUBE_PLURAL   "ipamkeys"
#define KUBE_API_PATH "/apis/" KUBE_GROUP "/" KUBE_VERSION "/" KUBE_PLURAL
/* Label "ipam.plexus.dev/p<d>" holds the hash of the key's prefix up to
 * its d-th '/', so a prefix is listed with one label selector. */
#define KUBE_LABEL_PREFIX  KUBE_GROUP "/p"
#define KUBE_DEPTH_MAX	   8
#define KUBE_HASH_HEX	   40 /* hex digits of SHA-256 used */
#define KUBE_READABLE_MAX  180
#define KUBE_NAME_MAX	   254 /* 253 + NUL */
#define KUBE_LABEL_KEY_MAX 32
#define KUBE_LABEL_VAL_MAX (KUBE_HASH_HEX + 1)
#define KUBE_CONT_MAX	   4096 /* longest list continue token kept */
/* Annotation holding the key again, so a list of metadata only
 * (PartialObjectMetadataList) names each key. */
#define KUBE_KEY_ANNOTATION KUBE_GROUP "/key"
/* The Accept of such a list: kube-apiserver's server-side transformation
 * (since 1.15; meta.k8s.io/v1: each item is kind PartialObjectMetadata
 * with only metadata). */
#define KUBE_ACCEPT_META \
	"application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"

/* The object name of key: "ipam-<readable>-<hash>", where readable is
 * the key lowercased with every character outside [a-z0-9] turned into
 * '-' (its first KUBE_READABLE_MAX characters) and hash the first 40 hex
 * digits of the key's SHA-256. Always a valid DNS-1123 subdomain. */
void kube_obj_name(const char *key, char buf[KUBE_NAME_MAX]);

/* The label selecting the keys under prefix (which ends in '/'): its
 * depth d is the number of '/' in it. -EINVAL when prefix does not end
 * in '/' or is deeper than KUBE_DEPTH_MAX. */
int kube_prefix_label(const char *prefix, char lkey[KUBE_LABEL_KEY_MAX],
		      char lval[KUBE_LABEL_VAL_MAX]);

/* The object for key=val[0..len); ver 0 leaves resourceVersion out (a
 * create). NULL when out of memory; -EINVAL-worthy keys (no segment,
 * deeper than KUBE_DEPTH_MAX) give NULL too: check with
 * kube_key_valid first. */
json_object *kube_obj_new(const char *key, const char *val, size_t len,
			  uint64_t ver);
int kube_key_valid(const char *key);

/* Read key, value and version (resourceVersion, a decimal number) from a
 * stored object; the strings are borrowed from obj. Code 6 when a field
 * is missing or malformed. */
int kube_obj_parse(json_object *obj, const char **ret_key, const char **ret_val,
		   size_t *ret_len, uint64_t *ret_ver, struct cni_err *err);

/* Is doc, a list answer, kube-apiserver's metadata-only list
 * (kind PartialObjectMetadataList, apiVersion meta.k8s.io/v1)? */
bool kube_list_is_meta(json_object *doc);

/* Key and version of one item of a metadata-only list: the key from the
 * KUBE_KEY_ANNOTATION annotation (borrowed from obj), checked against
 * the object's name. -ENODATA, err untouched, when the annotation is
 * missing (an object written before it: ask for the whole object); code
 * 6 when the name is not the key's or the resourceVersion is not a
 * number. */
int kube_meta_parse(json_object *obj, const char **ret_key, uint64_t *ret_ver,
		    struct cni_err *err);

/* Parse a resourceVersion: a non-zero decimal uint64. -EINVAL else. */
int kube_rv_parse(const char *s, uint64_t *ret);

/* Percent-escape s for a URL query value (a continue token) into buf,
 * cut short rather than overflowing. */
void kube_query_escape(const char *s, char *buf, size_t size);

/* Hex SHA-256 of data (65 bytes with the NUL). */
void kube_sha256_hex(const void *data, size_t len, char out[65]);

#endif
