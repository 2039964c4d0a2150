/*
 * ir_external.c - reading tensors stored outside the model file.
 *
 * A TensorProto with data_location = EXTERNAL names its bytes by the keys
 * location (a path relative to the model file's folder), offset, length
 * and checksum. Loading resolves each such tensor to bytes mapped from its
 * data file: every data file is opened and mapped once, however many
 * tensors it holds, and its pages are never copied to the heap. A resolved
 * tensor answers ir_tensor_raw() like an inline one, so every pass that
 * reads weights sees it.
 *
 * Security (the CVE-2024-27318/27319 class): nothing outside the model's
 * folder is ever opened. A location is walked one component at a time from
 * an fd of the folder, with O_NOFOLLOW at every step, so a directory or
 * file swapped for a symlink between check and open is refused by the
 * kernel rather than followed. `..` pops our own stack of directory fds,
 * never the kernel's, and a symlink is read (readlinkat) and its target
 * walked the same way, so it is accepted only when it stays inside.
 *
 * Invariant: a tensor with data_file != NULL has raw pointing into that
 * file's mapping at data_offset; data_file lives as long as the model.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ir_arena.h"
#include "ir_external.h"
#include "ir_impl.h"

/* Data files kept open for copy_file_range at save time; past this, the
 * mapping alone serves (and save writes from it). */
enum { KEEP_OPEN_MAX = 256, MAX_SYMLINKS = 40, MAX_DEPTH = 256 };

/* --------------------------------------------------------- path walking */

typedef struct walk {
	int fds[MAX_DEPTH]; /* fds[0] is the model's folder (not ours) */
	int depth;
	int symlinks;
	int in_link;         /* > 0 while walking a symlink's target */
	const char *problem; /* why the walk refused, for the message */
	char errno_problem[96];
} walk;

static bool walk_errno(walk *w)
{
	snprintf(w->errno_problem, sizeof w->errno_problem,
	         "cannot be opened: %s", strerror(errno));
	w->problem = w->errno_problem;
	return false;
}

static const char outside_link[] =
    "is a symlink that resolves outside the model's folder";

static void walk_release(walk *w)
{
	for (int i = 1; i <= w->depth; i++)
		close(w->fds[i]);
	w->depth = 0;
}

/* Walk `path` (relative) from the current top of the fd stack; on
 * success *fd_out is the opened regular file. */
static bool walk_path(walk *w, const char *path, int *fd_out,
                      struct stat *st_out);

static bool walk_component(walk *w, const char *name, bool last, int *fd_out,
                           struct stat *st_out)
{
	if (!strcmp(name, "") || !strcmp(name, ".")) {
		if (last) {
			w->problem = "is not a regular file";
			return false;
		}
		return true;
	}
	if (!strcmp(name, "..")) {
		if (w->depth == 0) {
			w->problem = w->in_link ? outside_link
			                        : "escapes the model's folder";
			return false;
		}
		close(w->fds[w->depth--]);
		if (last) {
			w->problem = "is not a regular file";
			return false;
		}
		return true;
	}
	int dir = w->fds[w->depth];
	struct stat st;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return walk_errno(w);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dir, name, target, sizeof target - 1);
		if (n < 0 || ++w->symlinks > MAX_SYMLINKS) {
			w->problem = "is a symlink that cannot be resolved";
			return false;
		}
		target[n] = '\0';
		if (target[0] == '/') {
			w->problem = outside_link;
			return false;
		}
		/* The target is relative to the link's own folder, which is
		 * the top of the stack: walk it there. */
		if (!last) {
			/* A symlink to a directory: walk into it, then go on
			 * with the caller's next component. */
			char copy[PATH_MAX + 2];
			memcpy(copy, target, (size_t)n);
			memcpy(copy + n, "/.", 3);
			w->in_link++;
			bool ok = walk_path(w, copy, NULL, NULL);
			w->in_link--;
			return ok;
		}
		w->in_link++;
		bool ok = walk_path(w, target, fd_out, st_out);
		w->in_link--;
		return ok;
	}
	if (!last) {
		if (!S_ISDIR(st.st_mode)) {
			w->problem = "has a component that is not a folder";
			return false;
		}
		if (w->depth + 1 >= MAX_DEPTH) {
			w->problem = "is nested too deep";
			return false;
		}
		int fd = openat(
		    dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return walk_errno(w);
		w->fds[++w->depth] = fd;
		return true;
	}
	if (!S_ISREG(st.st_mode)) {
		w->problem = "is not a regular file";
		return false;
	}
	/* O_NONBLOCK: should the name have become a FIFO since fstatat,
	 * open must not wait for a writer; fstat below refuses it. */
	int fd =
	    openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return walk_errno(w);
	if (fstat(fd, st_out) != 0 || !S_ISREG(st_out->st_mode)) {
		close(fd);
		w->problem = "is not a regular file";
		return false;
	}
	*fd_out = fd;
	return true;
}

static bool walk_path(walk *w, const char *path, int *fd_out,
                      struct stat *st_out)
{
	char copy[PATH_MAX];
	if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy) {
		w->problem = "is too long";
		return false;
	}
	char *rest = copy;
	for (;;) {
		char *slash = strchr(rest, '/');
		if (slash)
			*slash = '\0';
		bool last = !slash;
		if (last && !fd_out) /* a directory walk ends at "." */
			return !strcmp(rest, ".") ||
			       walk_component(w, rest, false, NULL, NULL);
		if (!walk_component(w, rest, last, fd_out, st_out))
			return false;
		if (last)
			return true;
		rest = slash + 1;
	}
}

/* ---------------------------------------------------------- data files */

static const char *entry(const Onnx__TensorProto *p, const char *key)
{
	for (size_t i = 0; i < p->n_external_data; i++) {
		const Onnx__StringStringEntryProto *e = p->external_data[i];
		if (e->key && !strcmp(e->key, key))
			return e->value ? e->value : "";
	}
	return NULL;
}

static bool parse_u64(const char *text, uint64_t *out)
{
	if (!text || !*text || *text == '-' || *text == '+')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (*end || errno)
		return false;
	*out = v;
	return true;
}

typedef struct resolver {
	ir_model *model;
	const char *folder_path;
	int folder; /* opened at the first external tensor; -1 before */
	ir_status *status;
	int n_open;
	bool failed;
} resolver;

static ir_data_file *data_file_find(ir_model *model, const struct stat *st)
{
	for (ir_data_file *f = model->data_files; f; f = f->next)
		if (f->dev == st->st_dev && f->ino == st->st_ino)
			return f;
	return NULL;
}

static bool fail_tensor(resolver *r, const char *tensor, const char *location,
                        const char *problem)
{
	r->failed = true;
	return ir_fail(r->status, IR_ERR_INVALID,
	               "tensor '%s': external data location '%s' %s", tensor,
	               location, problem);
}

static ir_data_file *data_file_open(resolver *r, const char *tensor,
                                    const char *location)
{
	if (location[0] == '/') {
		fail_tensor(r, tensor, location, "is absolute");
		return NULL;
	}
	if (r->folder < 0) {
		r->folder = open(r->folder_path[0] ? r->folder_path : ".",
		                 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (r->folder < 0) {
			fail_tensor(r, tensor, location,
			            "cannot be read: the model's folder cannot "
			            "be opened");
			return NULL;
		}
	}
	walk w = {.fds = {r->folder}};
	int fd = -1;
	struct stat st;
	bool found = walk_path(&w, location, &fd, &st);
	walk_release(&w);
	if (!found) {
		fail_tensor(r, tensor, location, w.problem);
		return NULL;
	}
	ir_data_file *f = data_file_find(r->model, &st);
	if (f) {
		close(fd);
		return f;
	}
	f = ir_xcalloc(1, sizeof *f);
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = (size_t)st.st_size;
	if (f->size) {
		void *p = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			close(fd);
			free(f);
			fail_tensor(r, tensor, location, "cannot be mapped");
			return NULL;
		}
		f->map = p;
	}
	if (++r->n_open > KEEP_OPEN_MAX) {
		close(fd);
		f->fd = -1;
	}
	f->next = r->model->data_files;
	r->model->data_files = f;
	return f;
}

static void resolve_tensor(resolver *r, ir_tensor *t)
{
	const Onnx__TensorProto *p = t->origin;
	if (r->failed || !t->external || !p)
		return;
	const char *name = p->name ? p->name : "";
	const char *location = entry(p, "location");
	if (!location || !location[0]) {
		fail_tensor(r, name, location ? location : "",
		            "is missing (no 'location' key)");
		return;
	}
	uint64_t offset = 0, length = 0;
	const char *offset_text = entry(p, "offset");
	const char *length_text = entry(p, "length");
	if (offset_text && !parse_u64(offset_text, &offset)) {
		fail_tensor(r, name, location, "has a bad offset");
		return;
	}
	if (length_text && !parse_u64(length_text, &length)) {
		fail_tensor(r, name, location, "has a bad length");
		return;
	}
	ir_data_file *f = data_file_open(r, name, location);
	if (!f)
		return;
	if (offset > f->size || (length_text && length > f->size - offset)) {
		char problem[160];
		if (length_text)
			snprintf(problem, sizeof problem,
			         "is too short: offset %" PRIu64
			         " + length %" PRIu64
			         " is past its end (%zu bytes)",
			         offset, length, f->size);
		else
			snprintf(problem, sizeof problem,
			         "is too short: offset %" PRIu64
			         " is past its end (%zu bytes)",
			         offset, f->size);
		fail_tensor(r, name, location, problem);
		return;
	}
	if (!length_text)
		length = f->size - offset;
	t->raw = f->map ? f->map + offset : (const uint8_t *)"";
	t->raw_size = (size_t)length;
	t->data_file = f;
	t->data_offset = offset;
	t->external = false;
}

static void resolve_graph(ir_graph *g, void *ctx)
{
	resolver *r = ctx;
	for (int i = 0; i < g->n_initializers; i++)
		if (g->initializers[i]->tensor)
			resolve_tensor(r, g->initializers[i]->tensor);
	for (ir_node *n = g->first; n; n = n->next)
		for (int a = 0; a < n->n_attrs; a++) {
			ir_attr *attr = &n->attrs[a];
			if (attr->tensor)
				resolve_tensor(r, attr->tensor);
			for (size_t k = 0;
			     attr->tensors && k < attr->proto->n_tensors; k++)
				resolve_tensor(r, attr->tensors[k]);
		}
}

bool ir_external_resolve(ir_model *model, const char *folder, ir_status *status)
{
	resolver r = {model, folder ? folder : "", -1, status, 0, false};
	ir_graph_walk(model->graph, resolve_graph, &r);
	if (r.folder >= 0)
		close(r.folder);
	return !r.failed;
}

void ir_external_close(ir_model *model)
{
	ir_data_file *f = model->data_files;
	while (f) {
		ir_data_file *next = f->next;
		if (f->map)
			munmap((void *)f->map, f->size);
		if (f->fd >= 0)
			close(f->fd);
		free(f);
		f = next;
	}
	model->data_files = NULL;
}

bool ir_model_has_external_data(const ir_model *model)
{
	return model->data_files != NULL;
}

void ir_external_release_pages(const void *data, size_t size)
{
	/* Private read-only file pages: dropping them only costs a re-read
	 * from the file should they be touched again. */
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t start =
	    ((uintptr_t)data + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1);
	uintptr_t end = ((uintptr_t)data + size) & ~(uintptr_t)(page - 1);
	if (end > start)
		madvise((void *)start, end - start, MADV_DONTNEED);
}

bool ir_external_unchanged(const ir_tensor *t)
{
	return t->data_file && !t->modified;
}

uint64_t ir_model_input_bytes(const ir_model *model)
{
	uint64_t total = model->file ? model->file->size : 0;
	for (const ir_data_file *f = model->data_files; f; f = f->next)
		total += f->size;
	return total;
}
