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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"
#include "ir_arena.h"

static bool dim_is_static(const ir_dim *d)
{
	return d->kind == IR_DIM_VALUE && d->value >= 0;
}

/* ------------------------------------------------------- fresh symbols */

/* The number N of a fresh symbol's name "unk__N", or -1. */
static long long fresh_number(const char *param)
{
	if (!param ||
	    strncmp(param, SHAPE_FRESH_PREFIX, strlen(SHAPE_FRESH_PREFIX)) != 0)
		return -1;
	const char *digits = param + strlen(SHAPE_FRESH_PREFIX);
	long long n = 0;
	if (!*digits || strlen(digits) > 15)
		return -1;
	for (const char *p = digits; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n;
}

/* The highest N of any "unk__N" a dim_param mentions, or -1: an
 * expression such as "unk__3*4" or "min(512,unk__3)" can outlive the bare
 * symbol, and a new symbol must not take its number while it does (two
 * sizes would then share a name). Counting too much is harmless. */
static long long highest_fresh_mentioned(const char *param)
{
	long long max = -1;
	size_t prefix = strlen(SHAPE_FRESH_PREFIX);
	for (const char *p = param ? strstr(param, SHAPE_FRESH_PREFIX) : NULL;
	     p; p = strstr(p + prefix, SHAPE_FRESH_PREFIX)) {
		long long n = 0;
		int digits = 0;
		for (const char *d = p + prefix;
		     *d >= '0' && *d <= '9' && digits < 15; d++, digits++)
			n = n * 10 + (*d - '0');
		if (digits > 0 && n > max)
			max = n;
	}
	return max;
}

bool shape_dim_is_fresh(const ir_dim *dim)
{
	return dim->kind == IR_DIM_PARAM && fresh_number(dim->param) >= 0;
}

static void note_fresh_in_proto(const Onnx__TypeProto *type, long long *max)
{
	/* tensor_type shares a union with the other kinds: check the case. */
	if (!type || type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !type->tensor_type || !type->tensor_type->shape)
		return;
	const Onnx__TensorShapeProto *shape = type->tensor_type->shape;
	for (size_t i = 0; i < shape->n_dim; i++) {
		/* dim_param shares a union with dim_value. */
		if (shape->dim[i]->value_case !=
		    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
			continue;
		long long n = highest_fresh_mentioned(shape->dim[i]->dim_param);
		if (n > *max)
			*max = n;
	}
}

static void note_fresh_in_graph(ir_graph *graph, void *ctx)
{
	long long *max = ctx;
	for (ir_value *v = graph->scope; v; v = v->hh.next)
		for (int i = 0; v->type.is_tensor && i < v->type.rank; i++)
			if (v->type.dims[i].kind == IR_DIM_PARAM) {
				long long n = highest_fresh_mentioned(
				    v->type.dims[i].param);
				if (n > *max)
					*max = n;
			}
	/* value_info entries that name no value are kept verbatim. */
	for (int i = 0; i < graph->n_value_infos; i++)
		if (!graph->value_infos[i].value && graph->value_infos[i].proto)
			note_fresh_in_proto(graph->value_infos[i].proto->type,
			                    max);
}

/* A symbol no dim of the model uses yet: numbered past every "unk__N"
 * the model holds (found once per analysis), so it cannot collide with a
 * dim_param of the model's own or one an earlier run wrote. */
static ir_dim fresh_dim(shape_analysis *analysis)
{
	if (!analysis->fresh_scanned) {
		long long max = -1;
		ir_graph_walk(analysis->model->graph, note_fresh_in_graph,
		              &max);
		analysis->next_fresh = max + 1;
		analysis->fresh_scanned = true;
	}
	char name[40];
	snprintf(name, sizeof name, SHAPE_FRESH_PREFIX "%lld",
	         analysis->next_fresh++);
	return (ir_dim){IR_DIM_PARAM, 0, ir_strdup(analysis->model, name)};
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
			} else if (was.kind == IR_DIM_PARAM &&
			           !(shape_dim_is_fresh(&was) &&
			             type->dims[i].known)) {
				dims[i] = was;
			} else {
				/* Only now is the expression spelled out (and
				 * its text allocated in the model). */
				dims[i] =
				    dim_to_ir(analysis->model, &type->dims[i]);
				if (dims[i].kind == IR_DIM_UNKNOWN)
					dims[i] = was.kind == IR_DIM_PARAM
					              ? was
					              : fresh_dim(analysis);
				changed |= dims[i].kind != was.kind ||
				           (was.kind == IR_DIM_PARAM &&
				            strcmp(dims[i].param, was.param));
			}
		}
	} else if (rank >= 0) {
		if (rank > SHAPE_MAX_RANK)
			return;
		if (rank > 0) /* a scalar has no dims array to copy */
			memcpy(dims, old->dims, sizeof(ir_dim) * (size_t)rank);
	}
	if (!changed)
		return;
	ir_value_refine_type(value, elem, rank, dims);
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
	if (analysis->repeating)
		analysis->repeated++;
	const op_info *op = op_lookup(node->domain, node->op_type);
	/* A node runtimes reject (a mistyped attribute) claims nothing. */
	if (op && op->infer && !op_node_mistyped_attribute(node)) {
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

int shape_infer_refine(ir_model *model)
{
	shape_analysis *analysis = shape_analysis_create(model);
	shape_infer_graph(analysis, model->graph);
	int refined = analysis->refined;
	shape_analysis_free(analysis);
	return refined;
}

void shape_infer_model(ir_model *model)
{
	shape_infer_refine(model);
}

/* ------------------------------------------------------------ snapshots */

typedef struct saved_type {
	ir_value *value;
	ir_type type;
	bool type_changed, type_inferred;
	ir_type stated;
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
		s->saved[s->n++] = (saved_type){v, v->type, v->type_changed,
		                                v->type_inferred, v->stated};
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
		s->saved[i].value->type_inferred = s->saved[i].type_inferred;
		s->saved[i].value->stated = s->saved[i].stated;
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
