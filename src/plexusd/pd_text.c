// SPDX-License-Identifier: Apache-2.0
/* Appending formatted text to a bounded buffer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "pd_text.h"

void pd_text_put(struct pd_text *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len)
		o->err = -ENOSPC;
	else
		o->len += (size_t)n;
}
