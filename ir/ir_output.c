/*
 * ir_output.c - where saved bytes go: the output path keeps its nature.
 *
 * A regular OUT (or an absent one) is written under a temporary name in
 * its folder, fsynced and renamed into place, so a failed or interrupted
 * run never leaves a partial file; the new file gets the old one's mode
 * (and owner, when we may set it). A symlink at OUT is followed and its
 * target replaced, never the link. Anything else (a FIFO, a device, `-`
 * for stdout) is written in place: renaming over /dev/null would replace
 * the device with a file.
 *
 * Temporary files are registered while they exist; on SIGINT, SIGTERM or
 * SIGHUP a handler unlinks them with async-signal-safe calls and re-raises
 * the signal, so an interrupted run leaves nothing behind. The handler is
 * installed only where the signal's disposition is the default one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ir_output.h"

/* --------------------------------------------------- temporary registry */

enum { TEMP_SLOTS = 8 };

static char temp_paths[TEMP_SLOTS][PATH_MAX];
static volatile sig_atomic_t temp_live[TEMP_SLOTS];
static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP};

static void remove_temps_and_reraise(int sig)
{
	int saved = errno;
	for (int i = 0; i < TEMP_SLOTS; i++)
		if (temp_live[i])
			unlink(temp_paths[i]);
	/* SA_RESETHAND restored the default action: die of the signal. */
	raise(sig);
	errno = saved;
}

static void install_cleanup_handlers(void)
{
	static bool installed;
	if (installed)
		return;
	installed = true;
	for (size_t i = 0; i < sizeof cleanup_signals / sizeof *cleanup_signals;
	     i++) {
		struct sigaction old;
		if (sigaction(cleanup_signals[i], NULL, &old) != 0 ||
		    old.sa_handler != SIG_DFL)
			continue; /* the application handles it */
		struct sigaction sa = {0};
		sa.sa_handler = remove_temps_and_reraise;
		sa.sa_flags = SA_RESETHAND;
		sigemptyset(&sa.sa_mask);
		sigaction(cleanup_signals[i], &sa, NULL);
	}
}

int ir_temp_register(const char *path)
{
	install_cleanup_handlers();
	for (int i = 0; i < TEMP_SLOTS; i++) {
		if (temp_live[i])
			continue;
		snprintf(temp_paths[i], sizeof temp_paths[i], "%s", path);
		/* The path is complete before the handler may read it. */
		atomic_signal_fence(memory_order_seq_cst);
		temp_live[i] = 1;
		return i;
	}
	return -1; /* not covered; the normal paths still remove it */
}

/* Fill the trailing XXXXXX of `template_path` with random letters. */
static void fill_template(char *template_path)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz"
	                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static unsigned long long state;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	state ^= (unsigned long long)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
	         (unsigned long long)getpid() << 32 ^
	         (unsigned long long)ts.tv_sec;
	size_t len = strlen(template_path);
	for (size_t i = len >= 6 ? len - 6 : len; i < len; i++) {
		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		template_path[i] =
		    letters[(state >> 33) % (sizeof letters - 1)];
	}
}

/* Create the temporary: a new empty file, or (link_fd >= 0) a name for
 * the unnamed O_TMPFILE link_fd; returns an fd for it. */
static int temp_make(const char *path, int link_fd)
{
	if (link_fd < 0)
		return open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	char self[64];
	snprintf(self, sizeof self, "/proc/self/fd/%d", link_fd);
	if (linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0)
		return -1;
	int fd = fcntl(link_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		int saved = errno;
		unlink(path);
		errno = saved;
	}
	return fd;
}

static int temp_create(char *template_path, int *slot, int link_fd)
{
	install_cleanup_handlers();
	/* The name is registered before the file exists. Blocking signals
	 * around mkstemp is not enough: a process-directed signal may be
	 * delivered to another thread (BLAS workers) between creating the
	 * file and registering it. Unlinking a registered name we have not
	 * created yet is harmless; the one unsafe instant is a random name
	 * that collides with an existing file (open fails with EEXIST, we
	 * unregister and draw again): 36^6 names make that negligible. */
	size_t len = strlen(template_path);
	char pattern[PATH_MAX];
	snprintf(pattern, sizeof pattern, "%s", template_path);
	for (int attempt = 0; attempt < 100; attempt++) {
		snprintf(template_path, len + 1, "%s", pattern);
		fill_template(template_path);
		*slot = ir_temp_register(template_path);
		int fd = temp_make(template_path, link_fd);
		if (fd >= 0)
			return fd;
		int saved = errno;
		ir_temp_unregister(*slot);
		*slot = -1;
		if (saved != EEXIST) {
			errno = saved;
			return -1;
		}
	}
	errno = EEXIST;
	return -1;
}

int ir_temp_create(char *template_path, int *slot)
{
	return temp_create(template_path, slot, -1);
}

void ir_temp_unregister(int slot)
{
	if (slot >= 0 && slot < TEMP_SLOTS)
		temp_live[slot] = 0;
}

/* ---------------------------------------------------------- the target */

/* Follow symlinks at `path` (up to 40) to the name that will really be
 * written; a dangling link yields its missing target. */
static bool resolve_links(const char *path, char *out, size_t size,
                          ir_status *status)
{
	if (snprintf(out, size, "%s", path) >= (int)size)
		return ir_fail(status, IR_ERR_IO, "output path too long: '%s'",
		               path);
	for (int hops = 0; hops < 40; hops++) {
		struct stat st;
		if (lstat(out, &st) != 0 || !S_ISLNK(st.st_mode))
			return true;
		char target[PATH_MAX];
		ssize_t n = readlink(out, target, sizeof target - 1);
		if (n < 0)
			return ir_fail(status, IR_ERR_IO,
			               "cannot read the symlink '%s': %s", out,
			               strerror(errno));
		target[n] = '\0';
		char next[PATH_MAX];
		const char *slash = strrchr(out, '/');
		int len;
		if (target[0] == '/' || !slash)
			len = snprintf(next, sizeof next, "%s", target);
		else
			len = snprintf(next, sizeof next, "%.*s/%s",
			               (int)(slash - out), out, target);
		if (len >= (int)sizeof next || (size_t)len >= size)
			return ir_fail(status, IR_ERR_IO,
			               "output path too long: '%s'", path);
		memcpy(out, next, (size_t)len + 1);
	}
	return ir_fail(status, IR_ERR_IO, "too many symlinks at '%s'", path);
}

static void split_path(const char *path, char *folder, size_t size,
                       const char **base)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		snprintf(folder, size, ".");
		*base = path;
	} else {
		snprintf(folder, size, "%.*s",
		         slash == path ? 1 : (int)(slash - path), path);
		*base = slash + 1;
	}
}

static bool open_output(ir_output *out, const char *path, bool regular_only,
                        int link_fd, ir_status *status);

bool ir_output_open(ir_output *out, const char *path, bool regular_only,
                    ir_status *status)
{
	return open_output(out, path, regular_only, -1, status);
}

bool ir_output_open_linked(ir_output *out, const char *path, int fd,
                           ir_status *status)
{
	return open_output(out, path, true, fd, status);
}

static bool open_output(ir_output *out, const char *path, bool regular_only,
                        int link_fd, ir_status *status)
{
	memset(out, 0, sizeof *out);
	out->fd = -1;
	out->temp_slot = -1;
	if (!strcmp(path, "-")) {
		if (regular_only)
			return ir_fail(status, IR_ERR_USAGE,
			               "cannot write external data beside "
			               "standard output");
		snprintf(out->target, sizeof out->target, "-");
		out->fd = STDOUT_FILENO;
		out->in_place = true;
		return true;
	}
	if (!resolve_links(path, out->target, sizeof out->target, status))
		return false;
	struct stat st;
	bool exists = stat(out->target, &st) == 0;
	if (exists && !S_ISREG(st.st_mode)) {
		if (regular_only || S_ISDIR(st.st_mode))
			return ir_fail(status, IR_ERR_IO,
			               "cannot create '%s': not a regular file",
			               out->target);
		out->fd = open(out->target, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (out->fd < 0)
			return ir_fail(status, IR_ERR_IO,
			               "cannot create '%s': %s", out->target,
			               strerror(errno));
		out->in_place = true;
		return true;
	}
	/* The temporary name must fit NAME_MAX however long OUT's is. */
	char folder[PATH_MAX];
	const char *base;
	split_path(out->target, folder, sizeof folder, &base);
	static const char suffix[] = ".tmp.XXXXXX";
	int keep = (int)strlen(base);
	if (keep > NAME_MAX - (int)(sizeof suffix - 1))
		keep = NAME_MAX - (int)(sizeof suffix - 1);
	/* On failure the temporary name is not ours: ir_output_discard must
	 * not unlink it. */
	if (snprintf(out->temp, sizeof out->temp, "%s/%.*s%s", folder, keep,
	             base, suffix) >= (int)sizeof out->temp) {
		out->temp[0] = '\0';
		return ir_fail(status, IR_ERR_IO, "output path too long: '%s'",
		               path);
	}
	out->fd = temp_create(out->temp, &out->temp_slot, link_fd);
	if (out->fd < 0) {
		out->temp[0] = '\0';
		return ir_fail(status, IR_ERR_IO, "cannot create '%s': %s",
		               path, strerror(errno));
	}
	/* mkstemp creates 0600: give the file the old one's mode and owner,
	 * or the mode a plain create would. */
	if (exists) {
		fchmod(out->fd, st.st_mode & 07777);
		if (st.st_uid != geteuid() || st.st_gid != getegid())
			if (fchown(out->fd, st.st_uid, st.st_gid) != 0) {
				/* Not ours to give away: keep ours. */
			}
	} else {
		mode_t mask = umask(0);
		umask(mask);
		fchmod(out->fd, 0666 & ~mask);
	}
	return true;
}

bool ir_output_is_file(const ir_output *out)
{
	return !out->in_place;
}

void ir_output_folder(const ir_output *out, char *folder, size_t size)
{
	const char *base;
	split_path(out->target, folder, size, &base);
}

const char *ir_output_basename(const ir_output *out)
{
	const char *slash = strrchr(out->target, '/');
	return slash ? slash + 1 : out->target;
}

bool ir_output_commit(ir_output *out, ir_status *status)
{
	if (out->in_place) {
		bool ok = true;
		if (out->fd != STDOUT_FILENO && close(out->fd) != 0)
			ok = ir_fail(status, IR_ERR_WRITE,
			             "cannot write '%s': %s", out->target,
			             strerror(errno));
		out->fd = -1;
		return ok;
	}
	/* The data must be on disk before the name points at it, or a crash
	 * could leave an empty file under the final name. */
	if (fsync(out->fd) != 0) {
		ir_fail(status, IR_ERR_WRITE, "cannot write '%s': %s",
		        out->target, strerror(errno));
		ir_output_discard(out);
		return false;
	}
	if (close(out->fd) != 0) {
		out->fd = -1;
		ir_fail(status, IR_ERR_WRITE, "cannot write '%s': %s",
		        out->target, strerror(errno));
		ir_output_discard(out);
		return false;
	}
	out->fd = -1;
	if (rename(out->temp, out->target) != 0) {
		ir_fail(status, IR_ERR_WRITE, "cannot rename to '%s': %s",
		        out->target, strerror(errno));
		ir_output_discard(out);
		return false;
	}
	ir_temp_unregister(out->temp_slot);
	out->temp_slot = -1;
	char folder[PATH_MAX];
	ir_output_folder(out, folder, sizeof folder);
	int dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir >= 0) {
		fsync(dir); /* best effort: make the rename durable */
		close(dir);
	}
	return true;
}

void ir_output_discard(ir_output *out)
{
	if (out->in_place) {
		if (out->fd >= 0 && out->fd != STDOUT_FILENO)
			close(out->fd);
		out->fd = -1;
		return;
	}
	if (out->fd >= 0)
		close(out->fd);
	out->fd = -1;
	if (out->temp[0])
		unlink(out->temp);
	ir_temp_unregister(out->temp_slot);
	out->temp_slot = -1;
	out->temp[0] = '\0';
}
