/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUSD_PD_TEXT_H
#define PLEXUSD_PD_TEXT_H

#include <stddef.h>

/* Text appended into a caller's buffer (the metrics exposition): once a
 * line does not fit, err is -ENOSPC and later lines are dropped. */
struct pd_text {
	char *buf;
	size_t size, len;
	int err;
};

__attribute__((format(printf, 2, 3))) void pd_text_put(struct pd_text *o,
						       const char *fmt, ...);

#endif
