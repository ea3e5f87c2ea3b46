/* SPDX-License-Identifier: Apache-2.0 */
/* plexusctl-ipam: `plexusctl ipam` on its own, for the system suites,
 * until plexusctl's command table has it (argv as the table passes it:
 * argv[0] "ipam"). */
#include "plexusctl_ipam.h"

int main(int argc, char **argv)
{
	argv[0] = "ipam";
	return plexusctl_ipam(argc, argv);
}
