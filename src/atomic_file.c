/* realpath() is an XSI interface. */
#define _XOPEN_SOURCE 700

#include "atomic_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * A device or FIFO (`-o /dev/full`, a pipe) is written in place: renaming
 * over it would replace the node with a file.
 */
static int open_direct(AtomicFile *af, const char *path, KvError *err)
{
	af->fp = fopen(path, "w");
	if (!af->fp)
		return kv_error_set(err, EX_CANTCREAT, "%s: cannot open: %s",
				    path, strerror(errno));
	af->path = strdup(path);
	if (!af->path) {
		fclose(af->fp);
		af->fp = NULL;
		return kv_error_set(err, EX_OSERR, "out of memory");
	}
	return 0;
}

/* The file a rename must replace: a symlink's target, not the link. */
static char *rename_target(const char *path)
{
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return realpath(path, NULL);
	return strdup(path);
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
	if (!af->path) /* a dangling symlink: write through it */
		return open_direct(af, path, err);
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
