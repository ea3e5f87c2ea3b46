// SPDX-License-Identifier: Apache-2.0
/* Command-level logging: stderr and/or a log file (rotated by size),
 * with levels. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cni_log.h"

static struct {
	FILE *out; /* the log file, or NULL */
	bool to_stderr;
	enum cni_log_level level;
	char tag[32];
	char *path;
	struct cni_log_rotate rot;
} log_state = { NULL, true, CNI_LOG_ERROR, "plexus", NULL, { 0 } };

int cni_log_level_parse(const char *s, enum cni_log_level *ret)
{
	static const char *const names[] = { "panic", "error", "verbose",
					     "debug" };

	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*ret = (enum cni_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

static FILE *file_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "a");
	if (!f)
		close(fd);
	return f;
}

int cni_log_open_opts(const struct cni_log_opts *o)
{
	cni_log_close();
	log_state.level = o->level;
	log_state.to_stderr = o->to_stderr || !o->path || !*o->path;
	if (o->tag)
		snprintf(log_state.tag, sizeof(log_state.tag), "%s", o->tag);
	log_state.rot = o->rot;
	if (!o->path || !*o->path)
		return 0;
	log_state.path = strdup(o->path);
	if (!log_state.path)
		return -ENOMEM;
	log_state.out = file_open(o->path);
	if (!log_state.out) {
		int r = -errno;

		log_state.to_stderr = true; /* errors still go somewhere */
		return r;
	}
	return 0;
}

int cni_log_open(const char *path, enum cni_log_level level, const char *tag)
{
	struct cni_log_opts o = {
		.path = path,
		.to_stderr = !path || !*path,
		.level = level,
		.tag = tag,
	};

	return cni_log_open_opts(&o);
}

void cni_log_close(void)
{
	if (log_state.out)
		fclose(log_state.out);
	log_state.out = NULL;
	free(log_state.path);
	log_state.path = NULL;
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

/* --- logFile rotation (logOptions), as Multus' logger does it: a file
 * that would grow past maxSize is renamed <name>-<UTC time><ext>
 * (gzipped when compress is set), and backups beyond maxBackups or older
 * than maxAge days are removed. Several plexus processes share one file:
 * the rotation is done under an flock of the file, and a process whose
 * file was rotated by another opens the path again. --- */

/* "dir/name.log" -> prefix "dir/name-", ext ".log" */
static void split_name(const char *path, char *prefix, size_t plen,
		       const char **ret_ext)
{
	const char *base = strrchr(path, '/');
	const char *dot = strrchr(base ? base + 1 : path, '.');

	if (!dot || dot == (base ? base + 1 : path))
		dot = path + strlen(path);
	snprintf(prefix, plen, "%.*s-", (int)(dot - path), path);
	*ret_ext = dot;
}

static int gzip_file(const char *src)
{
	char dst[4300], buf[65536];
	gzFile gz;
	ssize_t n;
	int fd = open(src, O_RDONLY | O_CLOEXEC), ok = 1;

	if (fd < 0)
		return -errno;
	snprintf(dst, sizeof(dst), "%s.gz", src);
	gz = gzopen(dst, "wbe");
	if (!gz) {
		close(fd);
		return -EIO;
	}
	while (ok && (n = read(fd, buf, sizeof(buf))) > 0)
		ok = gzwrite(gz, buf, (unsigned)n) == (int)n;
	close(fd);
	if (gzclose(gz) != Z_OK || !ok) {
		unlink(dst);
		return -EIO;
	}
	chmod(dst, 0600);
	return unlink(src) < 0 ? -errno : 0;
}

static int cmp_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/* The backups of path, newest first (their names sort by time). */
static size_t backups_list(const char *path, char ***ret)
{
	char prefix[4096], dir[4096], **v = NULL, **nv;
	const char *ext, *base;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	split_name(path, prefix, sizeof(prefix), &ext);
	base = strrchr(prefix, '/');
	snprintf(dir, sizeof(dir), "%.*s", base ? (int)(base - prefix) : 1,
		 base ? prefix : ".");
	base = base ? base + 1 : prefix;
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, base, strlen(base)) != 0 ||
		    strlen(de->d_name) !=
			    strlen(base) + 23 + strlen(ext) +
				    (strstr(de->d_name, ".gz") ? 3 : 0))
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		if (asprintf(&v[n], "%s/%s", dir, de->d_name) < 0)
			break;
		n++;
	}
	if (d)
		closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_desc);
	*ret = v;
	return n;
}

static void backups_prune(const char *path, const struct cni_log_rotate *rot)
{
	char **v = NULL;
	size_t n = backups_list(path, &v);
	time_t now = time(NULL);

	for (size_t i = 0; i < n; i++) {
		struct stat st;
		bool old =
			rot->max_age_days > 0 && stat(v[i], &st) == 0 &&
			now - st.st_mtime > (time_t)rot->max_age_days * 86400;

		if ((rot->max_backups > 0 && i >= (size_t)rot->max_backups) ||
		    old)
			unlink(v[i]);
		free(v[i]);
	}
	free(v);
}

int cni_log_rotate_now(const char *path, const struct cni_log_rotate *rot)
{
	char prefix[4096], name[4200], ts[40];
	const char *ext;
	struct timeval tv;
	struct tm tm;

	split_name(path, prefix, sizeof(prefix), &ext);
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H-%M-%S", &tm);
	snprintf(name, sizeof(name), "%s%s.%03ld%s", prefix, ts,
		 (long)tv.tv_usec / 1000, ext);
	if (rename(path, name) < 0)
		return -errno;
	if (rot->compress)
		gzip_file(name);
	backups_prune(path, rot);
	return 0;
}

/* Is our stream still the file at the path (not rotated by another)? */
static bool file_current(void)
{
	struct stat a, b;

	return fstat(fileno(log_state.out), &a) == 0 &&
	       stat(log_state.path, &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

static void log_file_write(const char *line, size_t len)
{
	long long max = log_state.rot.max_bytes;
	struct stat st;
	FILE *f;

	if (max > 0) {
		flock(fileno(log_state.out), LOCK_EX);
		if (!file_current() && (f = file_open(log_state.path))) {
			fclose(log_state.out);
			log_state.out = f;
			flock(fileno(f), LOCK_EX);
		}
		if (fstat(fileno(log_state.out), &st) == 0 && st.st_size > 0 &&
		    st.st_size + (long long)len > max &&
		    cni_log_rotate_now(log_state.path, &log_state.rot) == 0 &&
		    (f = file_open(log_state.path))) {
			fclose(log_state.out); /* drops the old file's lock */
			log_state.out = f;
			flock(fileno(f), LOCK_EX);
		}
	}
	fwrite(line, 1, len, log_state.out);
	fflush(log_state.out);
	if (max > 0)
		flock(fileno(log_state.out), LOCK_UN);
}

/* The whole line, prefix and escaped message, in one buffer (so a file
 * gets it in one write, and rotation knows its length). */
static char *format_line(enum cni_log_level level, const char *msg,
			 size_t *ret_len)
{
	static const char *const names[] = { "panic", "error", "verbose",
					     "debug" };
	struct timeval tv;
	struct tm tm;
	char ts[32], *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(m, "%s.%03ldZ [%s] %s[%d]: ", ts, (long)tv.tv_usec / 1000,
		names[level], log_state.tag, (int)getpid());
	put_escaped(m, msg);
	fputc('\n', m);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	*ret_len = len;
	return buf;
}

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void cni_log(enum cni_log_level level, const char *fmt, ...)
{
	char *msg, *line;
	size_t len = 0;
	va_list ap;

	if (level > log_state.level)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	line = format_line(level, msg ? msg : "(no memory for the message)",
			   &len);
	free(msg);
	if (!line)
		return;
	/* one line at a time, and one rotation at a time: plexusd's watch
	 * threads log too */
	pthread_mutex_lock(&log_lock);
	if (log_state.to_stderr) {
		fwrite(line, 1, len, stderr);
		fflush(stderr);
	}
	if (log_state.out)
		log_file_write(line, len);
	pthread_mutex_unlock(&log_lock);
	free(line);
}
