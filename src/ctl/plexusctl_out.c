// SPDX-License-Identifier: Apache-2.0
/* Printing a plexusctl view: JSON (json-c), YAML (libyaml's emitter) or
 * a table for a person. All three read the same tree. */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "plexusctl.h"

int ctl_format_parse(const char *s, enum ctl_format *ret)
{
	if (!strcmp(s, "table"))
		*ret = CTL_OUT_TABLE;
	else if (!strcmp(s, "json"))
		*ret = CTL_OUT_JSON;
	else if (!strcmp(s, "yaml"))
		*ret = CTL_OUT_YAML;
	else
		return -EINVAL;
	return 0;
}

/* --- YAML --- */

/* Plain scalars a YAML 1.2 core (or 1.1) reader would not take as a
 * string: null, booleans (yes/no/on/off too), integers, floats. */
static const char ambiguous_re[] =
	"^(~|null|Null|NULL|true|True|TRUE|false|False|FALSE"
	"|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF"
	"|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
	"|[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"
	"|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$";

static bool needs_quotes(const char *s)
{
	static regex_t re;
	static int ready; /* 1 compiled, -1 failed */

	if (!*s)
		return true;
	if (!ready)
		ready = regcomp(&re, ambiguous_re, REG_EXTENDED | REG_NOSUB)
				? -1
				: 1;
	return ready < 0 || regexec(&re, s, 0, NULL, 0) == 0;
}

static int emit(yaml_emitter_t *em, yaml_event_t *ev)
{
	return yaml_emitter_emit(em, ev) ? 0 : -EIO;
}

static int emit_scalar(yaml_emitter_t *em, const char *s, bool is_str)
{
	yaml_event_t ev;
	yaml_scalar_style_t style = is_str && needs_quotes(s)
					    ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
					    : YAML_ANY_SCALAR_STYLE;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
					  (int)strlen(s), 1, 1, style))
		return -ENOMEM;
	return emit(em, &ev);
}

static int emit_node(yaml_emitter_t *em, json_object *o, int depth);

static int emit_map(yaml_emitter_t *em, json_object *o, int depth)
{
	yaml_event_t ev;
	int r;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
					    YAML_BLOCK_MAPPING_STYLE);
	r = emit(em, &ev);
	json_object_object_foreach (o, key, val) {
		if (r == 0)
			r = emit_scalar(em, key, true);
		if (r == 0)
			r = emit_node(em, val, depth + 1);
	}
	yaml_mapping_end_event_initialize(&ev);
	return r ? r : emit(em, &ev);
}

static int emit_seq(yaml_emitter_t *em, json_object *o, int depth)
{
	yaml_event_t ev;
	int r;

	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
					     YAML_BLOCK_SEQUENCE_STYLE);
	r = emit(em, &ev);
	for (size_t i = 0; r == 0 && i < json_object_array_length(o); i++)
		r = emit_node(em, json_object_array_get_idx(o, i), depth + 1);
	yaml_sequence_end_event_initialize(&ev);
	return r ? r : emit(em, &ev);
}

static int emit_node(yaml_emitter_t *em, json_object *o, int depth)
{
	if (depth > 128)
		return -ELOOP;
	switch (json_object_get_type(o)) {
	case json_type_object:
		return emit_map(em, o, depth);
	case json_type_array:
		return emit_seq(em, o, depth);
	case json_type_string:
		return emit_scalar(em, json_object_get_string(o), true);
	case json_type_null:
		return emit_scalar(em, "null", false);
	default: /* numbers and booleans as JSON writes them */
		return emit_scalar(em, json_object_to_json_string(o), false);
	}
}

int ctl_yaml_emit(json_object *doc, FILE *out)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int r;

	if (!yaml_emitter_initialize(&em))
		return -ENOMEM;
	yaml_emitter_set_output_file(&em, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, CTL_TABLE_WIDTH);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	r = emit(&em, &ev);
	if (r == 0) {
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
		r = emit(&em, &ev);
	}
	if (r == 0)
		r = emit_node(&em, doc, 0);
	if (r == 0) {
		yaml_document_end_event_initialize(&ev, 1);
		r = emit(&em, &ev);
	}
	if (r == 0) {
		yaml_stream_end_event_initialize(&ev);
		r = emit(&em, &ev);
	}
	yaml_emitter_delete(&em);
	return r;
}

/* --- table --- */

#define KEY_COL 4
#define VAL_COL 21

static const char *jstr(json_object *o, const char *key, const char *dflt)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return dflt;
	return json_object_get_string(v);
}

/* "    key          value", value wrapped at CTL_TABLE_WIDTH (after a
 * ',' or ' ' when one is near the edge). */
static void kv(FILE *out, const char *key, const char *val)
{
	size_t width = CTL_TABLE_WIDTH - VAL_COL, len = strlen(val);

	fprintf(out, "%*s%-*s", KEY_COL, "", VAL_COL - KEY_COL, key);
	while (len > width) {
		size_t cut = width;

		for (size_t i = width; i > width - 24; i--)
			if (val[i - 1] == ',' || val[i - 1] == ' ') {
				cut = i;
				break;
			}
		fprintf(out, "%.*s\n%*s", (int)cut, val, VAL_COL, "");
		val += cut;
		len -= cut;
	}
	fprintf(out, "%s\n", val);
}

static const char *json_or_dash(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v ||
	    (json_object_is_type(v, json_type_object) &&
	     json_object_object_length(v) == 0))
		return "-";
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return json_object_to_json_string_ext(
		v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* "a, b" from a list of strings into buf */
static void join(json_object *list, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(list) && used < len;
	     i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 json_object_get_string(
					 json_object_array_get_idx(list, i)));
}

static void caps_line(FILE *out, json_object *att)
{
	json_object *caps;
	char buf[1024], names[256];
	size_t used = 0;

	json_object_object_get_ex(att, "capabilities", &caps);
	buf[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(caps); i++) {
		json_object *c = json_object_array_get_idx(caps, i), *pl;

		json_object_object_get_ex(c, "plugins", &pl);
		join(pl, names, sizeof(names));
		if (used < sizeof(buf))
			used += snprintf(
				buf + used, sizeof(buf) - used, "%s%s -> %s",
				i ? "; " : "", jstr(c, "capability", "?"),
				names[0] ? names : "(no plugin: not passed)");
	}
	kv(out, "capabilities", buf[0] ? buf : "-");
}

/* "bridge (runtimeConfig: ips, mac), portmap" */
static void delegates_line(FILE *out, json_object *att)
{
	json_object *dels;
	char buf[1024];
	size_t used = 0;

	json_object_object_get_ex(att, "delegates", &dels);
	buf[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(dels); i++) {
		json_object *d = json_object_array_get_idx(dels, i), *in, *rt;
		char keys[256] = "";
		size_t k = 0;

		if (json_object_object_get_ex(d, "stdin", &in) &&
		    json_object_object_get_ex(in, "runtimeConfig", &rt)) {
			json_object_object_foreach (rt, key, v) {
				(void)v;
				if (k < sizeof(keys))
					k += snprintf(keys + k,
						      sizeof(keys) - k, "%s%s",
						      k ? ", " : "", key);
			}
		}
		if (used < sizeof(buf))
			used += snprintf(buf + used, sizeof(buf) - used,
					 "%s%s%s%s%s", i ? ", " : "",
					 jstr(d, "type", "?"),
					 keys[0] ? " (runtimeConfig: " : "",
					 keys, keys[0] ? ")" : "");
	}
	kv(out, "delegates", buf);
}

/* "10.1.0.7 (how); ..." from every plugin's ipamPreview; nothing when
 * no plugin uses plexus-ipam */
static void ipam_line(FILE *out, json_object *att)
{
	json_object *dels, *pv;
	char buf[2048];
	size_t used = 0;

	buf[0] = '\0';
	json_object_object_get_ex(att, "delegates", &dels);
	for (size_t i = 0; i < json_object_array_length(dels); i++) {
		if (!json_object_object_get_ex(
			    json_object_array_get_idx(dels, i), "ipamPreview",
			    &pv))
			continue;
		for (size_t j = 0; j < json_object_array_length(pv); j++) {
			json_object *e = json_object_array_get_idx(pv, j);
			const char *error = jstr(e, "error", NULL);

			if (used >= sizeof(buf))
				break;
			if (error)
				used += snprintf(buf + used, sizeof(buf) - used,
						 "%serror: %s",
						 used ? "; " : "", error);
			else
				used += snprintf(buf + used, sizeof(buf) - used,
						 "%s%s (%s)", used ? "; " : "",
						 jstr(e, "address", "-"),
						 jstr(e, "how", ""));
		}
	}
	if (buf[0])
		kv(out, "plexus-ipam", buf);
}

/* The attachment's own table under policy routing, when it has one:
 * "table 1001, rule priority 1000, iif net1 at 1001; routes 10.83.0.0/24
 * via ...". */
static void policy_line(FILE *out, json_object *att)
{
	json_object *pr, *v, *rts = NULL;
	char buf[2048];
	size_t used;

	if (!json_object_object_get_ex(att, "policyRouting", &pr))
		return;
	used = (size_t)snprintf(
		buf, sizeof(buf), "table %lld, rule priority %lld",
		json_object_object_get_ex(pr, "table", &v)
			? (long long)json_object_get_int64(v)
			: 0LL,
		json_object_object_get_ex(pr, "rulePriority", &v)
			? (long long)json_object_get_int64(v)
			: 0LL);
	if (json_object_object_get_ex(pr, "iifPriority", &v) &&
	    used < sizeof(buf))
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
					 ", iif %s at %lld",
					 jstr(att, "interface", "?"),
					 (long long)json_object_get_int64(v));
	if (!json_object_object_get_ex(pr, "routes", &rts) ||
	    !json_object_is_type(rts, json_type_array))
		rts = NULL;
	for (size_t j = 0; rts && j < json_object_array_length(rts); j++) {
		json_object *rt = json_object_array_get_idx(rts, j);

		if (used >= sizeof(buf))
			break;
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
					 "%s%s via %s", j ? ", " : "; routes ",
					 jstr(rt, "dst", "?"),
					 jstr(rt, "gw", "?"));
	}
	kv(out, "policy-routing", buf);
}

static void att_details(FILE *out, size_t i, json_object *att)
{
	fprintf(out, "\n[%zu] %s -> %s\n", i, jstr(att, "network", "?"),
		jstr(att, "interface", "?"));
	kv(out, "source", jstr(att, "source", "-"));
	delegates_line(out, att);
	kv(out, "runtimeConfig", json_or_dash(att, "runtimeConfig"));
	kv(out, "cni-args", json_or_dash(att, "cniArgs"));
	caps_line(out, att);
	kv(out, "deviceID", json_or_dash(att, "deviceID"));
	kv(out, "default-route", json_or_dash(att, "defaultRoute"));
	kv(out, "isolation", jstr(att, "namespaceIsolation", "-"));
	policy_line(out, att);
	ipam_line(out, att);
}

static void summary_row(FILE *out, size_t i, json_object *att)
{
	json_object *pl, *def;
	char plugins[256];

	json_object_object_get_ex(att, "plugins", &pl);
	json_object_object_get_ex(att, "default", &def);
	join(pl, plugins, sizeof(plugins));
	fprintf(out, "%-3zu %-36.36s %-15.15s %-7s %.36s\n", i,
		jstr(att, "network", "?"), jstr(att, "interface", "?"),
		json_object_get_boolean(def) ? "yes" : "no", plugins);
}

/* "parallel ADD: yes, groups [0 1 3] then [2]" or "no". */
static void parallel_line(FILE *out, json_object *view)
{
	json_object *pa, *groups;
	char buf[1024] = "";
	size_t used = 0;

	if (!json_object_object_get_ex(view, "parallelAttach", &pa))
		return;
	if (!json_object_get_boolean(json_object_object_get(pa, "parallel")) ||
	    !json_object_object_get_ex(pa, "groups", &groups)) {
		fprintf(out, "parallel ADD: no (one network after the "
			     "other)\n");
		return;
	}
	for (size_t w = 0; w < json_object_array_length(groups); w++) {
		json_object *g = json_object_array_get_idx(groups, w);

		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s[",
					 w ? " then " : "");
		for (size_t i = 0;
		     i < json_object_array_length(g) && used < sizeof(buf); i++)
			used += (size_t)snprintf(
				buf + used, sizeof(buf) - used, "%s%s",
				i ? " " : "",
				json_object_get_string(
					json_object_array_get_idx(g, i)));
		if (used < sizeof(buf))
			used += (size_t)snprintf(buf + used, sizeof(buf) - used,
						 "]");
		if (used >= sizeof(buf))
			break;
	}
	fprintf(out, "parallel ADD: yes, groups %s\n", buf);
}

void ctl_table_print(json_object *view, FILE *out)
{
	json_object *pod = NULL, *list, *ref;

	json_object_object_get_ex(view, "pod", &pod);
	fprintf(out, "pod %s/%s  uid %s\nsource %s\n",
		jstr(pod, "namespace", "-"), jstr(pod, "name", "-"),
		jstr(pod, "uid", "-"), jstr(view, "source", "-"));
	if (json_object_object_get_ex(view, "refused", &ref)) {
		fprintf(out,
			"\nREFUSED: the plugin would fail the ADD with "
			"CNI error %d:\n%s\n",
			json_object_get_int(json_object_object_get(ref, "cod"
									"e")),
			jstr(ref, "msg", ""));
		return;
	}
	if (!json_object_object_get_ex(view, "attachments", &list))
		return;
	parallel_line(out, view);
	fprintf(out, "\n%-3s %-36s %-15s %-7s %s\n", "#", "NETWORK",
		"INTERFACE", "DEFAULT", "PLUGINS");
	for (size_t i = 0; i < json_object_array_length(list); i++)
		summary_row(out, i, json_object_array_get_idx(list, i));
	for (size_t i = 0; i < json_object_array_length(list); i++)
		att_details(out, i, json_object_array_get_idx(list, i));
}
