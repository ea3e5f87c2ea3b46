/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_BLOCK_H
#define PLEXUS_IPAM_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "ipam_addr.h"
#include "ipam_alloc.h"
#include "ipam_conf.h"

struct cni_err;

#define IPAM_KEY_MAX 512
/* The highest offset a block of any allowed size has: an offset above
 * it in a stored header or record key is refused, never allocated for. */
#define IPAM_BLOCK_OFF_MAX ((1u << IPAM_BLOCK_HOST_BITS_MAX) - 1)

/* A block as stored (format 2, docs/ipam.md "Keys and records"): a
 * header {"v": 2, "cidr": "...", "node": owner, "slots": "<table>",
 * "by": {"<off>": node}, "reserved": {"<offset>": {"at", "reason"}}}
 * and one record per held offset under <pool>/a/<block>/<off>
 * ({"cid","if","ns","pod","uid","node","net","claim"}; a claim's record
 * without a pod has no cid, if, pod, uid). The slot table has, from
 * offset 0 to the last held one, "." for a free offset and the slot's
 * hash (IPAM_SLOT_HASH_LEN base64url characters, ipam_slot_hash of the
 * record's container ID and interface, or of "claim:<ns>/<name>" for a
 * claim's record without a pod) for a held one; "by" (absent when empty)
 * names the borrowers (a record's node other than the owner). The header
 * is the truth: a record counts only while its slot holds its hash.
 * Format 1 (before) kept the records inline in "allocs"; it is read, and
 * written as format 2 (its records moved out first) at its first write.
 * A block that only holds reservations has owner "" (no node).
 *
 * In memory, allocs maps each held offset to its record when read (or
 * just written), else to a stub {"node"} (ipam_block_rec_missing); each
 * also carries the slot's hash ("#h") and, when its record is to be
 * written with the header, "#p". */
struct ipam_block {
	ipam_u128 idx;
	uint64_t ver; /* 0: not stored yet */
	/* had a free address as read: the state the free-block index
	 * (ipam_free.h) holds for it; set by ipam_block_note_room */
	bool room;
	bool v1; /* read in format 1: every record is written out first */
	/* read from plexusd's memory (ipam_store_get_cached): may be stale,
	 * good for a compare-and-swap only (ipam_alloc.c mine_confirm) */
	bool cached;
	json_object *obj;
	json_object *gone; /* offsets whose records go before the header */
	json_object *hdr;  /* the last header ipam_block_str made */
};

#define IPAM_SLOT_HASH_LEN 6
/* The slot hash of cid+ifname, or (cid NULL) of "claim:<claim>": 36 bits
 * of FNV-1a 64 as 6 base64url characters. */
void ipam_slot_hash(const char *cid, const char *ifname, const char *claim,
		    char buf[IPAM_SLOT_HASH_LEN + 1]);

/* Geometry: block idx covers [base, base + 2^host_bits). */
int ipam_block_host_bits(const struct ipam_range *r);
ipam_u128 ipam_block_base(const struct ipam_range *r, ipam_u128 idx);
ipam_u128 ipam_block_of(const struct ipam_range *r, ipam_u128 a);
/* First and last block index that overlap [start, end]. */
ipam_u128 ipam_block_first(const struct ipam_range *r);
ipam_u128 ipam_block_last(const struct ipam_range *r);
/* idx itself when that block has an address to give, else the next index
 * worth trying (jumping over excluded prefixes); may pass the last. */
ipam_u128 ipam_block_next_live(const struct ipam_range *r, ipam_u128 idx);

void ipam_block_key(const struct ipam_range *r, ipam_u128 idx, char *buf);
void ipam_block_prefix(const struct ipam_range *r, char *buf);
void ipam_ref_key(const struct ipam_range *r, const char *node, ipam_u128 idx,
		  char *buf);
void ipam_ref_prefix(const struct ipam_range *r, const char *node, char *buf);
/* <pool>/a/<block>/<off>: the record of one held offset; the prefix of a
 * block's records. */
void ipam_rec_key(const struct ipam_range *r, ipam_u128 idx, uint32_t off,
		  char *buf);
void ipam_rec_prefix(const struct ipam_range *r, ipam_u128 idx, char *buf);
/* The block index in the last segment of a block or ref key. */
int ipam_key_block_idx(const char *key, ipam_u128 *ret);

int ipam_block_new(const struct ipam_range *r, ipam_u128 idx, const char *node,
		   struct ipam_block *ret);
/* Parse a stored block value (code 6 naming the key when bad). */
int ipam_block_load(ipam_u128 idx, const char *key, const char *val, size_t len,
		    uint64_t ver, struct ipam_block *ret, struct cni_err *err);
void ipam_block_clear(struct ipam_block *b);
const char *ipam_block_node(const struct ipam_block *b);
json_object *ipam_block_allocs(const struct ipam_block *b);
/* The header as stored (format 2), owned by b until the next call; ""
 * when out of memory. */
const char *ipam_block_str(struct ipam_block *b);

/* Is off held without its record read (or with none in the store)? */
bool ipam_block_rec_missing(const struct ipam_block *b, uint32_t off);
/* Take a stored record (key, val) for off when its hash is the slot's: 1
 * taken, 0 ignored (not held, or another hash: stale), or code 6 naming
 * the key when it is no record. */
int ipam_block_rec_load(struct ipam_block *b, uint32_t off, const char *key,
			const char *val, size_t len, struct cni_err *err);
/* Is off held for cid+ifname? Its record, when read, names them; a held
 * off without its record is (only its hash can say, and it matched). A
 * record of another attachment is a hash collision: false. */
bool ipam_block_rec_names(const struct ipam_block *b, uint32_t off,
			  const char *cid, const char *ifname);
/* For a held off whose record was not taken (after ipam_rec_fetch):
 * "(no record)", or "(stale record)" when the one read had another hash;
 * NULL when off is not held or its record was taken. */
const char *ipam_block_rec_state(const struct ipam_block *b, uint32_t off);
/* The record at off as stored (malloc'd), or NULL. */
char *ipam_block_rec_str(const struct ipam_block *b, uint32_t off);
/* The slot hash at off, or NULL when off is not held. */
const char *ipam_block_slot_hash(const struct ipam_block *b, uint32_t off);

/* A free, unreserved offset: 0 or -ENOSPC. */
int ipam_block_free_slot(const struct ipam_range *r, const struct ipam_block *b,
			 uint32_t *ret_off);
/* The offset whose slot holds the hash of cid+ifname: 0 or -ENOENT (a
 * record not read yet is not checked: ipam_rec_fetch it). */
int ipam_block_find(const struct ipam_block *b, const char *cid,
		    const char *ifname, uint32_t *ret_off);
/* The lowest offset above after (-1: any) whose slot has cid+ifname's
 * hash: 0 or -ENOENT (another attachment's with the same hash is found
 * too: its record says). */
int ipam_block_find_next(const struct ipam_block *b, const char *cid,
			 const char *ifname, long after, uint32_t *ret_off);
int ipam_block_add(struct ipam_block *b, uint32_t off,
		   const struct ipam_owner *o, const char *node);
void ipam_block_remove(struct ipam_block *b, uint32_t off);
/* No allocation and no reservation left? */
bool ipam_block_empty(const struct ipam_block *b);
void ipam_block_set_node(struct ipam_block *b, const char *node);
bool ipam_block_has_node(const struct ipam_block *b, const char *node);
/* Is off held? Then buf gets "ns/pod (container C, interface I, node N)"
 * (", IPAMClaim ns/name" added for a claim's record), or for a claim's
 * record without a pod "IPAMClaim ns/name (no pod, last node N)". */
bool ipam_block_holder(const struct ipam_block *b, uint32_t off, char *buf,
		       size_t size);

/* The IPAMClaim ("ns/name") whose record is at off, or NULL; with
 * *ret_attached (may be NULL) true while a container holds it. */
const char *ipam_block_claim(const struct ipam_block *b, uint32_t off,
			     bool *ret_attached);
/* The record at off keeps its claim, network, namespace and node and
 * loses its container, interface, pod and UID: the claim holds it. */
void ipam_block_detach(struct ipam_block *b, uint32_t off);

/* Is off reserved by an operator? *ret_at (may be NULL) gets when. */
bool ipam_block_reserved(const struct ipam_block *b, uint32_t off,
			 const char **ret_at);
/* Reserve off (at: when, RFC 3339), or drop its reservation. */
int ipam_block_reserve(struct ipam_block *b, uint32_t off, const char *at);
/* The same with a reason recorded ("reason": IPAM_RESV_CONFLICT when
 * plexus found another host using the address); NULL: an operator's. */
#define IPAM_RESV_CONFLICT "conflict"
int ipam_block_reserve_why(struct ipam_block *b, uint32_t off, const char *at,
			   const char *reason);
/* The reason of off's reservation, or NULL (an operator's, or none). */
const char *ipam_block_reserve_reason(const struct ipam_block *b, uint32_t off);
void ipam_block_unreserve(struct ipam_block *b, uint32_t off);
/* The "reserved" object ({"<offset>": {"at"}}), or NULL when none. */
json_object *ipam_block_reservations(const struct ipam_block *b);

#endif
