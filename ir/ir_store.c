/*
 * ir_store.c - a file-backed store for the big tensors passes create.
 *
 * Transposed, concatenated and folded weights can add up to the size of
 * the model. Kept on the heap they would double the memory a run needs;
 * instead each one of IR_STORE_MIN bytes or more gets its own shared
 * mapping of an unnamed temporary file (O_TMPFILE in TMPDIR, or a file
 * unlinked at once), whose pages the kernel can write back and drop. The
 * file has no name, so it disappears on every exit path, a crash or a
 * signal included.
 *
 * ir_memory_trim() drops the resident pages of the store and of the
 * input's mappings (model file and external data files): they are clean
 * file pages or shared ones the kernel keeps in its page cache, so
 * touching them again only costs a fault. It runs after every 64 MiB
 * stored or read from a mapping (ir_memory_touched) and after each pass
 * on big models, which
 * keeps the resident set near the tensors being worked on, not the whole
 * model.
 *
 * The store's file is made in the folder the output will be written to
 * when the caller names it (ir_model_set_store_folder), else in TMPDIR. A
 * save that writes external data beside the output on the same file
 * system adopts the store's file as its data file (ir_store_adopt): the
 * computed tensors are already at their offsets, so they reach the disk
 * once and are never copied, and the blocks no saved tensor holds become
 * holes.
 *
 * Blocks are reserved with fallocate before they are mapped, so a full
 * disk is an allocation that falls back to the heap, never a SIGBUS.
 *
 * A block's life: a room (ir_tensor_room: the evaluator computes a folded
 * output straight into it), then one tensor's bytes (ir_store_take: a
 * block belongs to at most one tensor), then, once saving has written
 * those bytes to an output file that stays mapped, moved (ir_store_move:
 * the tensor reads the output's mapping and the block's pages and disk
 * blocks are given back, so the page cache they held takes what is
 * written next). A room nobody took is released the same way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ir_arena.h"
#include "ir_external.h"
#include "ir_impl.h"

typedef struct store_chunk {
	uint8_t *map;
	size_t size;
	enum {
		CHUNK_ROOM,   /* handed out by ir_tensor_room, not yet taken */
		CHUNK_TENSOR, /* a tensor's bytes */
		CHUNK_MOVED,  /* written to an output and given back; its
		               * tensor reads the output's mapping */
		CHUNK_RELEASED, /* given back, no tensor took it */
		CHUNK_OUTPUT,   /* a read-only mapping of a written data file */
	} state;
	ir_tensor *owner; /* CHUNK_TENSOR, CHUNK_MOVED */
	uint64_t offset;  /* in the store's current file (ROOM, TENSOR) */
	bool placed;      /* the save being written keeps it in place */
	struct store_chunk *next;
} store_chunk;

struct ir_store {
	int fd; /* -1: the store could not be created; use the heap */
	bool linkable; /* fd is an O_TMPFILE: a save may give it a name */
	const char *folder; /* where to make the file; NULL: TMPDIR */
	uint64_t end;
	store_chunk *chunks;
	uint64_t since_trim; /* bytes stored since the last trim */
};

/* Trim after this many new bytes: often enough to keep the resident set
 * small, rarely enough that pages in use are seldom dropped. */
enum { TRIM_EVERY = 64 << 20 };

static int open_unnamed(const char *folder, bool *linkable)
{
	*linkable = false;
	int fd = folder ? open(folder, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)
	                : -1;
	if (fd >= 0) {
		*linkable = true;
		return fd;
	}
	const char *dir = getenv("TMPDIR");
	if (!dir || !dir[0])
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0) {
		*linkable = true;
		return fd;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/onnx-opt-store.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

enum { STORE_NOT_OPENED = -2 };

/* The model's store, created on first use; its file is opened at the
 * first block. */
static struct ir_store *store_of(ir_model *model)
{
	if (!model->store) {
		model->store = ir_xcalloc(1, sizeof *model->store);
		model->store->fd = STORE_NOT_OPENED;
	}
	return model->store;
}

void *ir_store_alloc(ir_model *model, size_t size)
{
	if (size < IR_STORE_MIN)
		return NULL;
	struct ir_store *s = store_of(model);
	if (s->fd == STORE_NOT_OPENED)
		s->fd = open_unnamed(s->folder, &s->linkable);
	if (s->fd < 0)
		return NULL;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t offset =
	    (s->end + (uint64_t)page - 1) / (uint64_t)page * (uint64_t)page;
	if (posix_fallocate(s->fd, (off_t)offset, (off_t)size) != 0)
		return NULL;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd,
	               (off_t)offset);
	if (p == MAP_FAILED)
		return NULL;
	store_chunk *c = ir_xmalloc(sizeof *c);
	*c = (store_chunk){p, size, CHUNK_ROOM, NULL, offset, false, s->chunks};
	s->chunks = c;
	s->end = offset + size;
	return p;
}

void ir_model_set_store_folder(ir_model *model, const char *folder)
{
	struct ir_store *s = store_of(model);
	s->folder = folder ? ir_strdup(model, folder) : NULL;
}

/* The store block that starts at data and is size bytes long. */
static store_chunk *block_at(const ir_model *model, const void *data,
                             size_t size)
{
	for (store_chunk *c = model->store ? model->store->chunks : NULL; c;
	     c = c->next)
		if (c->map == data && c->size == size)
			return c;
	return NULL;
}

bool ir_store_take(ir_model *model, const void *data, size_t size,
                   ir_tensor *owner)
{
	store_chunk *c = block_at(model, data, size);
	if (!c || c->state != CHUNK_ROOM)
		return false;
	c->state = CHUNK_TENSOR;
	c->owner = owner;
	return true;
}

/* Free the block's pages and its disk blocks: the page cache it held is
 * reused for what is written next. The mapping stays (reads as zeros). */
static void give_back(store_chunk *c)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t whole =
	    (c->size + (size_t)page - 1) / (size_t)page * (size_t)page;
	madvise(c->map, whole, MADV_REMOVE);
}

void ir_store_release(ir_model *model, void *data, size_t size)
{
	store_chunk *c = block_at(model, data, size);
	if (!c || c->state != CHUNK_ROOM)
		return;
	give_back(c);
	c->state = CHUNK_RELEASED;
}

void ir_store_move(ir_model *model, const void *data, size_t size,
                   const void *copy)
{
	store_chunk *c = block_at(model, data, size);
	if (!c || c->state != CHUNK_TENSOR || c->owner->raw != data)
		return;
	give_back(c);
	c->state = CHUNK_MOVED;
	c->owner->raw = copy;
}

void ir_store_keep_mapping(ir_model *model, const void *map, size_t size)
{
	store_chunk *c = ir_xmalloc(sizeof *c);
	struct ir_store *s = store_of(model);
	*c = (store_chunk){(uint8_t *)map, size, CHUNK_OUTPUT, NULL, 0, false,
	                   s->chunks};
	s->chunks = c;
}

/* ------------------------------------------------------------ adoption */

int ir_store_adoptable_fd(const ir_model *model)
{
	const struct ir_store *s = model->store;
	return s && s->fd >= 0 && s->linkable && s->chunks ? s->fd : -1;
}

uint64_t ir_store_end(const ir_model *model)
{
	return model->store ? model->store->end : 0;
}

bool ir_store_place(ir_model *model, const void *data, size_t size,
                    uint64_t align, uint64_t *offset)
{
	if (ir_store_adoptable_fd(model) < 0)
		return false;
	store_chunk *c = block_at(model, data, size);
	if (!c || c->state != CHUNK_TENSOR || c->owner->raw != data ||
	    (align > 1 && c->offset % align != 0))
		return false;
	c->placed = true;
	*offset = c->offset;
	return true;
}

/* The chunk whose mapping holds [data, data + size), or NULL. Mappings
 * never overlap in memory, so there is at most one. */
static const store_chunk *chunk_holding(const ir_model *model,
                                        const void *data, size_t size)
{
	const uint8_t *p = data;
	for (const store_chunk *c = model->store ? model->store->chunks : NULL;
	     c; c = c->next)
		if (p >= c->map && p + size <= c->map + c->size)
			return c;
	return NULL;
}

bool ir_store_holds(const ir_model *model, const void *data, size_t size)
{
	const store_chunk *c = chunk_holding(model, data, size);
	return c && (c->state == CHUNK_ROOM || c->state == CHUNK_TENSOR);
}

void ir_store_unplace(ir_model *model)
{
	for (store_chunk *c = model->store ? model->store->chunks : NULL; c;
	     c = c->next)
		c->placed = false;
}

void ir_store_adopt(ir_model *model)
{
	struct ir_store *s = model->store;
	for (store_chunk *c = s->chunks; c; c = c->next) {
		if (c->state != CHUNK_ROOM && c->state != CHUNK_TENSOR)
			continue;
		if (c->placed) {
			/* Its tensor goes on reading the mapping, which is
			 * now the data file's. */
			c->state = CHUNK_OUTPUT;
			c->placed = false;
			continue;
		}
		/* No saved tensor holds it: a room nobody took, or the
		 * bytes of a tensor no longer in the model. */
		give_back(c);
		c->state = c->state == CHUNK_ROOM ? CHUNK_RELEASED : CHUNK_MOVED;
	}
	/* The file is the data file's now: new blocks go to a new one. */
	close(s->fd);
	s->fd = STORE_NOT_OPENED;
	s->end = 0;
}

void ir_memory_touched(ir_model *model, size_t size)
{
	if (size < IR_STORE_MIN)
		return;
	struct ir_store *s = store_of(model);
	if ((s->since_trim += size) >= TRIM_EVERY)
		ir_memory_trim(model);
}

bool ir_memory_is_mapped(const ir_model *model, const void *data, size_t size)
{
	const uint8_t *p = data;
	for (const ir_data_file *f = model->data_files; f; f = f->next)
		if (f->map && p >= f->map && p + size <= f->map + f->size)
			return true;
	const ir_buffer *file = model->file;
	return (file && file->kind == IR_BUFFER_MAPPED && p >= file->data &&
	        p + size <= file->data + file->size) ||
	       ir_store_contains(model, data, size);
}

bool ir_store_contains(const ir_model *model, const void *data, size_t size)
{
	return chunk_holding(model, data, size) != NULL;
}

void ir_memory_trim(ir_model *model)
{
	if (model->store)
		model->store->since_trim = 0;
	for (const store_chunk *c = model->store ? model->store->chunks : NULL;
	     c; c = c->next)
		madvise(c->map, c->size, MADV_DONTNEED);
	for (const ir_data_file *f = model->data_files; f; f = f->next)
		if (f->map)
			madvise((void *)f->map, f->size, MADV_DONTNEED);
	const ir_buffer *file = model->file;
	if (file && file->kind == IR_BUFFER_MAPPED && file->size)
		madvise((void *)file->data, file->size, MADV_DONTNEED);
}

void ir_store_close(ir_model *model)
{
	struct ir_store *s = model->store;
	if (!s)
		return;
	store_chunk *c = s->chunks;
	while (c) {
		store_chunk *next = c->next;
		munmap(c->map, c->size);
		free(c);
		c = next;
	}
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	model->store = NULL;
}
