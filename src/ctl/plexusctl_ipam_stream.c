/* SPDX-License-Identifier: Apache-2.0 */
/* plexusctl ipam's output a piece at a time: pretty JSON whose one array
 * is written element by element, byte for byte what json-c prints for
 * the whole document; and a spool, an unlinked temporary file of
 * rendered pieces tagged with a block index, copied out in index
 * order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plexusctl_ipam_int.h"

#define JSON_FLAGS                                           \
	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
	 JSON_C_TO_STRING_NOSLASHESCAPE)

/* s[0..len) onto f, each line after indent spaces (the first, too, when
 * *bol: at the beginning of a line; *bol is left as the end leaves it). */
static void write_indented(FILE *f, const char *s, size_t len, int indent,
			   bool *bol)
{
	const char *nl;
	size_t n;

	while (len) {
		if (*bol)
			fprintf(f, "%*s", indent, "");
		nl = memchr(s, '\n', len);
		n = nl ? (size_t)(nl - s) + 1 : len;
		fwrite(s, 1, n, f);
		*bol = nl != NULL;
		s += n;
		len -= n;
	}
}

/* Where o's member key, an empty array, sits in o's text t: t up to its
 * '[' is the head, from its ']' the tail; the spaces between are the
 * array's closing indent. -EINVAL when key is not an empty array. */
static int split_at(const char *t, const char *key, size_t *ret_head,
		    size_t *ret_tail, int *ret_close)
{
	char pat[128];
	const char *p, *q;

	snprintf(pat, sizeof(pat), "\"%s\": [\n", key);
	p = strstr(t, pat);
	if (!p)
		return -EINVAL;
	p += strlen(pat);
	for (q = p; *q == ' '; q++)
		;
	if (*q != ']')
		return -EINVAL;
	*ret_head = (size_t)(p - t) - 1; /* up to '[' but its '\n' */
	*ret_tail = (size_t)(q - t);
	*ret_close = (int)(q - p);
	return 0;
}

int ipamctl_js_open(struct ipamctl_js *js, FILE *f, json_object *o,
		    const char *key, int indent)
{
	const char *t = json_object_to_json_string_ext(o, JSON_FLAGS);
	size_t head, tail;
	bool bol = true;
	int close;

	if (split_at(t, key, &head, &tail, &close) < 0) {
		json_object_put(o);
		return -EINVAL;
	}
	*js = (struct ipamctl_js){
		.f = f, .indent = indent, .close = close, .key = key
	};
	write_indented(f, t, head, indent, &bol);
	js->tail = strdup(t + tail);
	json_object_put(o);
	return js->tail ? 0 : -ENOMEM;
}

void ipamctl_js_sep(struct ipamctl_js *js)
{
	fputs(js->n++ ? ",\n" : "\n", js->f);
}

int ipamctl_js_elem_indent(const struct ipamctl_js *js)
{
	return js->indent + js->close + 2;
}

void ipamctl_js_add(struct ipamctl_js *js, json_object *elem)
{
	const char *t = json_object_to_json_string_ext(elem, JSON_FLAGS);
	bool bol = true;

	ipamctl_js_sep(js);
	write_indented(js->f, t, strlen(t), ipamctl_js_elem_indent(js), &bol);
	json_object_put(elem);
}

int ipamctl_js_close(struct ipamctl_js *js, json_object *o)
{
	size_t head, tail;
	const char *t;
	bool bol = false;
	int close, rc = 0;

	if (o) { /* the rest from the document's final values */
		t = json_object_to_json_string_ext(o, JSON_FLAGS);
		rc = split_at(t, js->key, &head, &tail, &close);
		if (rc == 0) {
			free(js->tail);
			js->tail = strdup(t + tail);
		}
		json_object_put(o);
	}
	fprintf(js->f, "\n%*s", js->indent + js->close, "");
	if (rc == 0 && js->tail)
		write_indented(js->f, js->tail, strlen(js->tail), js->indent,
			       &bol);
	free(js->tail);
	js->tail = NULL;
	return rc;
}

void ipamctl_js_drop(struct ipamctl_js *js)
{
	free(js->tail);
	js->tail = NULL;
}

void ipamctl_json_write(FILE *f, json_object *o)
{
	fputs(json_object_to_json_string_ext(o, JSON_FLAGS), f);
	json_object_put(o);
}

/* --- spool --- */

int ipamctl_spool_open(struct ipamctl_spool *sp)
{
	*sp = (struct ipamctl_spool){ 0 };
	sp->f = tmpfile();
	return sp->f ? 0 : -errno;
}

void ipamctl_spool_close(struct ipamctl_spool *sp)
{
	if (sp->f)
		fclose(sp->f);
	free(sp->seg);
	*sp = (struct ipamctl_spool){ 0 };
}

int ipamctl_spool_begin(struct ipamctl_spool *sp, ipam_u128 idx)
{
	struct ipamctl_seg *ns;

	if (sp->n == sp->cap) {
		sp->cap = sp->cap ? 2 * sp->cap : 256;
		ns = realloc(sp->seg, sp->cap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		sp->seg = ns;
	}
	sp->seg[sp->n] = (struct ipamctl_seg){ .group = sp->group,
					       .idx = idx,
					       .off = ftello(sp->f) };
	return sp->seg[sp->n].off < 0 ? -errno : 0;
}

int ipamctl_spool_end(struct ipamctl_spool *sp)
{
	off_t end = ftello(sp->f);

	if (end < 0 || ferror(sp->f))
		return -EIO;
	sp->seg[sp->n].len = end - sp->seg[sp->n].off;
	sp->n++;
	return 0;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct ipamctl_seg *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void ipamctl_spool_sort(struct ipamctl_spool *sp)
{
	if (sp->n > 1)
		qsort(sp->seg, sp->n, sizeof(*sp->seg), seg_cmp);
}

/* Piece i of sp (after ipamctl_spool_sort: in index order) onto f, each
 * line after indent spaces. */
int ipamctl_spool_copy(struct ipamctl_spool *sp, size_t i, FILE *f, int indent)
{
	char buf[16384];
	off_t left = sp->seg[i].len;
	bool bol = true;
	size_t n;

	if (fflush(sp->f) || fseeko(sp->f, sp->seg[i].off, SEEK_SET))
		return -errno;
	while (left > 0) {
		n = fread(buf, 1,
			  left < (off_t)sizeof(buf) ? (size_t)left
						    : sizeof(buf),
			  sp->f);
		if (n == 0)
			return -EIO;
		write_indented(f, buf, n, indent, &bol);
		left -= (off_t)n;
	}
	return 0;
}

int ipamctl_spool_seek(struct ipamctl_spool *sp, size_t i)
{
	if (fflush(sp->f) || fseeko(sp->f, sp->seg[i].off, SEEK_SET))
		return -EIO;
	return 0;
}

bool ipamctl_spool_left(struct ipamctl_spool *sp, size_t i)
{
	off_t at = ftello(sp->f);

	return at >= 0 && at < sp->seg[i].off + sp->seg[i].len;
}

/* Empty again for the next pool: no piece, the file truncated. */
int ipamctl_spool_reset(struct ipamctl_spool *sp)
{
	sp->n = 0;
	if (fflush(sp->f) || ftruncate(fileno(sp->f), 0))
		return -errno;
	rewind(sp->f);
	return 0;
}

/* --- records in a spool: the fixed part, then each string as its
 * length and bytes --- */

/* The fixed part, field by field (no padding bytes written). */
struct rec_fixed {
	uint32_t range, off;
	int32_t family;
	ipam_u128 v;
	uint8_t held, conflict;
};

#define REC_FIXED_LEN (4 + 4 + 4 + 16 + 1 + 1)

static void fixed_pack(const struct rec_fixed *h, unsigned char *b)
{
	memcpy(b, &h->range, 4);
	memcpy(b + 4, &h->off, 4);
	memcpy(b + 8, &h->family, 4);
	memcpy(b + 12, &h->v, 16);
	b[28] = h->held;
	b[29] = h->conflict;
}

static void fixed_unpack(const unsigned char *b, struct rec_fixed *h)
{
	memcpy(&h->range, b, 4);
	memcpy(&h->off, b + 4, 4);
	memcpy(&h->family, b + 8, 4);
	memcpy(&h->v, b + 12, 16);
	h->held = b[28];
	h->conflict = b[29];
}

static void str_write(FILE *f, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);

	fwrite(&n, sizeof(n), 1, f);
	fwrite(s, 1, n, f);
}

static int str_read(FILE *f, char **ret)
{
	uint32_t n;

	*ret = NULL;
	if (fread(&n, sizeof(n), 1, f) != 1 || n > (1u << 24))
		return -EIO;
	*ret = malloc((size_t)n + 1);
	if (!*ret)
		return -ENOMEM;
	(*ret)[n] = '\0';
	return n && fread(*ret, 1, n, f) != n ? -EIO : 0;
}

void ipamctl_rec_write(FILE *f, const struct rec *x, uint32_t range)
{
	struct rec_fixed h = { .range = range,
			       .off = x->off,
			       .family = x->a.family,
			       .v = x->a.v,
			       .held = x->held,
			       .conflict = x->conflict };
	unsigned char b[REC_FIXED_LEN];

	fixed_pack(&h, b);
	fwrite(b, 1, sizeof(b), f);
	str_write(f, x->cid);
	str_write(f, x->ifname);
	str_write(f, x->ns);
	str_write(f, x->pod);
	str_write(f, x->uid);
	str_write(f, x->node);
	str_write(f, x->claim);
	str_write(f, x->at);
}

int ipamctl_rec_read(FILE *f, const struct ipam_conf *conf, struct rec *x)
{
	unsigned char b[REC_FIXED_LEN];
	struct rec_fixed h;
	int rc;

	*x = (struct rec){ 0 };
	if (fread(b, 1, sizeof(b), f) != sizeof(b))
		return -EIO;
	fixed_unpack(b, &h);
	if (h.range >= conf->n_ranges)
		return -EIO;
	*x = (struct rec){ .r = &conf->ranges[h.range],
			   .a = { .family = h.family, .v = h.v },
			   .off = h.off,
			   .held = h.held,
			   .conflict = h.conflict };
	rc = str_read(f, &x->cid);
	if (rc == 0)
		rc = str_read(f, &x->ifname);
	if (rc == 0)
		rc = str_read(f, &x->ns);
	if (rc == 0)
		rc = str_read(f, &x->pod);
	if (rc == 0)
		rc = str_read(f, &x->uid);
	if (rc == 0)
		rc = str_read(f, &x->node);
	if (rc == 0)
		rc = str_read(f, &x->claim);
	if (rc == 0)
		rc = str_read(f, &x->at);
	return rc;
}

void ipamctl_rec_clear(struct rec *x)
{
	free(x->cid);
	free(x->ifname);
	free(x->ns);
	free(x->pod);
	free(x->uid);
	free(x->node);
	free(x->claim);
	free(x->at);
	*x = (struct rec){ 0 };
}
