// SPDX-License-Identifier: Apache-2.0
/* plexusctl: the plexus command line. One file per subcommand, found by
 * name in the table below; the usage text is printed from the same
 * table. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "plexusctl.h"
#include "plexusctl_ipam.h"

const char *ctl_prog = "plexusctl";

static const struct ctl_cmd ctl_cmds[] = {
	{ "plan", ctl_plan_main,
	  "show the networks a pod would get, without attaching anything" },
	{ "validate", ctl_validate_main,
	  "check NAD manifests and node configs" },
	{ "ipam", plexusctl_ipam,
	  "IPAM pools and allocations (ls), one address (show, release); "
	  "release gone pods' (gc); keep addresses out (reserve, "
	  "unreserve); IPAMClaims (claims)" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: %s <command> [options]\n\nCommands:\n", ctl_prog);
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		fprintf(out, "  %-10s %s\n", ctl_cmds[i].name,
			ctl_cmds[i].help);
	fprintf(out,
		"\n'%s <command> --help' shows a command's options.\n"
		"Exit codes: 0 ok, 1 refused or invalid, 2 usage error.\n",
		ctl_prog);
}

int main(int argc, char *argv[])
{
	const char *slash = argc > 0 ? strrchr(argv[0], '/') : NULL;

	signal(SIGPIPE, SIG_IGN);
	if (argc > 0)
		ctl_prog = slash ? slash + 1 : argv[0];
	if (argc < 2) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(stdout);
		return CTL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (!strcmp(argv[1], ctl_cmds[i].name))
			return ctl_cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command \"%s\"\n", ctl_prog, argv[1]);
	usage(stderr);
	return CTL_EXIT_USAGE;
}
