#include "input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool input_is_path(const char *name)
{
	const char *base = strrchr(name, '/');
	return base || strchr(name, '.');
}

FILE *input_open(const char *path, KvError *err)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		kv_error_set(err, EX_NOINPUT, "%s: cannot open: %s", path,
			     strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		kv_error_set(err, EX_NOINPUT, "%s: cannot open: %s", path,
			     strerror(e));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		kv_error_set(err, EX_NOINPUT,
			     "%s: not a regular file (a %s); give a file", path,
			     S_ISDIR(st.st_mode)    ? "directory"
			     : S_ISFIFO(st.st_mode) ? "FIFO"
						    : "device or socket");
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	FILE *fp = fdopen(fd, "rb");
	if (!fp) {
		close(fd);
		kv_error_set(err, EX_OSERR, "%s: %s", path, strerror(errno));
	}
	return fp;
}
