/* A stand-in for a cmocka binary in TAP mode, for the runner's self-test
 * (tests/runner/selftest.sh): prints "1..3" and up to three "ok" lines,
 * failing in the way argv[1] names. Built with and without the sanitizers
 * by the self-test itself. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int sink;

static void ok(int n)
{
	printf("ok %d - test_fake_%d\n", n, n);
	fflush(stdout);
}

static void heap_overflow(void)
{
	char *p = malloc(8);
	volatile int i = 8;

	if (!p)
		exit(2);
	p[i] = 1; /* one past the end */
	sink = p[0];
	free(p);
}

static void signed_overflow(void)
{
	volatile int big = INT_MAX;

	sink = big + 1;
}

static void leak(void)
{
	char *p = malloc(64);

	if (p)
		memset(p, 1, 64);
	p = NULL; /* the only pointer is gone: a definite leak */
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "clean";

	if (strcmp(mode, "errleak") == 0) {
		/* an error path: the CNI error JSON, a leak, exit 1 */
		leak();
		printf("{\"cniVersion\":\"1.1.0\",\"code\":7,\"msg\":\"bad\"}"
		       "\n");
		fflush(stdout);
		return 1;
	}
	printf("1..3\n");
	ok(1);
	if (strcmp(mode, "crash") == 0)
		raise(SIGSEGV);
	if (strcmp(mode, "overflow") == 0)
		heap_overflow();
	if (strcmp(mode, "ubsan") == 0)
		signed_overflow();
	ok(2);
	if (strcmp(mode, "short") == 0)
		return 0;
	ok(3);
	if (strcmp(mode, "leak") == 0)
		leak();
	if (strcmp(mode, "exit1") == 0)
		return 1;
	return 0;
}
