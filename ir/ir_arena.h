/*
 * ir_arena.h - allocation primitives shared by ir/ and passes/ (internal).
 */
#ifndef ONNXOPT_IR_ARENA_H
#define ONNXOPT_IR_ARENA_H

#include <stddef.h>

struct ir_arena;

struct ir_arena *ir_arena_create(void);
void *ir_arena_alloc(struct ir_arena *arena, size_t size); /* zeroed */
void *ir_arena_alloc_uninit(struct ir_arena *arena, size_t size);
char *ir_arena_strdup(struct ir_arena *arena, const char *s);
size_t ir_arena_total(const struct ir_arena *arena);
void ir_arena_free(struct ir_arena *arena);

void *ir_xmalloc(size_t size);
void *ir_xcalloc(size_t count, size_t size);
void *ir_xrealloc(void *old, size_t size);
_Noreturn void ir_out_of_memory(void);
void *ir_arena_grow(struct ir_arena *arena, void *array, int *cap, int need,
                    size_t elem_size);

#endif
