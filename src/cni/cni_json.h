/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CNI_JSON_H
#define PLEXUS_CNI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct cni_err;

/* Largest config or result plexus reads (stdin, a file, a delegate). */
#define CNI_JSON_MAX (1024 * 1024)
/* Deepest JSON nesting accepted. */
#define CNI_JSON_DEPTH 64

/* Parse buf[0..len) as one JSON value; trailing garbage, nesting deeper
 * than CNI_JSON_DEPTH and len > CNI_JSON_MAX fail with code 6 (decode) or
 * 7 (too large), `what` naming the source in the message. */
int cni_json_parse(const char *buf, size_t len, const char *what,
		   json_object **ret, struct cni_err *err);
/* The same with the size limit of another transport (the Kubernetes
 * client's, etcd's): the parser takes what the transport accepted; over
 * max is code 123 (cni_err_too_large, -EFBIG), not 7. */
int cni_json_parse_max(const char *buf, size_t len, size_t max,
		       const char *what, json_object **ret,
		       struct cni_err *err);

/* Read all of fd (at most CNI_JSON_MAX bytes) into a NUL-terminated
 * buffer the caller frees. Too large: code 7, -EFBIG; read error: code
 * 5. */
int cni_read_fd(int fd, const char *what, char **ret, size_t *ret_len,
		struct cni_err *err);
/* Same for a file path. Missing file: -ENOENT with code 5. */
int cni_read_file(const char *path, char **ret, size_t *ret_len,
		  struct cni_err *err);

/* Typed getters. `field` is the full path used in messages, e.g.
 * "delegates[1].type". A missing key returns -ENOENT and leaves ret_*
 * untouched without setting err; a key of the wrong type fails with
 * code 7. */
int cni_json_get_string(json_object *obj, const char *key, const char *field,
			const char **ret, struct cni_err *err);
int cni_json_get_bool(json_object *obj, const char *key, const char *field,
		      bool *ret, struct cni_err *err);
int cni_json_get_int(json_object *obj, const char *key, const char *field,
		     int64_t *ret, struct cni_err *err);
int cni_json_get_array(json_object *obj, const char *key, const char *field,
		       json_object **ret, struct cni_err *err);
int cni_json_get_object(json_object *obj, const char *key, const char *field,
			json_object **ret, struct cni_err *err);

/* Deep copy (json_object_deep_copy with an error check); NULL on ENOMEM. */
json_object *cni_json_copy(json_object *obj);

/* Serialise compactly; the string belongs to obj. */
const char *cni_json_str(json_object *obj);

#endif
