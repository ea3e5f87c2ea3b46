// SPDX-License-Identifier: Apache-2.0
/* plexusctl plan: the plugin's own select_plan for one pod, stopped
 * before anything is attached. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "annot.h"
#include "k8s.h"
#include "cni_env.h"
#include "cni_error.h"
#include "nadsrc.h"
#include "plan.h"
#include "plexus_conf.h"
#include "plexusctl.h"

struct plan_opts {
	const char *config, *nads, *kubeconfig, *pod, *ifname;
	enum ctl_format format;
};

struct plan_run {
	struct plan_opts o;
	struct plexus_conf *conf;
	json_object *pod;	 /* from a manifest, or NULL */
	char *pod_ns, *pod_name; /* what CNI_ARGS will say */
	struct nad_source *src;
	char source[600];
	struct cni_env env;
};

static void plan_usage(FILE *out)
{
	fprintf(out,
		"Usage: %s plan --config NODE.conf [--nads DIR | --kubeconfig "
		"FILE]\n"
		"              --pod POD.yaml|NAMESPACE/NAME [--ifname IF] "
		"[-o table|json|yaml]\n\n"
		"Runs plexus' select and plan code for the pod and prints "
		"what each delegate\nwould get; attaches nothing. --nads or "
		"--kubeconfig replace the node config's\nmanifestsDir/"
		"kubeconfig. Exit: 0 would attach, 1 would be refused, 2 "
		"usage.\n",
		ctl_prog);
}

static int __attribute__((format(printf, 1, 2))) usage_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s plan: ", ctl_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return CTL_EXIT_USAGE;
}

static int parse_opts(int argc, char *argv[], struct plan_opts *o)
{
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "nads", required_argument, NULL, 'n' },
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "pod", required_argument, NULL, 'p' },
		{ "ifname", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	o->ifname = "eth0";
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:n:k:p:i:o:h", longs, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'n':
			o->nads = optarg;
			break;
		case 'k':
			o->kubeconfig = optarg;
			break;
		case 'p':
			o->pod = optarg;
			break;
		case 'i':
			o->ifname = optarg;
			break;
		case 'o':
			if (ctl_format_parse(optarg, &o->format))
				return usage_err("-o: \"%s\" is not table, "
						 "json or yaml",
						 optarg);
			break;
		case 'h':
			plan_usage(stdout);
			return -1;
		default:
			plan_usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_err("unexpected argument \"%s\"", argv[optind]);
	if (!o->config || !o->pod) {
		plan_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (o->nads && o->kubeconfig)
		return usage_err("%s", "give --nads or --kubeconfig, not both");
	return 0;
}

/* A pod as NAMESPACE/NAME (looked up in the source) when no such file
 * exists; otherwise a manifest. */
static int pod_arg(struct plan_run *p)
{
	const char *a = p->o.pod, *slash = strchr(a, '/');
	struct cni_err err = { 0 };
	const char *ns;

	if (access(a, F_OK) != 0 && slash && !strchr(slash + 1, '/')) {
		p->pod_ns = strndup(a, (size_t)(slash - a));
		p->pod_name = strdup(slash + 1);
		if (!p->pod_ns || !p->pod_name)
			return usage_err("%s", "out of memory");
		if (!k8s_name_is_label(p->pod_ns) ||
		    !k8s_name_is_subdomain(p->pod_name))
			return usage_err("--pod \"%s\": not a file, nor a "
					 "NAMESPACE/NAME",
					 a);
		return 0;
	}
	if (ctl_pod_load(a, &p->pod, &err) < 0)
		return usage_err("--pod: %s", err.msg);
	ns = ctl_meta_str(p->pod, "namespace");
	p->pod_ns = strdup(ns ? ns : "default");
	p->pod_name = strdup(ctl_meta_str(p->pod, "name"));
	return p->pod_ns && p->pod_name ? 0 : usage_err("%s", "out of memory");
}

static bool dir_has_manifests(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	bool found = false;

	while (d && !found && (de = readdir(d)) != NULL) {
		const char *dot = strrchr(de->d_name, '.');

		found = de->d_name[0] != '.' && dot &&
			(!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") ||
			 !strcmp(dot, ".json"));
	}
	if (d)
		closedir(d);
	return found;
}

/* --nads / --kubeconfig, else what the node config names. */
static int open_source(struct plan_run *p, struct cni_err *err)
{
	const struct plexus_conf *c = p->conf;
	struct stat st;

	if (p->o.nads) {
		if (stat(p->o.nads, &st) || !S_ISDIR(st.st_mode))
			return usage_err("--nads \"%s\": not a directory",
					 p->o.nads);
		if (!dir_has_manifests(p->o.nads))
			fprintf(stderr,
				"%s plan: warning: %s holds no "
				"*.yaml, *.yml or *.json manifests\n",
				ctl_prog, p->o.nads);
		snprintf(p->source, sizeof(p->source), "manifests %s",
			 p->o.nads);
		return nadsrc_dir_open(p->o.nads, &p->src, err) ? -1 : 0;
	}
	if (p->o.kubeconfig) {
		if (access(p->o.kubeconfig, R_OK))
			return usage_err("--kubeconfig \"%s\": cannot read",
					 p->o.kubeconfig);
		snprintf(p->source, sizeof(p->source), "kubernetes %s",
			 p->o.kubeconfig);
		return nadsrc_k8s_open(p->o.kubeconfig, 0, &p->src, err) ? -1
									 : 0;
	}
	if (c->manifests_dir && *c->manifests_dir)
		snprintf(p->source, sizeof(p->source), "manifests %s",
			 c->manifests_dir);
	else if (c->kubeconfig)
		snprintf(p->source, sizeof(p->source), "kubernetes %s",
			 *c->kubeconfig ? c->kubeconfig : "(in-cluster)");
	else
		snprintf(p->source, sizeof(p->source),
			 "none: the node config's delegates/clusterNetwork");
	return nad_source_open(c, 0, &p->src, err) ? -1 : 0;
}

/* The pod from a manifest goes in front of the source. */
static int wrap_pod(struct plan_run *p, struct cni_err *err)
{
	if (!p->pod)
		return 0;
	if (!p->src) {
		fprintf(stderr,
			"%s plan: note: the node config names no "
			"manifestsDir or kubeconfig, so plexus does not read "
			"the pod's annotations\n",
			ctl_prog);
		return 0;
	}
	return ctl_podsrc_open(p->pod, p->src, &p->src, err) ? -1 : 0;
}

/* The environment a CRI runtime gives the plugin for this pod. */
static int make_env(struct plan_run *p, struct cni_err *err)
{
	const char *uid = p->pod ? ctl_meta_str(p->pod, "uid") : NULL;
	char args[1024], ifname[64];
	char *envp[] = { "CNI_COMMAND=ADD",
			 "CNI_CONTAINERID=plexusctl-plan",
			 "CNI_NETNS=/var/run/netns/plexusctl-plan",
			 ifname,
			 args,
			 "CNI_PATH=",
			 NULL };

	snprintf(ifname, sizeof(ifname), "CNI_IFNAME=%s", p->o.ifname);
	snprintf(args, sizeof(args),
		 "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=%s;"
		 "K8S_POD_NAME=%s;K8S_POD_INFRA_CONTAINER_ID=plexusctl-plan%s%"
		 "s",
		 p->pod_ns, p->pod_name, uid ? ";K8S_POD_UID=" : "",
		 uid ? uid : "");
	return cni_env_load(&p->env, envp, err);
}

static void print_view(json_object *view, enum ctl_format f)
{
	if (f == CTL_OUT_JSON)
		printf("%s\n",
		       json_object_to_json_string_ext(
			       view, JSON_C_TO_STRING_PRETTY |
					     JSON_C_TO_STRING_SPACED |
					     JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (f == CTL_OUT_YAML)
		ctl_yaml_emit(view, stdout);
	else
		ctl_table_print(view, stdout);
}

/* Plan and print: 0 would attach, 1 refused. */
static int plan_print(struct plan_run *p)
{
	struct ctl_pod_info info = {
		.ns = p->pod_ns,
		.name = p->pod_name,
		.uid = p->pod ? ctl_meta_str(p->pod, "uid") : NULL,
		.source = p->source,
		.ipam = ctl_ipam_new(),
	};
	json_object *view = NULL;
	int r = CTL_EXIT_REFUSED;

	if (info.ipam)
		r = ctl_plan_run(p->conf, &p->env, p->src, &info, &view);
	if (view)
		print_view(view, p->o.format);
	json_object_put(view);
	ctl_ipam_free(info.ipam);
	return r;
}

static int plan_steps(struct plan_run *p, struct cni_err *err)
{
	int r = pod_arg(p);

	if (r)
		return r;
	r = ctl_node_conf_load(p->o.config, &p->conf, err);
	if (r < 0) {
		/* not a readable plexus config at all: the wrong file */
		if (r == -EMEDIUMTYPE || err->code == CNI_ERR_IO ||
		    err->code == CNI_ERR_DECODE)
			return usage_err("--config: %s", err->msg);
		return -1; /* the plugin refuses every pod so */
	}
	r = open_source(p, err);
	if (r == 0)
		r = wrap_pod(p, err);
	if (r)
		return r;
	if (!p->pod && !p->src)
		return usage_err("--pod %s: a NAMESPACE/NAME needs a NAD "
				 "source "
				 "(--nads, --kubeconfig, or manifestsDir/"
				 "kubeconfig in the node config)",
				 p->o.pod);
	if (make_env(p, err) < 0)
		return usage_err("%s", err->msg);
	return plan_print(p);
}

int ctl_plan_main(int argc, char *argv[])
{
	struct plan_run p = { 0 };
	struct cni_err err = { 0 };
	int r = parse_opts(argc, argv, &p.o);

	if (r)
		return r < 0 ? CTL_EXIT_OK : r;
	r = plan_steps(&p, &err);
	if (r < 0) { /* refused before planning: same output shape */
		struct ctl_pod_info info = { .ns = p.pod_ns,
					     .name = p.pod_name,
					     .source = p.source };
		json_object *view = ctl_refusal_view(&info, &err);

		if (view)
			print_view(view, p.o.format);
		json_object_put(view);
		r = CTL_EXIT_REFUSED;
	}
	nad_source_free(p.src);
	plexus_conf_free(p.conf);
	json_object_put(p.pod);
	free(p.pod_ns);
	free(p.pod_name);
	cni_env_free(&p.env);
	return r;
}
