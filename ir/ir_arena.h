/*
 * ir_arena.h - allocation primitives shared by ir/ and passes/ (internal).
 */
#ifndef ONNXOPT_IR_ARENA_H
#define ONNXOPT_IR_ARENA_H

#include <setjmp.h>
#include <stddef.h>

struct ir_arena;

struct ir_arena *ir_arena_create(void);
/* An arena for scratch work (the evaluator, the verifier, the exporter):
 * if memory runs out while it lives, the unwind below frees it. */
struct ir_arena *ir_arena_create_scratch(void);
void *ir_arena_alloc(struct ir_arena *arena, size_t size); /* zeroed */
void *ir_arena_alloc_uninit(struct ir_arena *arena, size_t size);
char *ir_arena_strdup(struct ir_arena *arena, const char *s);
size_t ir_arena_total(const struct ir_arena *arena);
void ir_arena_free(struct ir_arena *arena);

void *ir_xmalloc(size_t size);
void *ir_xcalloc(size_t count, size_t size);
void *ir_xrealloc(void *old, size_t size);
/* Every allocation that fails ends here. Inside an ir_oom_handler it
 * frees the scratch arenas created since the handler was entered and
 * longjmps to it; outside one (tools and tests using the IR directly) it
 * prints a message and aborts. */
_Noreturn void ir_out_of_memory(void);
#ifdef ONNXOPT_TEST_HOOKS
/* Make the nth ir_x* allocation from now fail as if memory ran out
 * (test builds only; 0: none). */
void ir_test_fail_allocation(long nth);
#endif

/* Recovering from running out of memory, which the library reports as an
 * error (ONNXOPT_ERR_NOMEM) rather than ending the process:
 *
 *     ir_oom_handler oom;
 *     ir_oom_enter(&oom);
 *     if (setjmp(oom.jump)) {
 *             ... memory ran out: oom is already left; locals changed
 *             ... after setjmp must be volatile to be read here
 *             return NOMEM;
 *     }
 *     ... work ...
 *     ir_oom_leave(&oom);
 *
 * Handlers nest (the innermost catches; it may clean up and call
 * ir_out_of_memory() again to pass the failure outward). Whatever the
 * interrupted code was building is in an unknown state: the caller must
 * not use it again, only free what it can free without walking it. */
typedef struct ir_oom_handler {
	jmp_buf jump;
	struct ir_oom_handler *outer;
	struct ir_arena *scratch; /* live scratch arenas, a linked list */
} ir_oom_handler;
void ir_oom_enter(ir_oom_handler *handler);
void ir_oom_leave(ir_oom_handler *handler);
void *ir_arena_grow(struct ir_arena *arena, void *array, int *cap, int need,
                    size_t elem_size);

#endif
