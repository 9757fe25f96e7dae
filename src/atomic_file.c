#include "atomic_file.h"

#include "interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How long `-o FIFO` waits for a reader: 200 × 50 ms = 10 s. */
enum { FIFO_WAIT_TRIES = 200 };

/*
 * A device or FIFO (`-o /dev/full`, a pipe) is written in place: renaming
 * over it would replace the node with a file.
 */
static int open_direct(AtomicFile *af, const char *path, KvError *err)
{
	/* O_NONBLOCK: a FIFO nobody reads fails (ENXIO) instead of waiting
	 * forever. A reader gets FIFO_WAIT_TRIES × 50 ms to turn up (a
	 * signal ends the wait); once open, writes block again as usual. */
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY);
	for (int i = 0; fd < 0 && errno == ENXIO && i < FIFO_WAIT_TRIES; i++) {
		struct timespec pause = { 0, 50 * 1000 * 1000 };
		if (nanosleep(&pause, NULL) != 0)
			break;
		fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY);
	}
	if (fd < 0 && errno == ENXIO)
		return kv_error_set(err, EX_CANTCREAT,
				    "%s: a FIFO with no reader for %d s; start the reader first",
				    path, FIFO_WAIT_TRIES / 20);
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	af->fp = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!af->fp) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return kv_error_set(err, EX_CANTCREAT, "%s: cannot open: %s",
				    path, strerror(e));
	}
	af->path = strdup(path);
	if (!af->path) {
		fclose(af->fp);
		af->fp = NULL;
		return kv_error_set(err, EX_OSERR, "out of memory");
	}
	return 0;
}

/*
 * `link`'s target as a path from here: relative targets are read from the
 * link's directory. A new string, or NULL.
 */
static char *link_target(const char *link)
{
	char buf[4096];
	ssize_t n = readlink(link, buf, sizeof buf - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	const char *slash = strrchr(link, '/');
	if (buf[0] == '/' || !slash)
		return strdup(buf);
	size_t dir = (size_t)(slash - link) + 1, len = dir + (size_t)n + 1;
	char *out = malloc(len);
	if (out)
		snprintf(out, len, "%.*s%s", (int)dir, link, buf);
	return out;
}

/*
 * The file a rename must replace: the end of a chain of symlinks, which
 * may not exist yet (a dangling link is written through, to its target,
 * still by temporary file and rename). NULL for a loop or out of memory.
 */
static char *rename_target(const char *path)
{
	char *cur = strdup(path);
	struct stat st;
	for (int hops = 0; cur && lstat(cur, &st) == 0 && S_ISLNK(st.st_mode);
	     hops++) {
		char *next = hops < 40 ? link_target(cur) : NULL;
		free(cur);
		cur = next;
	}
	return cur;
}

/* Permissions for the new file: the old file's, or 0666 less the umask. */
static mode_t new_mode(const char *target)
{
	struct stat st;
	if (stat(target, &st) == 0)
		return st.st_mode & 07777;
	mode_t mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

int atomic_open(AtomicFile *af, const char *path, KvError *err)
{
	memset(af, 0, sizeof *af);
	if (path && !*path)
		return kv_error_set(err, EX_USAGE, "the output file name is empty");
	if (!path || strcmp(path, "-") == 0) {
		af->fp = stdout;
		return 0;
	}
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return kv_error_set(err, EX_CANTCREAT, "%s: is a directory", path);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return open_direct(af, path, err);
	af->path = rename_target(path);
	if (!af->path)
		return kv_error_set(err, EX_CANTCREAT,
				    "%s: cannot follow the symbolic link: %s", path,
				    strerror(errno ? errno : ELOOP));
	size_t n = strlen(af->path);
	af->tmp_path = malloc(n + 16);
	if (!af->tmp_path) {
		atomic_abort(af);
		return kv_error_set(err, EX_OSERR, "out of memory");
	}
	snprintf(af->tmp_path, n + 16, "%s.tmp-XXXXXX", af->path);
	int fd = mkstemp(af->tmp_path);
	if (fd < 0) {
		int e = errno;
		free(af->tmp_path);
		af->tmp_path = NULL;
		atomic_abort(af);
		return kv_error_set(err, EX_CANTCREAT, "%s: cannot create: %s",
				    path, strerror(e));
	}
	/* mkstemp makes 0600; keep the old file's mode, or the usual one */
	fchmod(fd, new_mode(path));
	af->fp = fdopen(fd, "w");
	if (!af->fp) {
		close(fd);
		atomic_abort(af);
		return kv_error_set(err, EX_OSERR, "%s: %s", path, strerror(errno));
	}
	return 0;
}

/* Flushes and closes a stream written in place; 0 or an errno. */
static int close_direct(AtomicFile *af)
{
	int e = 0;
	if (fflush(af->fp) != 0 || ferror(af->fp))
		e = errno ? errno : EIO;
	if (af->fp != stdout && fclose(af->fp) != 0 && !e)
		e = errno ? errno : EIO;
	af->fp = NULL;
	return e;
}

int atomic_commit(AtomicFile *af, KvError *err)
{
	if (!af->tmp_path) { /* stdout, a device or a FIFO */
		const char *name = af->path ? af->path : "output";
		int e = close_direct(af);
		if (e)
			kv_error_set(err, EX_IOERR, "%s: cannot write: %s", name,
				     strerror(e));
		free(af->path);
		memset(af, 0, sizeof *af);
		return e ? EX_IOERR : 0;
	}
	int e = 0;
	if (fflush(af->fp) != 0 || ferror(af->fp))
		e = errno ? errno : EIO;
	if (!e && fsync(fileno(af->fp)) != 0)
		e = errno;
	if (fclose(af->fp) != 0 && !e)
		e = errno;
	af->fp = NULL;
	if (!e && rename(af->tmp_path, af->path) != 0)
		e = errno;
	if (e) {
		kv_error_set(err, EX_IOERR, "%s: cannot write: %s", af->path,
			     strerror(e));
		atomic_abort(af);
		return EX_IOERR;
	}
	free(af->path);
	free(af->tmp_path);
	memset(af, 0, sizeof *af);
	return 0;
}

void atomic_abort(AtomicFile *af)
{
	if (af->fp && af->fp != stdout)
		fclose(af->fp);
	if (af->tmp_path)
		unlink(af->tmp_path);
	free(af->path);
	free(af->tmp_path);
	memset(af, 0, sizeof *af);
}

int atomic_finish(AtomicFile *af, int rc, KvError *err)
{
	if (rc || interrupt_caught()) {
		atomic_abort(af);
		return rc ? rc : kv_error_set(err, EX_TEMPFAIL, "interrupted");
	}
	return atomic_commit(af, err);
}
