// SPDX-License-Identifier: Apache-2.0
/* Command-level logging: stderr or a log file, with levels. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cni_log.h"

static struct {
	FILE *out;
	enum cni_log_level level;
	char tag[32];
} log_state = { NULL, CNI_LOG_ERROR, "plexus" };

int cni_log_level_parse(const char *s, enum cni_log_level *ret)
{
	static const char *const names[] = { "panic", "error", "verbose",
					     "debug" };

	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*ret = (enum cni_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

int cni_log_open(const char *path, enum cni_log_level level, const char *tag)
{
	int fd;

	cni_log_close();
	log_state.level = level;
	if (tag)
		snprintf(log_state.tag, sizeof(log_state.tag), "%s", tag);
	if (!path || !*path)
		return 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	log_state.out = fdopen(fd, "a");
	if (!log_state.out) {
		close(fd);
		return -errno;
	}
	return 0;
}

void cni_log_close(void)
{
	if (log_state.out)
		fclose(log_state.out);
	log_state.out = NULL;
}

/* One log line per call: control characters (a newline in a NAD's name
 * or in a plugin's message) are written as \n, \r, \t or \xHH, and a
 * backslash as \\, so nobody can forge or split a line. */
static void put_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\')
			fputs("\\\\", out);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

void cni_log(enum cni_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "panic", "error", "verbose",
					     "debug" };
	FILE *out = log_state.out ? log_state.out : stderr;
	struct timeval tv;
	struct tm tm;
	char ts[32], *msg;
	va_list ap;

	if (level > log_state.level)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(out, "%s.%03ldZ [%s] %s[%d]: ", ts, (long)tv.tv_usec / 1000,
		names[level], log_state.tag, (int)getpid());
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	put_escaped(out, msg ? msg : "(no memory for the message)");
	free(msg);
	fputc('\n', out);
	fflush(out);
}
