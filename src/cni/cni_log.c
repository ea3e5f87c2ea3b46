// SPDX-License-Identifier: Apache-2.0
/* Command-level logging: stderr or a log file, with levels. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
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

void cni_log(enum cni_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "panic", "error", "verbose",
					     "debug" };
	FILE *out = log_state.out ? log_state.out : stderr;
	struct timeval tv;
	struct tm tm;
	char ts[32];
	va_list ap;

	if (level > log_state.level)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(out, "%s.%03ldZ [%s] %s[%d]: ", ts, (long)tv.tv_usec / 1000,
		names[level], log_state.tag, (int)getpid());
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
}
