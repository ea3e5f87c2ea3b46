// SPDX-License-Identifier: Apache-2.0
/* Identifiers from the runtime, checked before they name a file. */
#include <ctype.h>
#include <string.h>

#include "cni_error.h"
#include "cni_ids.h"

static bool id_char(unsigned char c)
{
	return isascii(c) && (isalnum(c) || c == '_' || c == '.' || c == '-');
}

bool cni_container_id_ok(const char *id)
{
	size_t i, n = id ? strlen(id) : 0;

	if (n == 0 || n > CNI_CONTAINER_ID_MAX ||
	    !isascii((unsigned char)id[0]) || !isalnum((unsigned char)id[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!id_char((unsigned char)id[i]))
			return false;
	return true;
}

/* The value for a message: up to 64 bytes, unprintable bytes as '?'. */
static const char *shown(const char *id, char *buf, size_t size)
{
	size_t i;

	for (i = 0; id[i] && i + 1 < size; i++)
		buf[i] = isprint((unsigned char)id[i]) ? id[i] : '?';
	buf[i] = '\0';
	return buf;
}

int cni_container_id_check(const char *id, const char *field, int code,
			   struct cni_err *err)
{
	char buf[65];

	if (cni_container_id_ok(id))
		return 0;
	if (!id || !*id)
		return cni_errf(err, code, "%s: empty", field);
	if (strlen(id) > CNI_CONTAINER_ID_MAX)
		return cni_errf(err, code, "%s: longer than %d bytes", field,
				CNI_CONTAINER_ID_MAX);
	return cni_errf(err, code,
			"%s: \"%s\" is not a container ID (letters, digits, "
			"'_', '.', '-', starting with a letter or digit)",
			field, shown(id, buf, sizeof(buf)));
}
