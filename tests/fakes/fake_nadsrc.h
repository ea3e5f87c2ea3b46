/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_FAKE_NADSRC_H
#define PLEXUS_FAKE_NADSRC_H

#include "nadsrc.h"

/* An in-memory nad_source for tests: objects added by hand, calls
 * counted, failures injected. Free it with nad_source_free(). */
struct nad_source *fake_nadsrc_new(void);
/* kind "pod" or "nad"; json is the object's text (must parse). Adding
 * one again replaces it (the last one added wins). */
void fake_nadsrc_add(struct nad_source *src, const char *kind, const char *ns,
		     const char *name, const char *json);
/* Make every later call of kind ("pod", "nad", "status") fail with
 * code and -errno r. */
void fake_nadsrc_fail(struct nad_source *src, const char *kind, int code,
		      int r);
void fake_nadsrc_calls_reset(struct nad_source *src);
unsigned fake_nadsrc_calls(const struct nad_source *src, const char *kind);
/* The last status written with put_network_status (or NULL). */
const char *fake_nadsrc_status(const struct nad_source *src);

#endif
