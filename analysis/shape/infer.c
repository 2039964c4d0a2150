/*
 * infer.c - the inference driver: walk graphs in order, ask the operator
 * table about each node, and merge what it reports into the IR.
 *
 * Merging only refines. For each output the driver keeps whatever the
 * model already states and fills in what it does not:
 *
 *   known element type   + different inferred type  -> contradiction
 *   known rank           + different inferred rank  -> contradiction
 *   static dim           + different static dim     -> contradiction
 *   static dim           + symbolic dim             -> keep the static dim
 *   symbolic dim (named) + static dim               -> the static dim
 *   symbolic dim (named) + other symbolic dim       -> keep the model's name
 *   unknown              + anything                 -> the inferred one
 *
 * On a contradiction the value is left exactly as it was: the model (or
 * our inference) is wrong there, and neither should overwrite the other.
 * Inference is a single topological sweep; bodies are inferred when their
 * owning node is reached, after everything they can read from outside.
 */
#include <stdlib.h>
#include <string.h>

#include "infer.h"
#include "ir_arena.h"

static bool dim_is_static(const ir_dim *d)
{
	return d->kind == IR_DIM_VALUE && d->value >= 0;
}

void shape_refine_value(shape_analysis *analysis, ir_value *value,
                        const shape_type *type)
{
	if (!value || !value->type.is_tensor)
		return;
	const ir_type *old = &value->type;
	int elem = old->elem_type;
	bool changed = false;
	if (type->elem != IR_UNDEFINED) {
		if (elem == IR_UNDEFINED) {
			elem = type->elem;
			changed = true;
		} else if (elem != type->elem) {
			return;
		}
	}
	int rank = old->rank;
	ir_dim dims[SHAPE_MAX_RANK];
	if (type->rank >= 0) {
		if (rank >= 0 && rank != type->rank)
			return;
		if (rank < 0)
			changed = true;
		rank = type->rank;
		for (int i = 0; i < rank; i++) {
			int64_t value;
			bool now_static =
			    dim_is_const(&type->dims[i], &value) && value >= 0;
			ir_dim was = old->rank >= 0
			                 ? old->dims[i]
			                 : (ir_dim){IR_DIM_UNKNOWN, 0, NULL};
			if (dim_is_static(&was)) {
				if (now_static && value != was.value)
					return;
				dims[i] = was;
			} else if (now_static) {
				dims[i] = (ir_dim){IR_DIM_VALUE, value, NULL};
				changed = true;
			} else if (was.kind == IR_DIM_PARAM) {
				dims[i] = was;
			} else {
				/* Only now is the expression spelled out (and
				 * its text allocated in the model). */
				dims[i] =
				    dim_to_ir(analysis->model, &type->dims[i]);
				changed |= dims[i].kind != IR_DIM_UNKNOWN;
			}
		}
	} else if (rank >= 0) {
		if (rank > SHAPE_MAX_RANK)
			return;
		memcpy(dims, old->dims, sizeof(ir_dim) * (size_t)rank);
	}
	if (!changed)
		return;
	ir_value_set_type(value, elem, rank, dims);
	analysis->refined++;
}

static bool infers_bodies_itself(const op_info *op)
{
	return op->infer == shape_infer_if || op->infer == shape_infer_loop ||
	       op->infer == shape_infer_scan;
}

/* Bodies of ops that do not bind their inputs (SequenceMap, unknown ops)
 * are still inferred, from the types the model declares for them. */
static void infer_bodies_as_declared(shape_analysis *analysis, ir_node *node)
{
	for (int a = 0; a < node->n_attrs; a++) {
		ir_attr *attr = &node->attrs[a];
		if (attr->graph)
			shape_infer_graph(analysis, attr->graph);
		for (size_t k = 0; attr->graphs && k < attr->proto->n_graphs;
		     k++)
			shape_infer_graph(analysis, attr->graphs[k]);
	}
}

static void infer_node(shape_analysis *analysis, ir_node *node)
{
	const op_info *op = op_lookup(node->domain, node->op_type);
	if (op && op->infer) {
		infer_ctx ctx = {analysis, node,
		                 ir_model_opset(analysis->model, node->domain)};
		op->infer(&ctx);
		if (infers_bodies_itself(op))
			return;
	}
	infer_bodies_as_declared(analysis, node);
}

void shape_infer_graph(shape_analysis *analysis, ir_graph *graph)
{
	ir_graph_for_each_node(graph, node) infer_node(analysis, node);
}

int shape_infer_refine(ir_model *model, ir_status *status)
{
	(void)status;
	shape_analysis *analysis = shape_analysis_create(model);
	shape_infer_graph(analysis, model->graph);
	int refined = analysis->refined;
	shape_analysis_free(analysis);
	return refined;
}

bool shape_infer_model(ir_model *model, ir_status *status)
{
	return shape_infer_refine(model, status) >= 0;
}

/* ------------------------------------------------------------ snapshots */

typedef struct saved_type {
	ir_value *value;
	ir_type type;
	bool type_changed;
} saved_type;

struct shape_snapshot {
	shape_analysis *analysis;
	int refined;
	saved_type *saved;
	int n, cap;
};

static void snapshot_graph(shape_snapshot *s, ir_graph *graph)
{
	for (ir_value *v = graph->scope; v; v = v->hh.next) {
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 64;
			s->saved = ir_xrealloc(s->saved, sizeof *s->saved *
			                                     (size_t)s->cap);
		}
		s->saved[s->n++] = (saved_type){v, v->type, v->type_changed};
	}
	for (int i = 0; i < graph->n_subgraphs; i++)
		snapshot_graph(s, graph->subgraphs[i]);
}

shape_snapshot *shape_snapshot_take(shape_analysis *analysis, ir_graph *graph)
{
	shape_snapshot *s = ir_xcalloc(1, sizeof *s);
	s->analysis = analysis;
	s->refined = analysis->refined;
	snapshot_graph(s, graph);
	return s;
}

void shape_snapshot_restore(shape_snapshot *s)
{
	for (int i = 0; i < s->n; i++) {
		s->saved[i].value->type = s->saved[i].type;
		s->saved[i].value->type_changed = s->saved[i].type_changed;
	}
	s->analysis->refined = s->refined;
	shape_analysis_forget(s->analysis);
}

void shape_snapshot_free(shape_snapshot *s)
{
	if (s) {
		free(s->saved);
		free(s);
	}
}
