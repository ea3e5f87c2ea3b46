// SPDX-License-Identifier: Apache-2.0
/* The CNI error type and the one place that prints its JSON. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "cni_error.h"
#include "cni_version.h"

static int code_to_errno(int code)
{
	switch (code) {
	case CNI_ERR_UNKNOWN_CONTAINER:
	case CNI_ERR_DELEGATE_NOT_FOUND:
		return -ENOENT;
	case CNI_ERR_IO:
		return -EIO;
	case CNI_ERR_TRY_AGAIN:
		return -EAGAIN;
	case CNI_ERR_DELEGATE_TIMEOUT:
		return -ETIMEDOUT;
	case CNI_ERR_POOL_EXHAUSTED:
	case CNI_ERR_NO_ADDRESSES:
		return -ENOSPC;
	case CNI_ERR_ADDRESS_TAKEN:
	case CNI_ERR_ADDRESS_CONFLICT:
		return -EEXIST;
	case CNI_ERR_TOO_LARGE:
		return -EFBIG;
	case CNI_ERR_INCOMPATIBLE_VERSION:
	case CNI_ERR_UNSUPPORTED_FIELD:
	case CNI_ERR_INVALID_ENV:
	case CNI_ERR_DECODE:
	case CNI_ERR_INVALID_CONFIG:
	case CNI_ERR_SELECTION:
		return -EINVAL;
	default:
		return -EPROTO;
	}
}

int cni_errf(struct cni_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code_to_errno(code);
}

int cni_err_too_large(struct cni_err *err, const char *limit_name, size_t limit,
		      const char *object, size_t size)
{
	char seen[48], lim[48] = "";

	if (size)
		snprintf(seen, sizeof(seen), "%zu bytes", size);
	else
		snprintf(seen, sizeof(seen), "more than %zu bytes", limit);
	if (limit)
		snprintf(lim, sizeof(lim), " of %zu bytes", limit);
	return cni_errf(err, CNI_ERR_TOO_LARGE, "%.400s: %s, over %.200s%s",
			object, seen, limit_name, lim);
}

void cni_err_add_details(struct cni_err *err, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if (!err)
		return;
	len = strnlen(err->details, sizeof(err->details));
	if (len && len + 2 < sizeof(err->details)) {
		memcpy(err->details + len, "; ", 3);
		len += 2;
	}
	if (len + 1 >= sizeof(err->details))
		return;
	va_start(ap, fmt);
	vsnprintf(err->details + len, sizeof(err->details) - len, fmt, ap);
	va_end(ap);
}

void cni_err_prefix(struct cni_err *err, const char *fmt, ...)
{
	char old[CNI_ERR_MSG_MAX];
	size_t plen, olen;
	va_list ap;

	if (!err)
		return;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg) / 4, fmt, ap);
	va_end(ap);
	plen = strlen(err->msg);
	olen = strnlen(old, sizeof(old) - 1);
	if (olen > plen + 1 && !memcmp(old, err->msg, plen) &&
	    !memcmp(old + plen, ": ", 2)) { /* said already: not twice */
		memcpy(err->msg, old, olen);
		err->msg[olen] = '\0';
		return;
	}
	if (plen + 2 + olen >= sizeof(err->msg))
		olen = sizeof(err->msg) - plen - 3;
	memcpy(err->msg + plen, ": ", 2);
	memcpy(err->msg + plen + 2, old, olen);
	err->msg[plen + 2 + olen] = '\0';
}

void cni_err_print(const struct cni_err *err, const char *cni_version,
		   FILE *out)
{
	json_object *o = json_object_new_object();
	int code = err && err->code ? err->code : CNI_ERR_IO;
	const char *msg = err && err->msg[0] ? err->msg : "unknown error";

	if (!cni_version || !*cni_version)
		cni_version = CNI_VERSION_LATEST;
	json_object_object_add(o, "cniVersion",
			       json_object_new_string(cni_version));
	json_object_object_add(o, "code", json_object_new_int(code));
	json_object_object_add(o, "msg", json_object_new_string(msg));
	if (err && err->details[0])
		json_object_object_add(o, "details",
				       json_object_new_string(err->details));
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PRETTY |
				   JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(out);
	json_object_put(o);
}
