/*
 * eliminate_duplicate_shape_value.c - a shape tensor that provably equals
 * one computed earlier is replaced by it.
 *
 *   before:  ids:[batch,seq] -> Shape -> Gather(1) -> s ------------> A
 *            h:[batch,seq,256] -> Shape -> Gather(1) -> t ----------> B
 *            k:[batch,2,past+seq,64] -> Shape -> Gather(2) -> u -+
 *            past_key:[batch,2,past,64] -> Shape -> Gather(2) ----+-> Sub -> v
 *            Concat(Unsqueeze(batch), [-1,-1]) -> Equal(-1) -> Where -> w
 *   after:   ids -> Shape -> Gather(1) -> s -> A, B
 *            v and w: read from the first values equal to them
 *
 * Shape inference evaluates small integer tensors element by element as
 * expressions in the model's symbols (shape_value_of; fresh "unk__N"
 * symbols for dims nothing names, "min(A,B)" atoms for clamps). Two such
 * tensors with the same element type, rank and elements are the same
 * tensor for every input the model accepts, so readers of the later one
 * can read the earlier one. Exports repeat the same Shape -> Gather chain
 * in every layer (Hugging Face's Conv1D, repeat_kv, attention masks);
 * after this pass one chain serves them all, and CSE then merges the
 * Unsqueezes and Concats built on top, which this pass merges in turn on
 * the next iteration.
 *
 * Legality:
 *  - every element of both tensors is a known expression (unknown
 *    elements are never equal); a tensor whose elements are all constants
 *    is left to fold_constants;
 *  - symbols are exact: equal names are equal sizes (dim.h), and each
 *    follower of value_ops.c reports only exact elements; a min() atom is
 *    equal only to the same min() atom, never simplified without bounds;
 *  - only values of one graph are compared (a fresh symbol of a Loop
 *    body stands for one iteration's size), the earlier one in
 *    topological order is kept, so it is defined before every reader of
 *    the later one, and the readers of the later one must resolve the
 *    earlier one's name to it (no subgraph shadows it);
 *  - graph outputs are left alone (their names must survive);
 *  - the element type and rank the value's type states agree with the
 *    evaluated ones.
 * The later value's computation, left without readers, is removed.
 */
#include <stdlib.h>

#include "ir_arena.h"
#include "match.h"
#include "pass_util.h"
#include "shape/shape.h"
#include "shape/value.h"

typedef struct seen_value {
	uint64_t hash;
	ir_value *value;
	shape_value contents;
	struct seen_value *next_same_hash;
	UT_hash_handle hh;
} seen_value;

typedef struct replacement {
	ir_value *from, *to;
} replacement;

static bool is_shape_tensor_type(const ir_value *v)
{
	return v && v->type.is_tensor && v->type.rank >= 0 &&
	       v->type.rank <= 1 && value_is_integer_elem(v->type.elem_type);
}

/* Every element known, at least one not a constant. */
static bool symbolic_and_exact(const shape_value *sv)
{
	bool symbolic = false;
	for (int i = 0; i < sv->n; i++) {
		int64_t c;
		if (!sv->elems[i].known)
			return false;
		if (!dim_is_const(&sv->elems[i], &c))
			symbolic = true;
	}
	return symbolic;
}

/* The first value seen with these contents, or NULL after recording v as
 * the first. */
static ir_value *first_equal(seen_value **table, ir_value *v,
                             const shape_value *sv)
{
	uint64_t h = shape_value_hash(sv);
	seen_value *head;
	HASH_FIND(hh, *table, &h, sizeof h, head);
	for (seen_value *s = head; s; s = s->next_same_hash)
		if (shape_value_equal(&s->contents, sv))
			return s->value;
	seen_value *s = ir_xcalloc(1, sizeof *s);
	s->hash = h;
	s->value = v;
	s->contents = *sv;
	if (head) {
		s->next_same_hash = head->next_same_hash;
		head->next_same_hash = s;
	} else {
		HASH_ADD(hh, *table, hash, sizeof s->hash, s);
	}
	return NULL;
}

static void free_table(seen_value *table)
{
	seen_value *head, *tmp;
	HASH_ITER(hh, table, head, tmp)
	{
		HASH_DEL(table, head);
		for (seen_value *s = head; s;) {
			seen_value *next = s->next_same_hash;
			free(s);
			s = next;
		}
	}
}

static int eliminate_in_graph(ir_graph *graph, void *ctx)
{
	(void)ctx;
	replacement *todo = NULL;
	int n_todo = 0, cap_todo = 0;
	seen_value *table = NULL;
	shape_analysis *analysis = shape_values_begin(graph->model);
	ir_graph_for_each_node(graph, node)
	{
		if (node->n_outputs < 1 ||
		    !is_shape_tensor_type(node->outputs[0]))
			continue;
		ir_value *v = node->outputs[0];
		if (v->n_uses == 0) /* dead: dce's, not a change of ours */
			continue;
		shape_value sv;
		if (!shape_values_get(analysis, v, &sv) ||
		    sv.elem_type != v->type.elem_type ||
		    sv.rank != v->type.rank || !symbolic_and_exact(&sv))
			continue;
		ir_value *earlier = first_equal(&table, v, &sv);
		if (!earlier || ir_value_is_graph_output(v) ||
		    !ir_value_readers_see(v, earlier))
			continue;
		if (n_todo == cap_todo) {
			cap_todo = cap_todo ? 2 * cap_todo : 16;
			todo =
			    ir_xrealloc(todo, sizeof *todo * (size_t)cap_todo);
		}
		todo[n_todo++] = (replacement){v, earlier};
	}
	/* Memoized values must not outlive the graph they describe: rewrite
	 * only once the analysis is gone. Every redirection comes before any
	 * removal, so a value kept as the earlier one is read again before
	 * its old readers can go. */
	shape_values_end(analysis);
	free_table(table);
	for (int i = 0; i < n_todo; i++)
		ir_value_replace_all_uses(todo[i].from, todo[i].to);
	for (int i = 0; i < n_todo; i++)
		match_remove_dead_producers(todo[i].from);
	free(todo);
	return n_todo;
}

static int run_eliminate_duplicate_shape_value(ir_model *model,
                                               pass_context *ctx,
                                               ir_status *status)
{
	(void)ctx;
	(void)status;
	return pass_for_each_graph(model, eliminate_in_graph, NULL);
}

const pass pass_eliminate_duplicate_shape_value = {
    .name = "eliminate_duplicate_shape_value",
    .group = "eliminate",
    .summary = "read a shape tensor from the first value that provably "
               "holds the same elements",
    .needs = ANALYSIS_TYPES,
    .run = run_eliminate_duplicate_shape_value,
};
