// SPDX-License-Identifier: Apache-2.0
/* Conflict detection: which attachments are probed, and the probe of an
 * ADD result's IPv4 addresses (dl_arp) from the pod's interface. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_conf.h"
#include "cni_deadline.h"
#include "cni_env.h"
#include "cni_error.h"
#include "cni_log.h"
#include "conflict.h"
#include "dl_arp.h"
#include "plan.h"

static bool is_true(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

bool conflict_enabled(const struct plexus_attachment *a)
{
	for (size_t i = 0; i < a->conf->n_plugins; i++) {
		json_object *ipam;
		const char *type;

		if (!json_object_object_get_ex(a->conf->plugins[i], "ipam",
					       &ipam))
			continue;
		type = str_of(ipam, "type");
		if (type && strcmp(type, "plexus-ipam") == 0 &&
		    is_true(ipam, "conflictDetection"))
			return true;
	}
	return false;
}

/* Does the plugin config hold args.cni.ips? */
static bool conf_ips(json_object *plugin)
{
	json_object *args, *cni;

	return json_object_object_get_ex(plugin, "args", &args) &&
	       json_object_object_get_ex(args, "cni", &cni) &&
	       json_object_object_get_ex(cni, "ips", NULL);
}

bool conflict_requested(const struct plexus_attachment *a, const char *args)
{
	struct cni_kv *kv = NULL;
	bool ip = false;
	size_t n = 0;

	if (a->args_ip || a->ipam_claim ||
	    (a->runtime_config &&
	     json_object_object_get_ex(a->runtime_config, "ips", NULL)))
		return true;
	for (size_t i = 0; i < a->conf->n_plugins; i++)
		if (conf_ips(a->conf->plugins[i]))
			return true;
	if (args && cni_args_parse(args, &kv, &n, NULL) == 0)
		for (size_t i = 0; i < n; i++)
			ip = ip || (strcmp(kv[i].key, "IP") == 0 && *kv[i].val);
	cni_kv_free(kv, n);
	return ip;
}

/* The IPv4 address of an "ips" entry ("10.1.0.5/24"): 1, else 0. */
static int ipv4_of(json_object *ip, char *buf, size_t size, uint32_t *ret)
{
	const char *s = str_of(ip, "address");
	struct in_addr in;

	if (!s || strchr(s, ':') || strcspn(s, "/") >= size)
		return 0;
	snprintf(buf, size, "%.*s", (int)strcspn(s, "/"), s);
	if (inet_pton(AF_INET, buf, &in) != 1)
		return 0;
	*ret = in.s_addr;
	return 1;
}

/* Probe one address; on a conflict append it to m and who. */
static int probe_one(const char *netns, const struct plexus_attachment *a,
		     const char *s, uint32_t ip, FILE *m, char *who,
		     size_t who_size, struct cni_err *err)
{
	uint8_t mac[6];
	double t0 = cni_now_msf();
	int r = dl_arp_probe(netns, a->ifname, ip, mac, err);
	size_t l = strlen(who);

	cni_log(CNI_LOG_VERBOSE,
		"network \"%s\" (%s): ARP probe of %s: %s (%.1f ms)",
		a->network, a->ifname, s,
		r == -EOPNOTSUPP ? "not probed: the link does not use ARP"
		: r < 0		 ? "failed"
		: r == 1	 ? "answered: in use"
				 : "no answer",
		cni_now_msf() - t0);
	if (r == -EOPNOTSUPP)
		return 0;
	if (r < 0) {
		cni_err_prefix(err, "network \"%s\" (%s)", a->network,
			       a->ifname);
		return r;
	}
	if (r == 0)
		return 0;
	fprintf(m, "%s%s", ftell(m) > 0 ? "," : "", s);
	snprintf(who + l, who_size - l,
		 "%s%s (MAC %02x:%02x:%02x:%02x:%02x:%02x)", l ? ", " : "", s,
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return 1;
}

int conflict_probe(const char *netns, const struct plexus_attachment *a,
		   json_object *result, char **ret_addrs, char *who,
		   size_t who_size, struct cni_err *err)
{
	json_object *ips;
	char *addrs = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&addrs, &len);
	int r = m ? 0 : -ENOMEM, found = 0;

	who[0] = '\0';
	if (!json_object_object_get_ex(result, "ips", &ips) ||
	    !json_object_is_type(ips, json_type_array))
		ips = NULL;
	for (size_t i = 0; r >= 0 && ips && i < json_object_array_length(ips);
	     i++) {
		char s[INET_ADDRSTRLEN];
		uint32_t ip;

		if (!ipv4_of(json_object_array_get_idx(ips, i), s, sizeof(s),
			     &ip))
			continue;
		r = probe_one(netns, a, s, ip, m, who, who_size, err);
		found += r == 1;
	}
	if (m && fclose(m) != 0 && r >= 0)
		r = -ENOMEM;
	if (r < 0 || !found) {
		free(addrs);
		return r < 0 ? r : 0;
	}
	*ret_addrs = addrs;
	return 1;
}
