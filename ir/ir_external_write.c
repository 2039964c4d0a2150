/*
 * ir_external_write.c - writing tensors to one data file beside the output.
 *
 * The exporter asks ir_layout_wants() for each tensor; a tensor that goes
 * external gets an offset in the data file (aligned so that runtimes can
 * mmap it) and a TensorProto that refers to it. ir_layout_write() then
 * writes the data file in that order, each tensor once: an unchanged
 * external tensor is copied file to file with copy_file_range, never
 * passing through user memory where the OS allows it; any other is written
 * from its bytes, and pages mapped from an input are dropped once written.
 *
 * When the data file adopts the store's file (layout->adopt, see
 * ir_store.c), a computed tensor keeps its store offset and is not
 * written at all; everything else goes after the store's end. Adoption
 * is off as soon as a tensor whose bytes sit in the store would not stay
 * there (inline, or misaligned), since adopting gives back every store
 * block the data file does not keep.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ir_arena.h"
#include "ir_external.h"
#include "ir_impl.h"

void ir_layout_init(ir_layout *layout, ir_model *model, bool all,
                    uint64_t threshold, uint64_t align, const char *location)
{
	memset(layout, 0, sizeof *layout);
	layout->model = model;
	layout->all = all;
	layout->threshold = threshold;
	layout->align = align ? align : 1;
	layout->location = location;
}

void ir_layout_reset(ir_layout *layout)
{
	layout->n = 0;
	layout->store_inlined = false;
	ir_store_unplace(layout->model);
	/* Adopting, the rest goes after the store's blocks (each entry
	 * aligned when placed). */
	layout->end = layout->adopt ? ir_store_end(layout->model) : 0;
}

void ir_layout_note_inline(ir_layout *layout, const ir_tensor *t)
{
	if (layout && layout->adopt && t->raw && t->elem_type != IR_STRING &&
	    ir_store_holds(layout->model, t->raw, t->raw_size))
		layout->store_inlined = true;
}

void ir_layout_free(ir_layout *layout)
{
	free(layout->entries);
	layout->entries = NULL;
	layout->n = layout->cap = 0;
	layout->end = 0;
}

/* Bytes the tensor's data takes, or 0 when it has no fixed-size data. */
static uint64_t data_size(const ir_tensor *t)
{
	int64_t numel = ir_tensor_numel(t);
	int bits = ir_elem_bits(t->elem_type);
	if (numel < 0 || bits == 0)
		return 0;
	return ((uint64_t)numel * (uint64_t)bits + 7) / 8;
}

bool ir_layout_wants(const ir_layout *layout, const ir_tensor *t)
{
	if (!layout || t->external || t->elem_type == IR_STRING)
		return false;
	uint64_t size = data_size(t);
	if (size == 0)
		return false;
	if (layout->all)
		return size >= layout->threshold;
	/* Following the input: what was external stays external, what
	 * passes computed goes by size, inline input tensors stay inline. */
	if (ir_external_unchanged(t))
		return true;
	bool computed = t->modified || !t->origin;
	return computed && size >= layout->threshold;
}

static char *decimal(struct ir_arena *arena, uint64_t v)
{
	char text[24];
	snprintf(text, sizeof text, "%" PRIu64, v);
	return ir_arena_strdup(arena, text);
}

static Onnx__StringStringEntryProto *key_value(struct ir_arena *arena,
                                               const char *key, char *value)
{
	Onnx__StringStringEntryProto *e = ir_arena_alloc(arena, sizeof *e);
	onnx__string_string_entry_proto__init(e);
	e->key = (char *)key;
	e->value = value;
	return e;
}

static void clear_typed_fields(Onnx__TensorProto *tp)
{
	tp->n_float_data = tp->n_int32_data = tp->n_int64_data = 0;
	tp->n_double_data = tp->n_uint64_data = tp->n_string_data = 0;
	tp->float_data = NULL;
	tp->int32_data = NULL;
	tp->int64_data = NULL;
	tp->double_data = NULL;
	tp->uint64_data = NULL;
	tp->string_data = NULL;
}

bool ir_layout_place(ir_layout *layout, struct ir_arena *arena,
                     const ir_tensor *t, Onnx__TensorProto *tp)
{
	const void *bytes;
	size_t size;
	if (!ir_tensor_bytes(layout->model, t, &bytes, &size))
		return false;
	uint64_t offset;
	bool in_store = layout->adopt &&
	                ir_store_place(layout->model, bytes, size,
	                               layout->align, &offset);
	if (!in_store) {
		offset = (layout->end + layout->align - 1) / layout->align *
		         layout->align;
		layout->end = offset + size;
		/* Bytes in a store block that cannot stay where they are
		 * (misaligned, or part of a block): adoption would give the
		 * block back under a tensor that may still read it. */
		if (layout->adopt && ir_store_holds(layout->model, bytes, size))
			layout->store_inlined = true;
	}
	if (layout->n == layout->cap) {
		layout->cap = layout->cap ? 2 * layout->cap : 64;
		layout->entries = ir_xrealloc(
		    layout->entries, sizeof *layout->entries * layout->cap);
	}
	layout->entries[layout->n++] =
	    (ir_layout_entry){t, bytes, size, offset, in_store};

	clear_typed_fields(tp);
	tp->has_raw_data = 0;
	tp->raw_data.len = 0;
	tp->raw_data.data = NULL;
	tp->has_data_location = 1;
	tp->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	Onnx__StringStringEntryProto **entries =
	    ir_arena_alloc(arena, 4 * sizeof *entries);
	size_t n = 0;
	entries[n++] = key_value(arena, "location", (char *)layout->location);
	entries[n++] = key_value(arena, "offset", decimal(arena, offset));
	entries[n++] = key_value(arena, "length", decimal(arena, size));
	/* The bytes are the input's: so is their checksum. */
	const Onnx__TensorProto *origin = t->origin;
	for (size_t i = 0;
	     ir_external_unchanged(t) && origin && i < origin->n_external_data;
	     i++)
		if (origin->external_data[i]->key &&
		    !strcmp(origin->external_data[i]->key, "checksum"))
			entries[n++] = origin->external_data[i];
	tp->n_external_data = n;
	tp->external_data = entries;
	return true;
}

void ir_layout_inline(const ir_tensor *t, Onnx__TensorProto *tp)
{
	clear_typed_fields(tp);
	tp->has_raw_data = 1;
	tp->raw_data.len = t->raw_size;
	tp->raw_data.data = (uint8_t *)t->raw;
	tp->has_data_location = 0;
	tp->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__DEFAULT;
	tp->n_external_data = 0;
	tp->external_data = NULL;
}

/* ---------------------------------------------------------------- write */

static bool write_all(int fd, const void *data, size_t size)
{
	const uint8_t *p = data;
	while (size > 0) {
		ssize_t n = write(fd, p, size > (1u << 30) ? (1u << 30) : size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += n;
		size -= (size_t)n;
	}
	return true;
}

bool ir_copy_in_kernel(int from, uint64_t offset, size_t size, int to,
                       size_t *copied)
{
	*copied = 0;
	if (from < 0 || to < 0)
		return false;
	loff_t in = (loff_t)offset;
	while (*copied < size) {
		ssize_t n =
		    copy_file_range(from, &in, to, NULL, size - *copied, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return false;
		}
		*copied += (size_t)n;
	}
	return true;
}

bool ir_layout_write(const ir_layout *layout, int fd, ir_progress *progress,
                     ir_status *status)
{
	/* Mapped whole before it is written; only written ranges are read:
	 * a computed tensor is read from here once written (ir_store_move).
	 */
	void *map = layout->end && layout->model->store
	                ? mmap(NULL, layout->end, PROT_READ, MAP_SHARED, fd, 0)
	                : MAP_FAILED;
	const uint8_t *written = map == MAP_FAILED ? NULL : map;
	if (written)
		ir_store_keep_mapping(layout->model, written, layout->end);
	for (size_t i = 0; i < layout->n; i++) {
		const ir_layout_entry *e = &layout->entries[i];
		if (e->in_store) { /* written when it was computed */
			ir_progress_add(progress, e->size);
			continue;
		}
		/* The tensor's bytes may have moved to this file already (a
		 * tensor placed twice). */
		const uint8_t *bytes =
		    e->tensor->raw ? e->tensor->raw : e->bytes;
		/* Each entry at its offset: alignment gaps stay holes. */
		if (lseek(fd, (off_t)e->offset, SEEK_SET) < 0)
			goto failed;
		size_t copied = 0;
		if (ir_external_unchanged(e->tensor))
			ir_copy_in_kernel(e->tensor->data_file->fd,
			                  e->tensor->data_offset, e->size, fd,
			                  &copied);
		if (copied < e->size &&
		    !write_all(fd, bytes + copied, e->size - copied))
			goto failed;
		ir_release_if_mapped(layout->model, bytes, e->size);
		if (written)
			ir_store_move(layout->model, bytes, e->size,
			              written + e->offset);
		ir_progress_add(progress, e->size);
	}
	struct stat st;
	if (fstat(fd, &st) != 0 ||
	    ((uint64_t)st.st_size < layout->end &&
	     ftruncate(fd, (off_t)layout->end) != 0))
		goto failed;
	return true;
failed:
	return ir_fail(status, IR_ERR_WRITE,
	               "cannot write the external data file: %s",
	               strerror(errno));
}

void ir_release_if_mapped(const ir_model *model, const void *data, size_t size)
{
	if (ir_memory_is_mapped(model, data, size))
		ir_external_release_pages(data, size);
}
