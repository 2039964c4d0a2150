/*
 * ir_external.h - tensors stored outside the model file (internal to ir/).
 *
 * Reading: ir_external.c maps each data file once and points tensors at
 * their bytes. Writing: ir_external_write.c lays out and writes one data
 * file beside the output.
 */
#ifndef ONNXOPT_IR_EXTERNAL_H
#define ONNXOPT_IR_EXTERNAL_H

#include <sys/types.h>

#include "ir.h"

/* One external data file, mapped read-only for the model's lifetime. */
struct ir_data_file {
	int fd; /* kept open for copy_file_range; -1 when closed */
	const uint8_t *map;
	size_t size;
	dev_t dev;
	ino_t ino;
	struct ir_data_file *next; /* model->data_files list */
};
typedef struct ir_data_file ir_data_file;

/* Resolve every EXTERNAL tensor of the model against `folder` (the model
 * file's folder). False, with a message naming the tensor and its location,
 * for a location that is absolute, escapes the folder (by `..` or a
 * symlink), is not a regular file, or is shorter than offset + length. */
bool ir_external_resolve(ir_model *model, const char *folder,
                         ir_status *status);
/* Bytes of the model file and its data files, as loaded. */
uint64_t ir_model_input_bytes(const ir_model *model);
/* Unmap and close the model's data files. */
void ir_external_close(ir_model *model);
/* Drop the pages of [data, data + size) of a read-only file mapping
 * from memory once they are no longer needed. */
void ir_external_release_pages(const void *data, size_t size);
/* Whether `t`'s bytes are still the ones mapped from its data file. */
bool ir_external_unchanged(const ir_tensor *t);

/* ---------------------------------------------------------------- store */

/* Tensors of this many bytes or more that passes create go to the
 * file-backed store (ir_store.c) instead of the heap. */
#define IR_STORE_MIN ((size_t)1 << 20)
/* size bytes in the store, or NULL (too small, or no store: use the
 * heap). */
void *ir_store_alloc(ir_model *model, size_t size);
/* A room (a block from ir_store_alloc not yet taken) becomes the bytes of
 * `owner`; false when data/size is no such room (then copy it). */
bool ir_store_take(ir_model *model, const void *data, size_t size,
                   ir_tensor *owner);
/* Give back a room no tensor took: its pages and its disk blocks. */
void ir_store_release(ir_model *model, void *data, size_t size);
/* The bytes of a tensor's store block were written to an output, now
 * mapped at `copy`: the tensor reads them there from now on, and the
 * block's pages and disk blocks go back at once, so that the page cache
 * they held takes what is written next (nothing when data/size is no
 * tensor's whole block). */
void ir_store_move(ir_model *model, const void *data, size_t size,
                   const void *copy);
/* Adoption (see ir_store.c): the store's file, when a save may give it a
 * name as its data file (an O_TMPFILE with blocks), or -1. */
int ir_store_adoptable_fd(const ir_model *model);
/* The store file's size: where a data file adopting it appends. */
uint64_t ir_store_end(const ir_model *model);
/* If data/size is a tensor's whole block in an adoptable store, at an
 * offset that is a multiple of align: mark it placed and give that
 * offset. */
bool ir_store_place(ir_model *model, const void *data, size_t size,
                    uint64_t align, uint64_t *offset);
/* Whether [data, data + size) lies in a store block of the current file
 * (a room or a tensor's bytes), which adoption may give back. */
bool ir_store_holds(const ir_model *model, const void *data, size_t size);
/* Forget the marks of ir_store_place (a layout started over). */
void ir_store_unplace(ir_model *model);
/* The store's file has become a data file: placed blocks stay mapped
 * there for their tensors, every other block is given back (no tensor
 * of the saved model holds it), and new blocks go to a new file. */
void ir_store_adopt(ir_model *model);
/* Keep a read-only mapping of a written data file until the store closes
 * (ir_store_contains covers it, ir_memory_trim drops its pages). */
void ir_store_keep_mapping(ir_model *model, const void *map, size_t size);
/* Note that size bytes of the store or of a mapped input were written or
 * handed to a reader: trims every 64 MiB so noted. */
void ir_memory_touched(ir_model *model, size_t size);
/* Whether [data, data + size) lies in an input mapping or the store. */
bool ir_memory_is_mapped(const ir_model *model, const void *data, size_t size);
bool ir_store_contains(const ir_model *model, const void *data, size_t size);
/* Drop the resident pages of the store and of the input's mappings. */
void ir_memory_trim(ir_model *model);
void ir_store_close(ir_model *model);

/* ------------------------------------------------------------- writing */

/* Save progress: bytes written of the total, reported to fn. */
typedef struct ir_progress {
	void (*fn)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
	uint64_t done, total;
} ir_progress;
void ir_progress_add(ir_progress *progress, uint64_t bytes);

typedef struct ir_layout_entry {
	const ir_tensor *tensor;
	const void *bytes;
	size_t size;
	uint64_t offset;
	bool in_store; /* already at offset in the adopted store file */
} ir_layout_entry;

/* Which tensors go to the data file, and where. */
typedef struct ir_layout {
	ir_model *model;
	bool all; /* every tensor of threshold bytes or more; otherwise
	           * follow the input (see ir_layout_wants) */
	uint64_t threshold, align;
	const char *location; /* the data file's name, beside the model */
	ir_layout_entry *entries;
	size_t n, cap;
	uint64_t end; /* the data file's size */
	/* Adopting the store's file as the data file: computed tensors
	 * keep their store offsets, the rest go after the store's end. */
	bool adopt;
	/* A tensor with its bytes in the store went inline (or stayed
	 * where adoption cannot keep it): the store cannot be adopted. */
	bool store_inlined;
} ir_layout;

void ir_layout_init(ir_layout *layout, ir_model *model, bool all,
                    uint64_t threshold, uint64_t align, const char *location);
void ir_layout_free(ir_layout *layout);
/* Start placing again, with no entries. */
void ir_layout_reset(ir_layout *layout);
/* Note that a tensor's data goes inline: adoption must not then give
 * its store block back. */
void ir_layout_note_inline(ir_layout *layout, const ir_tensor *tensor);
/* Whether the tensor's data goes to the data file (layout NULL: no). */
bool ir_layout_wants(const ir_layout *layout, const ir_tensor *tensor);
/* Give the tensor a place in the data file and make tp refer to it;
 * false (tp untouched) when its bytes cannot be had. */
struct ir_arena;
bool ir_layout_place(ir_layout *layout, struct ir_arena *arena,
                     const ir_tensor *tensor, Onnx__TensorProto *tp);
/* Make tp carry the tensor's (mapped) bytes inline as raw_data. */
void ir_layout_inline(const ir_tensor *tensor, Onnx__TensorProto *tp);
/* Write the data file to fd, each entry at its offset (gaps are holes);
 * with layout->adopt, fd is the store's file and the entries in it are
 * there already. */
bool ir_layout_write(const ir_layout *layout, int fd, ir_progress *progress,
                     ir_status *status);
/* Copy size bytes at offset of file `from` to `to` (at its position) in
 * the kernel, never through user memory; false (nothing or part copied:
 * *copied says how much) when the caller must write the rest itself. */
bool ir_copy_in_kernel(int from, uint64_t offset, size_t size, int to,
                       size_t *copied);
/* Drop written pages that were mapped from the model's input files. */
void ir_release_if_mapped(const ir_model *model, const void *data, size_t size);

#endif
