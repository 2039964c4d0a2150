/*
 * eliminate_duplicate_initializer.c - merge initializers with equal
 * content.
 *
 *   before:  W1 = [1,2,3] -> MatMul(x, W1)      W2 = [1,2,3] -> Add(y, W2)
 *   after:   W1 = [1,2,3] -> MatMul(x, W1),  Add(y, W1)
 *
 * Two initializers are equal when element type, dims and every byte of
 * data are equal (strings element by element). The later one's readers
 * move to the earlier one, which is kept, and the later one is removed.
 * A hash of type, dims and a fixed-size sample of the bytes picks the
 * candidates; only those are compared in full. So the pass reads little
 * more than the tensors that really are duplicates, and never copies a
 * weight borrowed from the file.
 *
 * Scopes: graphs are visited parents first, so an initializer of a
 * subgraph can be replaced by an equal one of the same subgraph or of any
 * graph enclosing it (both are visible there); never by one of a sibling
 * or nested graph. Each reader must still resolve the kept initializer's
 * name to it (a subgraph may define a value of that name).
 *
 * Legality:
 *  - only initializers that are constants: not also graph inputs (those
 *    are defaults a caller may override), not sparse, not external (their
 *    bytes are not at hand);
 *  - the removed initializer is not a graph output (its name is part of
 *    the graph's interface).
 */
#include <stdlib.h>
#include <string.h>

#include "ir_arena.h"
#include "pass_util.h"

typedef struct candidate {
	ir_value *value;
	const void *data; /* NULL for STRING tensors */
	size_t size;
} candidate;

typedef struct bucket {
	uint64_t hash;
	candidate *entries;
	int n, cap;
	UT_hash_handle hh;
} bucket;

typedef struct dedup {
	ir_model *model;
	bucket *table;
} dedup;

/* Equal tensors hash equal; the sample keeps hashing cheap for big ones. */
static uint64_t hash_sample(uint64_t h, const uint8_t *data, size_t size)
{
	enum { EDGE = 1024, CHUNKS = 32, CHUNK = 64 };
	if (size <= 2 * EDGE + CHUNKS * CHUNK)
		return ir_hash_bytes(h, data, size);
	h = ir_hash_bytes(h, data, EDGE);
	h = ir_hash_bytes(h, data + size - EDGE, EDGE);
	size_t stride = (size - 2 * EDGE - CHUNK) / CHUNKS;
	for (size_t k = 0; k < CHUNKS; k++)
		h = ir_hash_bytes(h, data + EDGE + k * stride, CHUNK);
	return ir_hash_bytes(h, &size, sizeof size);
}

/* Read the tensor behind an initializer; false for those left alone. */
static bool read_candidate(ir_model *model, ir_value *v, candidate *out,
                           uint64_t *hash)
{
	const ir_tensor *t = v->tensor;
	if (!ir_value_is_constant(v) || v->sparse || !t || t->external)
		return false;
	uint64_t h = IR_HASH_SEED;
	h = ir_hash_bytes(h, &t->elem_type, sizeof t->elem_type);
	h = ir_hash_bytes(h, &t->rank, sizeof t->rank);
	h = ir_hash_bytes(h, t->dims, sizeof *t->dims * (size_t)t->rank);
	out->value = v;
	out->data = NULL;
	out->size = 0;
	if (t->elem_type == IR_STRING) {
		int64_t n = ir_tensor_numel(t);
		if (n < 0)
			return false;
		for (int64_t i = 0; i < n; i++) {
			ProtobufCBinaryData s;
			if (!ir_tensor_string(t, i, &s))
				return false;
			h = ir_hash_bytes(h, &s.len, sizeof s.len);
			h = ir_hash_bytes(h, s.data, s.len);
		}
	} else if (!ir_tensor_bytes(model, t, &out->data, &out->size)) {
		return false;
	} else {
		h = hash_sample(h, out->data, out->size);
	}
	*hash = h;
	return true;
}

static bool same_content(const candidate *a, const candidate *b)
{
	const ir_tensor *x = a->value->tensor, *y = b->value->tensor;
	if (x->elem_type != y->elem_type || x->rank != y->rank ||
	    (x->rank > 0 &&
	     memcmp(x->dims, y->dims, sizeof *x->dims * (size_t)x->rank)))
		return false;
	if (x->elem_type != IR_STRING)
		return a->size == b->size && !memcmp(a->data, b->data, a->size);
	int64_t n = ir_tensor_numel(x);
	for (int64_t i = 0; i < n; i++) {
		ProtobufCBinaryData s, t;
		if (!ir_tensor_string(x, i, &s) ||
		    !ir_tensor_string(y, i, &t) || s.len != t.len ||
		    (s.len && memcmp(s.data, t.data, s.len)))
			return false;
	}
	return true;
}

static bool encloses(const ir_graph *outer, const ir_graph *inner)
{
	for (const ir_graph *g = inner; g; g = g->parent)
		if (g == outer)
			return true;
	return false;
}

/* May `keep` stand in for `drop` at every reader of `drop`? */
static bool can_replace(const ir_value *keep, const ir_value *drop)
{
	if (!encloses(keep->graph, drop->graph) ||
	    ir_value_is_graph_output(drop))
		return false;
	for (int u = 0; u < drop->n_uses; u++)
		if (ir_graph_lookup(drop->uses[u].node->graph, keep->name) !=
		    keep)
			return false;
	return true;
}

static void remember(bucket **table, uint64_t hash, const candidate *c)
{
	bucket *b = NULL;
	HASH_FIND(hh, *table, &hash, sizeof hash, b);
	if (!b) {
		b = ir_xcalloc(1, sizeof *b);
		b->hash = hash;
		HASH_ADD(hh, *table, hash, sizeof b->hash, b);
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 4;
		b->entries = ir_xrealloc(b->entries,
		                         sizeof *b->entries * (size_t)b->cap);
	}
	b->entries[b->n++] = *c;
}

static int merge_in_graph(ir_graph *graph, void *ctx)
{
	dedup *d = ctx;
	int changes = 0;
	/* Removing an initializer shifts the list; walk a snapshot. */
	int n = graph->n_initializers;
	ir_value **snapshot = ir_xmalloc(sizeof *snapshot * (size_t)(n + 1));
	if (n > 0)
		memcpy(snapshot, graph->initializers,
		       sizeof *snapshot * (size_t)n);
	for (int i = 0; i < n; i++) {
		ir_value *v = snapshot[i];
		candidate c;
		uint64_t hash;
		if (!read_candidate(d->model, v, &c, &hash))
			continue;
		bucket *b = NULL;
		HASH_FIND(hh, d->table, &hash, sizeof hash, b);
		const candidate *kept = NULL;
		for (int k = 0; b && k < b->n && !kept; k++)
			if (same_content(&b->entries[k], &c) &&
			    can_replace(b->entries[k].value, v))
				kept = &b->entries[k];
		if (!kept) {
			remember(&d->table, hash, &c);
			continue;
		}
		ir_value_replace_all_uses(v, kept->value);
		ir_initializer_remove(v);
		changes++;
	}
	free(snapshot);
	return changes;
}

static int run_eliminate_duplicate_initializer(ir_model *model,
                                               pass_context *ctx,
                                               ir_status *status)
{
	(void)ctx;
	(void)status;
	dedup d = {model, NULL};
	int changes = pass_for_each_graph(model, merge_in_graph, &d);
	bucket *b, *tmp;
	HASH_ITER(hh, d.table, b, tmp)
	{
		HASH_DEL(d.table, b);
		free(b->entries);
		free(b);
	}
	return changes;
}

const pass pass_eliminate_duplicate_initializer = {
    .name = "eliminate_duplicate_initializer",
    .group = "eliminate",
    .summary = "merge initializers with equal type, dims and data",
    .run = run_eliminate_duplicate_initializer,
};
