/* SPDX-License-Identifier: Apache-2.0 */
/* plexus-sriov: config (the SR-IOV CNI plugin's keys) and finding a VF in
 * sysfs. No netlink here. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/if_link.h>

#include "cni_error.h"
#include "cni_json.h"
#include "kinds.h"

#define PLUGIN "plexus-sriov"

static const struct dl_refused sriov_refused[] = {
	{ "logLevel", DL_REFUSE_ALWAYS, "plexus delegates do not log" },
	{ "logFile", DL_REFUSE_ALWAYS, "plexus delegates do not log" },
};

/* "0000:03:02.1": domain:bus:device.function, lower-case hex. */
static bool pci_addr_valid(const char *s)
{
	static const char shape[] = "xxxx:xx:xx.x";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'x' ? !isxdigit((unsigned char)s[i])
				    : s[i] != shape[i])
			return false;
	return s[11] >= '0' && s[11] <= '7';
}

static int opt_int(json_object *conf, const char *key, int lo, int hi, int *ret,
		   struct cni_err *err)
{
	int64_t v;
	int r = cni_json_get_int(conf, key, key, &v, err);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (v < lo || v > hi)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"%s\": %lld is out of range %d..%d",
				key, (long long)v, lo, hi);
	*ret = (int)v;
	return 0;
}

/* A string key with a fixed set of values, mapped to ints. */
static int opt_enum(json_object *conf, const char *key,
		    const char *const *names, const int *vals, size_t n,
		    int *ret, struct cni_err *err)
{
	const char *s;
	int r = cni_json_get_string(conf, key, key, &s, err);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, names[i])) {
			*ret = vals[i];
			return 0;
		}
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			PLUGIN ": \"%s\": unknown value \"%.32s\"", key, s);
}

static int conf_device_id(json_object *conf, struct sriov_conf *s,
			  struct cni_err *err)
{
	json_object *rt;
	int r = -ENOENT;

	if (json_object_object_get_ex(conf, "runtimeConfig", &rt))
		r = cni_json_get_string(rt, "deviceID",
					"runtimeConfig.deviceID", &s->device_id,
					err);
	if (r == -ENOENT)
		r = cni_json_get_string(conf, "deviceID", "deviceID",
					&s->device_id, err);
	if (r == -ENOENT)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"deviceID\" missing (the VF's PCI "
				       "address)");
	if (r == 0 && !pci_addr_valid(s->device_id))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"deviceID\": \"%.32s\" is not a PCI "
				       "address like 0000:03:02.1",
				s->device_id);
	return r;
}

/* "mac" is the VF's MAC; runtimeConfig.mac (dl_common) wins over it. */
static int conf_mac(json_object *conf, struct sriov_conf *s,
		    struct cni_err *err)
{
	const char *m;
	int r;

	if (s->c.has_mac)
		return 0;
	r = cni_json_get_string(conf, "mac", "mac", &m, err);
	if (r == -ENOENT)
		return 0;
	if (r == 0 && dl_mac_parse(m, s->c.mac) < 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"mac\": \"%.32s\" is not a MAC "
				       "address",
				m);
	s->c.has_mac = r == 0;
	return r;
}

static int conf_vlan(json_object *conf, struct sriov_conf *s,
		     struct cni_err *err)
{
	static const char *const pn[] = { "802.1q", "802.1Q", "802.1ad",
					  "802.1AD" };
	static const int pv[] = { 0x8100, 0x8100, 0x88a8, 0x88a8 };
	int proto = 0, r = opt_int(conf, "vlan", 0, 4094, &s->vlan, err);

	if (r == 0)
		r = opt_int(conf, "vlanQoS", 0, 7, &s->qos, err);
	if (r == 0)
		r = opt_enum(conf, "vlanProto", pn, pv, 4, &proto, err);
	if (r < 0)
		return r;
	s->vlan_proto = (uint16_t)proto;
	if (s->vlan < 0 && (s->qos >= 0 || proto))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"%s\" needs \"vlan\"",
				s->qos >= 0 ? "vlanQoS" : "vlanProto");
	if (s->vlan == 0 && (s->qos > 0 || proto == 0x88a8))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"%s\" needs a non-zero \"vlan\"",
				s->qos > 0 ? "vlanQoS" : "vlanProto");
	if (s->vlan >= 0 && s->qos < 0)
		s->qos = 0;
	if (s->vlan >= 0 && !s->vlan_proto)
		s->vlan_proto = 0x8100;
	return 0;
}

static int conf_vf_flags(json_object *conf, struct sriov_conf *s,
			 struct cni_err *err)
{
	static const char *const onoff[] = { "on", "off" };
	static const int onoff_v[] = { 1, 0 };
	static const char *const ls[] = { "auto", "enable", "disable" };
	static const int ls_v[] = { IFLA_VF_LINK_STATE_AUTO,
				    IFLA_VF_LINK_STATE_ENABLE,
				    IFLA_VF_LINK_STATE_DISABLE };
	int r = opt_enum(conf, "spoofchk", onoff, onoff_v, 2, &s->spoofchk,
			 err);

	if (r == 0)
		r = opt_enum(conf, "trust", onoff, onoff_v, 2, &s->trust, err);
	if (r == 0)
		r = opt_enum(conf, "link_state", ls, ls_v, 3, &s->link_state,
			     err);
	if (r == 0)
		r = opt_int(conf, "min_tx_rate", 0, INT_MAX, &s->min_tx_rate,
			    err);
	if (r == 0)
		r = opt_int(conf, "max_tx_rate", 0, INT_MAX, &s->max_tx_rate,
			    err);
	if (r == 0 && s->min_tx_rate > 0 && s->max_tx_rate > 0 &&
	    s->min_tx_rate > s->max_tx_rate)
		r = cni_errf(err, CNI_ERR_INVALID_CONFIG,
			     PLUGIN ": \"min_tx_rate\" %d is above "
				    "\"max_tx_rate\" %d",
			     s->min_tx_rate, s->max_tx_rate);
	return r;
}

int sriov_conf_parse(json_object *conf, struct sriov_conf *ret,
		     struct cni_err *err)
{
	struct sriov_conf s = { .vlan = -1,
				.qos = -1,
				.spoofchk = -1,
				.trust = -1,
				.link_state = -1,
				.min_tx_rate = -1,
				.max_tx_rate = -1 };
	int r = dl_conf_refuse(conf, PLUGIN, sriov_refused,
			       sizeof(sriov_refused) / sizeof(sriov_refused[0]),
			       err);

	if (r == 0)
		r = dl_conf_common(conf, PLUGIN, true, &s.c, err);
	if (r == 0 && s.c.mtu)
		r = cni_errf(err, CNI_ERR_UNSUPPORTED_FIELD,
			     PLUGIN ": \"mtu\" is not supported");
	if (r == 0)
		r = conf_device_id(conf, &s, err);
	if (r == 0)
		r = conf_mac(conf, &s, err);
	if (r == 0)
		r = conf_vlan(conf, &s, err);
	if (r == 0)
		r = conf_vf_flags(conf, &s, err);
	if (r < 0)
		return r;
	*ret = s;
	return 0;
}

/* ---- sysfs ---- */

/* The single entry of dir (a netdev name under .../net/). */
static int first_entry(const char *dir, char *buf, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = -ENOENT;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strlen(e->d_name) < n) {
			snprintf(buf, n, "%s", e->d_name);
			r = 0;
			break;
		}
	closedir(d);
	return r;
}

/* basename of the symlink target at path. */
static int link_base(const char *path, char *buf, size_t n)
{
	char target[PATH_MAX];
	ssize_t len = readlink(path, target, sizeof(target) - 1);
	const char *b;

	if (len < 0)
		return -errno;
	target[len] = '\0';
	b = strrchr(target, '/');
	b = b ? b + 1 : target;
	if (strlen(b) >= n)
		return -ENAMETOOLONG;
	memcpy(buf, b, strlen(b) + 1);
	return 0;
}

static int vf_index(const char *pfdir, const char *device_id)
{
	char path[PATH_MAX], base[64];

	for (int i = 0; i < 4096; i++) {
		if (snprintf(path, sizeof(path), "%s/virtfn%d", pfdir, i) >=
			    (int)sizeof(path) ||
		    link_base(path, base, sizeof(base)) < 0)
			return -ENOENT;
		if (!strcmp(base, device_id))
			return i;
	}
	return -ENOENT;
}

int sriov_vf_locate(const char *root, const char *device_id, bool need_netdev,
		    struct sriov_vf_loc *ret, struct cni_err *err)
{
	char vfdir[PATH_MAX], pfdir[PATH_MAX], path[PATH_MAX + 8];
	struct sriov_vf_loc l = { .vf = -1 };
	struct stat st;

	snprintf(vfdir, sizeof(vfdir), "%s/bus/pci/devices/%s", root,
		 device_id);
	if (stat(vfdir, &st) < 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"deviceID\": no PCI device %s",
				device_id);
	snprintf(path, sizeof(path), "%s/physfn", vfdir);
	if (link_base(path, l.pf_pci, sizeof(l.pf_pci)) < 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"deviceID\": %s is not a VF (no "
				       "physfn)",
				device_id);
	snprintf(pfdir, sizeof(pfdir), "%s/bus/pci/devices/%s", root, l.pf_pci);
	l.vf = vf_index(pfdir, device_id);
	snprintf(path, sizeof(path), "%s/net", pfdir);
	if (l.vf < 0 || first_entry(path, l.pf_netdev, sizeof(l.pf_netdev)))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"deviceID\": %s: its PF %s %s",
				device_id, l.pf_pci,
				l.vf < 0 ? "does not list it"
					 : "has no netdev");
	snprintf(path, sizeof(path), "%s/net", vfdir);
	if (first_entry(path, l.netdev, sizeof(l.netdev)) < 0 && need_netdev)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"deviceID\": VF %s has no netdev "
				       "(in use, or bound to a userspace "
				       "driver)",
				device_id);
	*ret = l;
	return 0;
}
