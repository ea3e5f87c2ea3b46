// SPDX-License-Identifier: Apache-2.0
/* plexus-ipam-seed CONFIG NODES ALLOCS: fill the first range of a
 * plexus-ipam network config (its store from the node settings, as the
 * plugin finds it) with ALLOCS allocations over NODES node names
 * (node-00, node-01, ...), through the allocator's own block code and the
 * store's put_if, one write per block and one per allocation record
 * (ipam_block_write), one per node's reference index
 * (ipam_refs.h) and one per free-block hint of a block with room, and
 * <pool>/fi (the free-block index as the allocator keeps it, ipam_free.h)
 * instead of one plugin exec per allocation; with
 * PLEXUS_IPAM_SEED_LAYOUT=old, one reference key per block
 * (<pool>/n/<node>/<block>) as plexus-ipam wrote them before the index;
 * with PLEXUS_IPAM_SEED_LAYOUT=v1, blocks in format 1 (records inline,
 * as plexus-ipam wrote them before format 2, ipam_block.h), one write
 * each.
 * Blocks are filled whole, in pool order, and
 * owned round-robin by the nodes; every block left after that is claimed
 * empty by the last node, so a node whose blocks are full must borrow.
 * Allocation n: container seed-<n>, interface eth0, pod seed/pod-<n>, UID
 * uid-<n>, network the config's name. Prints "blocks B allocations A
 * writes W ms T" on stdout; exit 1 with the CNI error on stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cni_error.h"
#include "cni_json.h"
#include "ipam_alloc.h"
#include "ipam_block.h"
#include "ipam_free.h"
#include "ipam_conf.h"
#include "ipam_refs.h"
#include "store.h"

struct seed {
	struct ipam_store *st;
	const struct ipam_range *r;
	const char *net;
	int nodes;
	long allocs, made, writes, blocks;
	bool old_layout, v1;
	struct ipam_refs *refs; /* one per node */
};

static void node_name(int i, char *buf, size_t size)
{
	snprintf(buf, size, "node-%02d", i);
}

static int rec_net(struct ipam_block *b, uint32_t off, const char *net)
{
	json_object *rec;
	char k[16];

	snprintf(k, sizeof(k), "%u", off);
	if (!net || !json_object_object_get_ex(ipam_block_allocs(b), k, &rec))
		return 0;
	json_object_object_add(rec, "net", json_object_new_string(net));
	return 0;
}

/* Fill block b with allocations until it is full or enough are made. */
static int fill(struct seed *s, struct ipam_block *b, const char *node)
{
	char cid[32], pod[32], uid[32];
	struct ipam_owner o = { .cid = cid,
				.ifname = "eth0",
				.ns = "seed",
				.pod = pod,
				.uid = uid };
	uint32_t off;
	int rc;

	while (s->made < s->allocs &&
	       ipam_block_free_slot(s->r, b, &off) == 0) {
		snprintf(cid, sizeof(cid), "seed-%ld", s->made);
		snprintf(pod, sizeof(pod), "pod-%ld", s->made);
		snprintf(uid, sizeof(uid), "uid-%ld", s->made);
		rc = ipam_block_add(b, off, &o, node);
		if (rc == 0)
			rc = rec_net(b, off, s->net);
		if (rc < 0)
			return rc;
		s->made++;
	}
	return 0;
}

/* A copy of rec without the in-memory "#" fields. */
static json_object *rec_copy(json_object *rec)
{
	json_object *c = json_object_new_object();

	json_object_object_foreach (rec, f, x) {
		if (f[0] != '#')
			json_object_object_add(c, f, json_object_get(x));
	}
	return c;
}

/* b in format 1: {"cidr", "node", "allocs": {"<off>": record}}. */
static char *v1_str(const struct ipam_block *b)
{
	json_object *o = json_object_new_object();
	json_object *a = json_object_new_object();
	char *str;

	json_object_object_foreach (b->obj, k, v) {
		if (strcmp(k, "allocs") != 0)
			json_object_object_add(o, k, json_object_get(v));
	}
	json_object_object_add(o, "allocs", a);
	json_object_object_foreach (ipam_block_allocs(b), off, rec)
		json_object_object_add(a, off, rec_copy(rec));
	str = strdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return str;
}

/* b in format 1, one write, and its hint when it has room. */
static int put_v1(struct seed *s, struct ipam_block *b, struct cni_err *err)
{
	char key[IPAM_KEY_MAX], *val = v1_str(b);
	int rc;

	if (!val)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	ipam_block_key(s->r, b->idx, key);
	rc = ipam_store_put_if(s->st, key, val, strlen(val), 0, NULL, err);
	free(val);
	s->writes++;
	if (rc == 0 && ipam_block_has_room(s->r, b)) {
		rc = ipam_free_ensure(s->st, s->r, b, err);
		s->writes++;
	}
	return rc;
}

static int put_block(struct seed *s, ipam_u128 idx, int node_no,
		     const char *node, struct cni_err *err)
{
	char key[IPAM_KEY_MAX];
	struct ipam_block b;
	bool room;
	int rc, n;

	rc = ipam_block_new(s->r, idx, node, &b);
	if (rc == 0)
		rc = fill(s, &b, node);
	ipam_ref_key(s->r, node, idx, key);
	if (rc == 0 && s->old_layout) {
		rc = ipam_store_put_if(s->st, key, "{}", 2, 0, NULL, err);
		s->writes++;
	} else if (rc == 0) {
		rc = ipam_refs_add(&s->refs[node_no], idx);
	}
	/* the header, its hint when it has room, then its records, as the
	 * allocator writes them (ipam_block_write) */
	n = json_object_object_length(ipam_block_allocs(&b));
	room = ipam_block_has_room(s->r, &b);
	if (rc == 0 && s->v1) {
		rc = put_v1(s, &b, err);
	} else if (rc == 0) {
		rc = ipam_block_write(s->st, s->r, &b, err);
		s->writes += 1 + n + room;
	}
	s->blocks++;
	ipam_block_clear(&b);
	return rc;
}

/* <pool>/fi: the free-block index written by put_block is complete */
static int put_mark(struct seed *s, struct cni_err *err)
{
	char key[IPAM_KEY_MAX];

	ipam_free_mark_key(s->r, key);
	s->writes++;
	return ipam_store_put_if(s->st, key, "{}", 2, 0, NULL, err);
}

/* Each node's reference index, one write each (new layout). */
static int put_refs(struct seed *s, struct cni_err *err)
{
	char node[32];
	int i, rc = 0;

	for (i = 0; rc == 0 && !s->old_layout && i < s->nodes; i++) {
		node_name(i, node, sizeof(node));
		ipam_refs_key(s->r, node, s->refs[i].key);
		rc = ipam_refs_store(s->st, s->r, &s->refs[i], err);
		s->writes++;
	}
	return rc;
}

static int seed_all(struct seed *s, struct cni_err *err)
{
	ipam_u128 idx, last = ipam_block_last(s->r);
	char node[32];
	long blocks = 0;
	int rc = 0, no;

	for (idx = ipam_block_first(s->r); rc == 0 && idx <= last; idx++) {
		if (ipam_block_next_live(s->r, idx) != idx)
			continue;
		no = s->made < s->allocs ? (int)(blocks % s->nodes)
					 : s->nodes - 1;
		node_name(no, node, sizeof(node));
		rc = put_block(s, idx, no, node, err);
		blocks++;
	}
	if (rc == 0)
		rc = put_refs(s, err);
	if (rc == 0)
		rc = put_mark(s, err);
	if (rc == 0 && s->made < s->allocs)
		rc = cni_errf(err, CNI_ERR_POOL_EXHAUSTED,
			      "pool %s holds only %ld allocations",
			      s->r->pool_id, s->made);
	return rc < 0 ? rc : (int)(blocks > 0);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(int argc, char **argv)
{
	struct cni_err err = { 0 };
	struct ipam_conf *conf = NULL;
	struct seed s = { 0 };
	struct timespec t0;
	char *buf = NULL;
	size_t len;
	int rc;

	if (argc != 4 || atoi(argv[2]) < 1 || atol(argv[3]) < 1) {
		fprintf(stderr, "usage: plexus-ipam-seed CONFIG NODES "
				"ALLOCS\n");
		return 2;
	}
	s.nodes = atoi(argv[2]);
	s.allocs = atol(argv[3]);
	s.old_layout = getenv("PLEXUS_IPAM_SEED_LAYOUT") &&
		       !strcmp(getenv("PLEXUS_IPAM_SEED_LAYOUT"), "old");
	s.v1 = getenv("PLEXUS_IPAM_SEED_LAYOUT") &&
	       !strcmp(getenv("PLEXUS_IPAM_SEED_LAYOUT"), "v1");
	s.refs = calloc((size_t)s.nodes, sizeof(*s.refs));
	if (!s.refs)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = cni_read_file(argv[1], &buf, &len, &err);
	if (rc == 0)
		rc = ipam_conf_parse(buf, len, &conf, &err);
	if (rc == 0)
		rc = ipam_store_open(conf->store, &s.st, &err);
	if (rc == 0) {
		s.r = &conf->ranges[0];
		s.net = conf->name;
		rc = seed_all(&s, &err);
	}
	if (rc >= 0)
		printf("blocks %ld allocations %ld writes %ld ms %ld\n",
		       s.blocks, s.made, s.writes, ms_since(&t0));
	else
		fprintf(stderr, "plexus-ipam-seed: %s\n", err.msg);
	for (int i = 0; i < s.nodes; i++)
		ipam_refs_clear(&s.refs[i]);
	free(s.refs);
	ipam_store_close(s.st);
	ipam_conf_free(conf);
	free(buf);
	return rc < 0;
}
