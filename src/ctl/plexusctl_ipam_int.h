/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PLEXUSCTL_IPAM_INT_H
#define PLEXUS_PLEXUSCTL_IPAM_INT_H

/* What the files of `plexusctl ipam` share: plexusctl_ipam.c (the command
 * line, ls, gc, show, release), plexusctl_ipam_reserve.c (reserve,
 * unreserve) and plexusctl_ipam_claims.c (claims). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <json-c/json.h>

#include "ipam_addr.h"
#include "ipam_conf.h"

struct cni_err;
struct ipam_store;
struct ipamctl_js;

struct ipam_cmd {
	const char *config, *kubeconfig, *addr, *ns;
	bool dry_run, force, json;
	size_t page; /* --page-size: keys a store list page (0: pageSize) */
	struct ipam_conf *conf;
	struct ipam_store *st;
	json_object *out;      /* -o json of release: the address's outcome,
			   * else NULL */
	struct ipamctl_js *js; /* -o json of gc: each outcome written as
				* it is done, else NULL */
};

/* One address of a block as read: an allocation (held), an operator's
 * reservation (at not ""), or both. */
struct rec {
	const struct ipam_range *r;
	struct ipam_addr a;
	uint32_t off;
	bool held;
	char *cid, *ifname, *ns, *pod, *uid, *node;
	char *claim;   /* "ns/name" of an IPAMClaim, or "" */
	char *at;      /* when an operator reserved it, or "" */
	bool conflict; /* reserved as a conflict: plexus' ARP probe found
			* another host using it (reason "conflict") */
};

/* Who reserved x: "by an operator" or "as a conflict (...)". */
const char *ipamctl_resv_by(const struct rec *x);

struct recs {
	struct rec *v;
	size_t n, cap;
};

void ipamctl_recs_free(struct recs *rs);
/* What is at address a (c->conf's range of it): 0 with *x (owned by rs)
 * when a record holds it or an operator reserved it; 1 when neither
 * (*why says what it is); <0 on a failure (code 7 when a is in no
 * range). node gets the block's owner ("" when none). */
int ipamctl_addr_holder(struct ipam_cmd *c, const struct ipam_addr *a,
			struct recs *rs, const struct rec **x, const char **why,
			char *node, size_t node_size, struct cni_err *err);
/* The holder of x as JSON (namespace, pod, uid, container, interface,
 * node, claim). */
json_object *ipamctl_rec_json(const struct rec *x);
/* x as ls prints it (one line, indented) onto f. */
void ipamctl_rec_print(FILE *f, const struct rec *x);
/* o as pretty JSON on stdout, then released. */
void ipamctl_json_print(json_object *o);

/* Pretty JSON (as ipamctl_json_print) with one array written an element
 * at a time (plexusctl_ipam_stream.c). */
struct ipamctl_js {
	FILE *f;
	int indent; /* of the document (it is an element of another) */
	int close;  /* the array's closing ']' within the document */
	size_t n;   /* elements written */
	const char *key;
	char *tail; /* the document from the array's ']' on */
};

/* Write document o (released) up to the '[' of its member key, an empty
 * array, each line after indent spaces. -EINVAL when key is not one. */
int ipamctl_js_open(struct ipamctl_js *js, FILE *f, json_object *o,
		    const char *key, int indent);
/* The next element of the array, released. */
void ipamctl_js_add(struct ipamctl_js *js, json_object *elem);
/* Before an element the caller writes itself (at elem_indent). */
void ipamctl_js_sep(struct ipamctl_js *js);
int ipamctl_js_elem_indent(const struct ipamctl_js *js);
/* Close the array and write the rest of the document: open's, or that
 * of o (released; the same members, key an empty array) when its values
 * changed meanwhile. No newline at the end. */
int ipamctl_js_close(struct ipamctl_js *js, json_object *o);
/* Forget an unclosed array (a failure: the document stays open). */
void ipamctl_js_drop(struct ipamctl_js *js);
/* o as ipamctl_json_print prints it, without the newline, onto f;
 * released. */
void ipamctl_json_write(FILE *f, json_object *o);

/* An unlinked temporary file of rendered pieces, each tagged with a
 * block index, copied out in index order: what ls prints after a pool's
 * head line, which needs the whole pool's counts. */
struct ipamctl_seg {
	size_t group; /* sorted by group, then idx */
	ipam_u128 idx;
	off_t off, len;
};

struct ipamctl_spool {
	FILE *f;
	struct ipamctl_seg *seg;
	size_t n, cap;
	size_t group; /* of the pieces begun from now on */
};

int ipamctl_spool_open(struct ipamctl_spool *sp);
void ipamctl_spool_close(struct ipamctl_spool *sp);
/* A piece for block idx starts: write it to sp->f, then end it. */
int ipamctl_spool_begin(struct ipamctl_spool *sp, ipam_u128 idx);
int ipamctl_spool_end(struct ipamctl_spool *sp);
void ipamctl_spool_sort(struct ipamctl_spool *sp);
int ipamctl_spool_copy(struct ipamctl_spool *sp, size_t i, FILE *f, int indent);
int ipamctl_spool_reset(struct ipamctl_spool *sp);
/* Read piece i from its start: while ipamctl_spool_left. */
int ipamctl_spool_seek(struct ipamctl_spool *sp, size_t i);
bool ipamctl_spool_left(struct ipamctl_spool *sp, size_t i);
/* Record x (of c->conf->ranges[range]) onto f; read back from f (-EIO
 * when short), its range from conf; cleared. */
void ipamctl_rec_write(FILE *f, const struct rec *x, uint32_t range);
int ipamctl_rec_read(FILE *f, const struct ipam_conf *conf, struct rec *x);
void ipamctl_rec_clear(struct rec *x);

int ipamctl_reserve(struct ipam_cmd *c, bool unreserve, struct cni_err *err);
int ipamctl_claims(struct ipam_cmd *c, struct cni_err *err);

#endif
