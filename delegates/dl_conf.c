/* SPDX-License-Identifier: Apache-2.0 */
/* Config helpers shared by the native delegates: refused keys, common
 * keys, MAC and prefix parsing. Pure functions, no I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "cni_env.h"
#include "cni_error.h"
#include "cni_json.h"
#include "dl.h"

static bool refused(json_object *v, enum dl_refuse_unless unless)
{
	switch (unless) {
	case DL_REFUSE_ALWAYS:
		return true;
	case DL_REFUSE_UNLESS_FALSE:
		return !json_object_is_type(v, json_type_boolean) ||
		       json_object_get_boolean(v);
	case DL_REFUSE_UNLESS_TRUE:
		return !json_object_is_type(v, json_type_boolean) ||
		       !json_object_get_boolean(v);
	case DL_REFUSE_UNLESS_ZERO:
		return !json_object_is_type(v, json_type_int) ||
		       json_object_get_int64(v) != 0;
	}
	return true;
}

int dl_conf_refuse(json_object *conf, const char *plugin,
		   const struct dl_refused *keys, size_t n, struct cni_err *err)
{
	json_object *v;

	for (size_t i = 0; i < n; i++) {
		if (!json_object_object_get_ex(conf, keys[i].key, &v) || !v)
			continue;
		if (refused(v, keys[i].unless))
			return cni_errf(err, CNI_ERR_UNSUPPORTED_FIELD,
					"%s: \"%s\": %.64s is not "
					"supported%s%s",
					plugin, keys[i].key,
					json_object_to_json_string(v),
					keys[i].why ? ": " : "",
					keys[i].why ? keys[i].why : "");
	}
	return 0;
}

/* runtimeConfig.mac wins over args.cni.mac, as in the reference plugins. */
static int conf_mac(json_object *conf, const char *plugin, bool allow,
		    struct dl_common *c, struct cni_err *err)
{
	json_object *rt = NULL, *args = NULL, *cni = NULL, *v = NULL;
	const char *field = "runtimeConfig.mac";

	if (json_object_object_get_ex(conf, "runtimeConfig", &rt))
		json_object_object_get_ex(rt, "mac", &v);
	if (!v && json_object_object_get_ex(conf, "args", &args) &&
	    json_object_object_get_ex(args, "cni", &cni)) {
		json_object_object_get_ex(cni, "mac", &v);
		field = "args.cni.mac";
	}
	if (!v)
		return 0;
	if (!allow)
		return cni_errf(err, CNI_ERR_UNSUPPORTED_FIELD,
				"%s: \"%s\" is not supported", plugin, field);
	if (!json_object_is_type(v, json_type_string) ||
	    dl_mac_parse(json_object_get_string(v), c->mac) < 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: \"%s\": %.64s is not a MAC address",
				plugin, field, json_object_to_json_string(v));
	c->has_mac = true;
	return 0;
}

int dl_conf_common(json_object *conf, const char *plugin, bool allow_mac,
		   struct dl_common *ret, struct cni_err *err)
{
	struct dl_common c = { 0 };
	json_object *ipam;
	int64_t mtu;
	int r;

	if (json_object_object_get_ex(conf, "ipam", &ipam) &&
	    json_object_is_type(ipam, json_type_object)) {
		r = cni_json_get_string(ipam, "type", "ipam.type", &c.ipam_type,
					err);
		if (r < 0 && r != -ENOENT)
			return r;
		if (c.ipam_type && !*c.ipam_type)
			c.ipam_type = NULL;
	}
	r = cni_json_get_int(conf, "mtu", "mtu", &mtu, err);
	if (r == 0 && (mtu < 0 || mtu > 65535))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: \"mtu\": %lld is out of range 0..65535",
				plugin, (long long)mtu);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0)
		c.mtu = (unsigned int)mtu;
	r = conf_mac(conf, plugin, allow_mac, &c, err);
	if (r < 0)
		return r;
	*ret = c;
	return 0;
}

int dl_conf_ifname(json_object *conf, const char *key, const char *plugin,
		   const char **ret, struct cni_err *err)
{
	const char *s;
	char field[64];
	int r = cni_json_get_string(conf, key, key, &s, err);

	if (r < 0)
		return r;
	snprintf(field, sizeof(field), "%s: \"%s\"", plugin, key);
	r = cni_ifname_check(s, field, CNI_ERR_INVALID_CONFIG, err);
	if (r < 0)
		return r;
	*ret = s;
	return 0;
}

int dl_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (!s || strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (s[i * 3] == ' ' || s[i * 3] == '+' || s[i * 3] == '-' ||
		    (i < 5 && s[i * 3 + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

void dl_mac_format(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}

int dl_ip_parse(const char *s, struct nl_prefix *ret)
{
	struct nl_prefix p = { 0 };

	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, p.addr) == 1) {
		p.family = AF_INET;
		p.len = 32;
	} else if (inet_pton(AF_INET6, s, p.addr) == 1) {
		p.family = AF_INET6;
		p.len = 128;
	} else {
		return -EINVAL;
	}
	*ret = p;
	return 0;
}

int dl_prefix_parse(const char *s, struct nl_prefix *ret)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	struct nl_prefix p;
	long len;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash || !slash[1])
		return -EINVAL;
	*slash = '\0';
	if (dl_ip_parse(buf, &p) < 0)
		return -EINVAL;
	len = strtol(slash + 1, &end, 10);
	if (*end || len < 0 || len > p.len || slash[1] == '-' ||
	    slash[1] == '+')
		return -EINVAL;
	p.len = (int)len;
	*ret = p;
	return 0;
}

void dl_prefix_format(const struct nl_prefix *p, bool with_len, char *buf,
		      size_t n)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(p->family, p->addr, a, sizeof(a));
	if (with_len)
		snprintf(buf, n, "%s/%d", a, p->len);
	else
		snprintf(buf, n, "%s", a);
}

bool dl_prefix_contains(const struct nl_prefix *a, const struct nl_prefix *b)
{
	int full = a->len / 8, rest = a->len % 8;

	if (a->family != b->family)
		return false;
	if (memcmp(a->addr, b->addr, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a->addr[full] ^ b->addr[full]) & (0xff << (8 - rest))) == 0;
}
