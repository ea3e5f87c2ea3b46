/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CNI_ERROR_H
#define PLEXUS_CNI_ERROR_H

#include <stdio.h>

/* Error codes of the CNI spec (1.1.0) and plexus' own (100 and up). */
enum cni_code {
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_TRY_AGAIN = 11,
	CNI_ERR_NOT_AVAILABLE = 50,
	CNI_ERR_NO_ADDRESSES = 51,
	/* plexus-specific codes; docs/errors.md lists them */
	CNI_ERR_DELEGATE_NOT_FOUND = 100,
	CNI_ERR_DELEGATE_FAILED = 101,
	CNI_ERR_DELEGATE_TIMEOUT = 102,
	CNI_ERR_DELEGATE_OUTPUT = 103,
	CNI_ERR_ROLLBACK = 104,
	CNI_ERR_SELECTION = 110,
	CNI_ERR_KUBERNETES = 111,
	CNI_ERR_POOL_EXHAUSTED = 120,
	CNI_ERR_ADDRESS_TAKEN = 121,
	CNI_ERR_ADDRESS_CONFLICT = 122,
	CNI_ERR_TOO_LARGE = 123,
	CNI_ERR_NETLINK = 130,
	/* the CNI library's "internal error", every error of Multus */
	CNI_ERR_INTERNAL = 999,
};

#define CNI_ERR_MSG_MAX	    1024
#define CNI_ERR_DETAILS_MAX 4096

/* One error, owned by the caller; no global state, so in-process
 * delegates each keep their own. code 0 means "no error set". */
struct cni_err {
	int code;
	char msg[CNI_ERR_MSG_MAX];
	char details[CNI_ERR_DETAILS_MAX];
};

/* Set code and message (printf format) and return the negative errno
 * that matches the code, so a caller can write `return cni_errf(...)`.
 * A NULL err is allowed: then only the return value is computed. */
int cni_errf(struct cni_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A reply or object over a size limit: code CNI_ERR_TOO_LARGE, -EFBIG.
 * The message names the object (a URL path, a store key, a file), the
 * size seen (size 0: the read was cut at the limit, "more than <limit>")
 * and the limit (limit_name, "the ... limit", and its value when limit
 * is not 0): "<object>: <size> bytes, over <limit_name> of <limit> bytes". */
int cni_err_too_large(struct cni_err *err, const char *limit_name, size_t limit,
		      const char *object, size_t size);

/* Append text to err->details (separated by "; "). */
void cni_err_add_details(struct cni_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefix the message with "<prefix>: ", keeping the code; a message
 * that starts with that already is left as it is. */
void cni_err_prefix(struct cni_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The one place that prints the spec's error JSON ({cniVersion, code,
 * msg, details}). Called only from a binary's main. A NULL or empty
 * version prints the newest supported version. */
void cni_err_print(const struct cni_err *err, const char *cni_version,
		   FILE *out);

#endif
