#include "atomic_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int atomic_open(AtomicFile *af, const char *path, KvError *err)
{
	memset(af, 0, sizeof *af);
	if (!path || strcmp(path, "-") == 0) {
		af->fp = stdout;
		return 0;
	}
	size_t n = strlen(path);
	af->path = malloc(n + 1);
	af->tmp_path = malloc(n + 16);
	if (!af->path || !af->tmp_path) {
		atomic_abort(af);
		return kv_error_set(err, EX_OSERR, "out of memory");
	}
	memcpy(af->path, path, n + 1);
	snprintf(af->tmp_path, n + 16, "%s.tmp-XXXXXX", path);
	int fd = mkstemp(af->tmp_path);
	if (fd < 0) {
		int e = errno;
		free(af->tmp_path);
		af->tmp_path = NULL;
		atomic_abort(af);
		return kv_error_set(err, EX_CANTCREAT, "%s: cannot create: %s",
				    path, strerror(e));
	}
	/* mkstemp makes 0600; an export is an ordinary file. */
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	af->fp = fdopen(fd, "w");
	if (!af->fp) {
		close(fd);
		atomic_abort(af);
		return kv_error_set(err, EX_OSERR, "%s: %s", path, strerror(errno));
	}
	return 0;
}

int atomic_commit(AtomicFile *af, KvError *err)
{
	int e = 0;
	if (fflush(af->fp) != 0 || ferror(af->fp))
		e = errno ? errno : EIO;
	if (!af->tmp_path) { /* stdout */
		af->fp = NULL;
		if (e)
			return kv_error_set(err, EX_IOERR, "cannot write output: %s",
					    strerror(e));
		return 0;
	}
	if (!e && fsync(fileno(af->fp)) != 0)
		e = errno;
	if (fclose(af->fp) != 0 && !e)
		e = errno;
	af->fp = NULL;
	if (!e && rename(af->tmp_path, af->path) != 0)
		e = errno;
	if (e) {
		char *path = af->path;
		af->path = NULL;
		atomic_abort(af);
		kv_error_set(err, EX_IOERR, "%s: cannot write: %s", path,
			     strerror(e));
		free(path);
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
