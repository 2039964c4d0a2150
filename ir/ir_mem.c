/*
 * ir_mem.c - the one place onnx-opt allocates memory.
 *
 * IR objects live in a per-model bump arena and are freed all at once with
 * the model. Growable arrays (use lists, graph lists) live there too:
 * ir_arena_grow doubles them into a new arena block and abandons the old
 * one, so nothing in the IR is freed on its own. Scratch work (the
 * evaluator, the verifier) uses arenas of its own, freed when it ends.
 * Running out of memory is not a property of the input model; the
 * library catches it with an ir_oom_handler (ir_arena.h) and reports it
 * as an error value, and only code running outside one (tools and tests
 * that use the IR directly) ends the process, with a message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir_arena.h"
#include "ir_status.h"

bool ir_fail(ir_status *status, ir_status_code code, const char *format, ...)
{
	if (!status)
		return false;
	/* Keep the first error: it names the root cause. */
	if (status->code != IR_OK)
		return false;
	status->code = code;
	va_list args;
	va_start(args, format);
	vsnprintf(status->message, sizeof status->message, format, args);
	va_end(args);
	return false;
}

/* Chunks grow geometrically so that a big model costs few mallocs; an
 * allocation larger than a chunk gets a chunk of its own. */
struct ir_arena_chunk {
	struct ir_arena_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

struct ir_arena {
	struct ir_arena_chunk *head;
	size_t next_size;
	size_t total;
	/* A scratch arena's place in its handler's list (prev points at the
	 * pointer that points here). */
	struct ir_arena *oom_next, **oom_prev;
};

static _Thread_local ir_oom_handler *oom_current;

void ir_oom_enter(ir_oom_handler *handler)
{
	handler->outer = oom_current;
	handler->scratch = NULL;
	oom_current = handler;
}

/* Scratch arenas still on the handler's list move to the outer one. */
static void oom_pop(ir_oom_handler *handler)
{
	oom_current = handler->outer;
	struct ir_arena *a = handler->scratch;
	handler->scratch = NULL;
	while (a) {
		struct ir_arena *next = a->oom_next;
		a->oom_next = NULL;
		a->oom_prev = NULL;
		if (oom_current) {
			a->oom_next = oom_current->scratch;
			if (a->oom_next)
				a->oom_next->oom_prev = &a->oom_next;
			oom_current->scratch = a;
			a->oom_prev = &oom_current->scratch;
		}
		a = next;
	}
}

void ir_oom_leave(ir_oom_handler *handler)
{
	if (oom_current == handler)
		oom_pop(handler);
}

_Noreturn void ir_out_of_memory(void)
{
	ir_oom_handler *handler = oom_current;
	if (!handler) {
		fputs("onnx-opt: out of memory\n", stderr);
		abort();
	}
	oom_current = handler->outer;
	while (handler->scratch)
		ir_arena_free(handler->scratch);
	longjmp(handler->jump, 1);
}

#ifdef ONNXOPT_TEST_HOOKS
/* Test builds (-Dtest_hooks=true) can make an allocation fail on
 * purpose, to prove that every path out of memory cleans up. */
static _Thread_local long allocations_until_failure;

void ir_test_fail_allocation(long nth)
{
	allocations_until_failure = nth;
}

static bool allocation_fails_on_purpose(void)
{
	return allocations_until_failure > 0 &&
	       --allocations_until_failure == 0;
}
#else
static bool allocation_fails_on_purpose(void)
{
	return false;
}
#endif

void *ir_xmalloc(size_t size)
{
	void *p =
	    allocation_fails_on_purpose() ? NULL : malloc(size ? size : 1);
	if (!p)
		ir_out_of_memory();
	return p;
}

void *ir_xcalloc(size_t count, size_t size)
{
	void *p = allocation_fails_on_purpose()
	              ? NULL
	              : calloc(count ? count : 1, size ? size : 1);
	if (!p)
		ir_out_of_memory();
	return p;
}

void *ir_xrealloc(void *old, size_t size)
{
	void *p = allocation_fails_on_purpose() ? NULL
	                                        : realloc(old, size ? size : 1);
	if (!p)
		ir_out_of_memory();
	return p;
}

struct ir_arena *ir_arena_create(void)
{
	struct ir_arena *arena = ir_xcalloc(1, sizeof *arena);
	arena->next_size = 64 * 1024;
	return arena;
}

struct ir_arena *ir_arena_create_scratch(void)
{
	struct ir_arena *arena = ir_arena_create();
	if (oom_current) {
		arena->oom_next = oom_current->scratch;
		if (arena->oom_next)
			arena->oom_next->oom_prev = &arena->oom_next;
		oom_current->scratch = arena;
		arena->oom_prev = &oom_current->scratch;
	}
	return arena;
}

void *ir_arena_alloc(struct ir_arena *arena, size_t size)
{
	void *p = ir_arena_alloc_uninit(arena, size);
	memset(p, 0, (size + 15) & ~(size_t)15);
	return p;
}

/* For blocks the caller fills at once (copies of tensor data): zeroing
 * them first would touch every page twice. */
void *ir_arena_alloc_uninit(struct ir_arena *arena, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	struct ir_arena_chunk *chunk = arena->head;
	if (!chunk || chunk->size - chunk->used < size) {
		size_t chunk_size = arena->next_size;
		if (chunk_size < size)
			chunk_size = size;
		else if (arena->next_size < 8 * 1024 * 1024)
			arena->next_size *= 2;
		chunk = ir_xmalloc(sizeof *chunk + chunk_size);
		chunk->used = 0;
		chunk->size = chunk_size;
		chunk->next = arena->head;
		arena->head = chunk;
	}
	void *p = chunk->data + chunk->used;
	chunk->used += size;
	arena->total += size;
	return p;
}

char *ir_arena_strdup(struct ir_arena *arena, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = ir_arena_alloc(arena, n);
	memcpy(p, s, n);
	return p;
}

size_t ir_arena_total(const struct ir_arena *arena)
{
	return arena->total;
}

void ir_arena_free(struct ir_arena *arena)
{
	if (!arena)
		return;
	if (arena->oom_prev) {
		*arena->oom_prev = arena->oom_next;
		if (arena->oom_next)
			arena->oom_next->oom_prev = arena->oom_prev;
	}
	struct ir_arena_chunk *chunk = arena->head;
	while (chunk) {
		struct ir_arena_chunk *next = chunk->next;
		free(chunk);
		chunk = next;
	}
	free(arena);
}

/* Arrays that grow by doubling inside the arena: the old block is simply
 * abandoned, which wastes at most as much as is in use and keeps every
 * IR array freed with its model. */
void *ir_arena_grow(struct ir_arena *arena, void *array, int *cap, int need,
                    size_t elem_size)
{
	if (need <= *cap)
		return array;
	int new_cap = *cap ? *cap : 4;
	while (new_cap < need)
		new_cap *= 2;
	void *grown = ir_arena_alloc(arena, (size_t)new_cap * elem_size);
	if (*cap)
		memcpy(grown, array, (size_t)*cap * elem_size);
	*cap = new_cap;
	return grown;
}
