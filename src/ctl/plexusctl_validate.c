// SPDX-License-Identifier: Apache-2.0
/* plexusctl validate: NAD manifests, node configs and pods checked
 * before they reach a cluster. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cni_error.h"
#include "cni_json.h"
#include "plexus_conf.h"
#include "plexusctl.h"

static void validate_usage(FILE *out)
{
	fprintf(out,
		"Usage: %s validate [--cni-path DIR[:DIR...]] [--config "
		"NODE.conf] FILE|DIR...\n\n"
		"Checks NetworkAttachmentDefinitions, node configs (\"type\": "
		"\"plexus\"), CNI\nconfigs and pods' network annotations in "
		"YAML/JSON files (a DIR: its *.yaml,\n*.yml, *.json, *.conf, "
		"*.conflist): syntax, required fields, spec.config,\nplugin "
		"types on --cni-path, IPAM ranges (well-formed, no overlap "
		"between\nnetworks), and each NAD against the planner's "
		"metaPlugins "
		"and tenantPolicy\n(of --config; without it the defaults: no "
		"meta plugin as a NAD). Prints one\n\"FILE: FIELD: message\" "
		"per problem.\nExit: 0 valid, 1 invalid, 2 usage.\n",
		ctl_prog);
}

static bool checked_ext(const char *f)
{
	static const char *const exts[] = { ".yaml", ".yml", ".json", ".conf",
					    ".conflist" };
	const char *dot = strrchr(f, '.');

	for (size_t i = 0; dot && f[0] != '.' && i < 5; i++)
		if (!strcmp(dot, exts[i]))
			return true;
	return false;
}

static int check_file(struct ctl_check *c, const char *path)
{
	struct cni_err err = { 0 };
	size_t len;
	char *buf;

	if (cni_read_file(path, &buf, &len, &err) < 0) {
		fprintf(stderr, "%s validate: %s\n", ctl_prog, err.msg);
		return -1;
	}
	ctl_check_buf(c, path, buf, len);
	free(buf);
	return 1;
}

/* Returns the number of files checked, or -1 when one is unreadable.
 * Folders are walked (8 levels at most), files in name order. */
static int check_path(struct ctl_check *c, const char *path, int depth)
{
	struct dirent **ents;
	struct stat st;
	int n, files = 0;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return depth == 0 || checked_ext(path) ? check_file(c, path)
						       : 0;
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s validate: %s: cannot list\n", ctl_prog,
			path);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char *f = NULL;

		if (files >= 0 && ents[i]->d_name[0] != '.' && depth < 8 &&
		    asprintf(&f, "%s/%s", path, ents[i]->d_name) >= 0) {
			int r = check_path(c, f, depth + 1);

			files = r < 0 ? -1 : files + r;
		}
		free(f);
		free(ents[i]);
	}
	free(ents);
	return files;
}

/* --config: the node config whose rules judge the NADs. */
static int node_load(const char *path, struct plexus_conf **ret)
{
	struct cni_err err = { 0 };
	int r = ctl_node_conf_load(path, ret, &err);

	if (r == -EMEDIUMTYPE)
		fprintf(stderr,
			"%s validate: --config %s: not a plexus config\n",
			ctl_prog, path);
	else if (r < 0)
		fprintf(stderr, "%s validate: --config %s: %s\n", ctl_prog,
			path, err.msg);
	return r;
}

int ctl_validate_main(int argc, char *argv[])
{
	static const struct option longs[] = {
		{ "cni-path", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *cni_path = NULL, *config = NULL;
	struct plexus_conf *node = NULL;
	struct ctl_check *c;
	int opt, files = 0, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "p:c:h", longs, NULL)) != -1) {
		if (opt == 'p') {
			cni_path = optarg;
		} else if (opt == 'c') {
			config = optarg;
		} else if (opt == 'h') {
			validate_usage(stdout);
			return CTL_EXIT_OK;
		} else {
			validate_usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		validate_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (config && node_load(config, &node))
		return CTL_EXIT_USAGE;
	c = ctl_check_new(cni_path);
	if (!c) {
		plexus_conf_free(node);
		return CTL_EXIT_USAGE;
	}
	ctl_check_set_node(c, node);
	for (int i = optind; files >= 0 && i < argc; i++) {
		int r = check_path(c, argv[i], 0);

		files = r < 0 ? -1 : files + r;
	}
	if (files < 0) {
		ctl_check_free(c);
		plexus_conf_free(node);
		return CTL_EXIT_USAGE;
	}
	ctl_check_finish(c);
	for (size_t i = 0; i < ctl_check_count(c); i++)
		printf("%s\n", ctl_check_problem(c, i));
	fprintf(stderr,
		"%s validate: %d file(s), %zu document(s) checked, "
		"%zu problem(s)\n",
		ctl_prog, files, ctl_check_docs(c), ctl_check_count(c));
	rc = ctl_check_count(c) ? CTL_EXIT_REFUSED : CTL_EXIT_OK;
	if (files == 0) {
		fprintf(stderr, "%s validate: no file to check\n", ctl_prog);
		rc = CTL_EXIT_USAGE;
	}
	ctl_check_free(c);
	plexus_conf_free(node);
	return rc;
}
