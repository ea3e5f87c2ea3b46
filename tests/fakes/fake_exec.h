/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_TESTS_FAKE_EXEC_H
#define PLEXUS_TESTS_FAKE_EXEC_H

#include <stddef.h>
#include <json-c/json.h>

#include "cni_env.h"
#include "cni_exec.h"

/* A stand-in for delegate exec (struct cni_exec_ops): it records every
 * call and answers from a script. Unscripted calls succeed: ADD returns
 * the stdin prevResult when there is one (as a chained plugin does), else
 * a fresh result {interfaces: [ifname], ips: [10.<n>.0.2/24]} in the
 * config's cniVersion, n counting such results from 1; other commands
 * return nothing. */

#define FAKE_EXEC_MAX_CALLS 64
#define FAKE_EXEC_MAX_RULES 16

struct fake_exec_call {
	char type[64];
	enum cni_cmd cmd;
	char ifname[32]; /* "" when the request had none */
	char container_id[64];
	char args[256];	   /* CNI_ARGS */
	json_object *conf; /* stdin, owned copy */
};

struct fake_exec_rule {
	const char *type; /* NULL: any */
	enum cni_cmd cmd;
	const char *ifname; /* NULL: any */
	int code;	    /* != 0: fail with this code and msg */
	const char *msg;
	const char *out; /* else stdout JSON (NULL: none) */
};

struct fake_exec {
	struct cni_exec_ops ops;
	struct fake_exec_call calls[FAKE_EXEC_MAX_CALLS];
	size_t n_calls;
	struct fake_exec_rule rules[FAKE_EXEC_MAX_RULES];
	size_t n_rules;
	int n_results;
};

/* Initialise f; f->ops is what goes into attach_ctx.exec. */
void fake_exec_init(struct fake_exec *f);
/* Free the recorded stdin copies. */
void fake_exec_clear(struct fake_exec *f);

/* Script: the first matching rule answers. */
void fake_exec_fail(struct fake_exec *f, const char *type, enum cni_cmd cmd,
		    const char *ifname, int code, const char *msg);
void fake_exec_answer(struct fake_exec *f, const char *type, enum cni_cmd cmd,
		      const char *ifname, const char *out);

/* "ADD bridge eth0" for call i, into buf. */
const char *fake_exec_call_str(const struct fake_exec *f, size_t i, char *buf,
			       size_t size);
/* The prevResult of call i's stdin, or NULL. */
json_object *fake_exec_prev(const struct fake_exec *f, size_t i);

#endif
