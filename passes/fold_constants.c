/*
 * fold_constants.c - constant folding: compute what is already known.
 *
 *   before:  W (initializer) --> Transpose --> t --> MatMul <-- x
 *            Constant(value) --> k --> Add(x, k)
 *            x: float[2,3] --> Shape --> s --> Reshape(y, s)
 *            If(cond = true) { then: A(x) -> r } --> y
 *   after:   t (initializer: W transposed) --> MatMul <-- x
 *            k (initializer) --> Add(x, k)
 *            s (initializer: [2, 3]) --> Reshape(y, s)
 *            A(x) --> y
 *
 * Legality:
 *  - Every input is a constant or absent. A constant is an initializer
 *    that is not also a graph input (a caller could feed that one), so
 *    inside a subgraph nothing computed from the subgraph's inputs folds;
 *    constants there, and outer constants read there, do.
 *  - The node is in the default ONNX domain and not random; the
 *    evaluator has a kernel for it at the model's opset and the kernel
 *    returns EVAL_OK. Anything else stays exactly as it was.
 *  - No new tensor outgrows pass_options.fold_size_limit unless it is no
 *    bigger than the node's inputs together (Expand, Tile,
 *    ConstantOfShape, Range and other ops that expand data stop there).
 *  - All new tensors of one pipeline run together stay within
 *    pass_options.fold_memory_limit: past it a node is left alone (and
 *    the pass manager notes it once), so a chain of growing folds or
 *    thousands of moderate ones cannot exhaust memory.
 *  - Shape and Size fold from static dims of their input's type, even
 *    when the data is not constant; and an integer or bool shape tensor
 *    whose every element shape inference derives (Shape -> Gather ->
 *    Concat over known dims; Equal of a size with the -1 of
 *    expand(..., -1), which no size equals) becomes that constant, of
 *    the value's own element type, when every element fits it.
 *  - An If whose condition is constant becomes the nodes of the branch it
 *    takes (ir_graph_inline_subgraph).
 *
 * Names: a folded value stays the same IR value, now defined by an
 * initializer, so it keeps its name, its readers and its place among the
 * graph outputs. One sweep in topological order folds whole chains.
 */
#include <string.h>

#include "eval/eval.h"
#include "ops.h"
#include "pass.h"
#include "pass_util.h"
#include "shape/shape.h"

typedef struct folder {
	ir_model *model;
	long long size_limit;
	pass_context *ctx; /* the run's fold memory budget, or NULL */
	int changes;
} folder;

/* Bytes left of the fold memory limit; negative: no limit. */
static long long memory_left(const folder *f)
{
	if (!f->ctx || !f->ctx->options ||
	    f->ctx->options->fold_memory_limit < 0)
		return -1;
	long long left =
	    f->ctx->options->fold_memory_limit - f->ctx->fold_memory_used;
	return left > 0 ? left : 0;
}

/* May folding create `bytes` more? Counts them if so. */
static bool take_memory(folder *f, long long bytes)
{
	long long left = memory_left(f);
	if (left >= 0 && bytes > left) {
		f->ctx->fold_memory_exhausted = true;
		return false;
	}
	if (f->ctx)
		f->ctx->fold_memory_used += bytes;
	return true;
}

static bool all_inputs_constant(const ir_node *node)
{
	for (int i = 0; i < node->n_inputs; i++)
		if (node->inputs[i] && !ir_value_is_constant(node->inputs[i]))
			return false;
	return true;
}

static bool has_subgraph(const ir_node *node)
{
	for (int a = 0; a < node->n_attrs; a++)
		if (node->attrs[a].graph || node->attrs[a].graphs)
			return true;
	return false;
}

/* Replace every output of node by its computed tensor and drop node. */
static void commit(folder *f, ir_node *node, eval_call *call)
{
	for (int i = 0; i < node->n_outputs; i++) {
		ir_value *v = node->outputs[i];
		if (!v)
			continue;
		const ir_tensor *t = call->outputs[i];
		eval_output_taken(call, i);
		ir_tensor *owned =
		    t->elem_type == IR_STRING
		        ? ir_tensor_create_strings(f->model, t->rank, t->dims,
		                                   t->strings)
		        : ir_tensor_create(f->model, t->elem_type, t->rank,
		                           t->dims, t->raw, t->raw_size);
		ir_value_make_initializer(v, owned);
	}
	ir_node_remove(node);
	f->changes++;
}

static bool fold_by_evaluation(folder *f, ir_node *node)
{
	ir_tensor *stack_inputs[16];
	ir_tensor **inputs = stack_inputs;
	if (node->n_inputs > 16)
		inputs =
		    ir_alloc(f->model, sizeof *inputs * (size_t)node->n_inputs);
	for (int i = 0; i < node->n_inputs; i++)
		inputs[i] = node->inputs[i] ? node->inputs[i]->tensor : NULL;
	eval_call call;
	eval_call_begin(&call, f->model, node, inputs, node->n_inputs,
	                f->size_limit);
	long long left = memory_left(f);
	call.memory_left = left;
	call.outputs_in_store = true;
	bool ok = eval_run(&call) == EVAL_OK;
	if (call.over_memory_limit)
		f->ctx->fold_memory_exhausted = true;
	if (ok) {
		if (left >= 0)
			f->ctx->fold_memory_used += left - call.memory_left;
		commit(f, node, &call);
	}
	eval_call_end(&call);
	return ok;
}

/* ------------------------------------------------------- shapes, types */

/* The dims of the value's type that `node` reads (all of them, or a
 * Shape's range), when all of those are static. */
static bool static_dims(const ir_node *node, const ir_value *v, int64_t *dims,
                        int *n)
{
	const ir_type *t = &v->type;
	if (!t->is_tensor || t->rank < 0 || t->rank > EVAL_MAX_RANK)
		return false;
	int64_t start = 0, end = t->rank;
	if (ir_node_is(node, "Shape"))
		op_shape_range(node, ir_model_opset(node->graph->model, ""),
		               t->rank, &start, &end);
	*n = 0;
	for (int64_t i = start; i < end; i++) {
		if (t->dims[i].kind != IR_DIM_VALUE || t->dims[i].value < 0)
			return false;
		dims[(*n)++] = t->dims[i].value;
	}
	return true;
}

static bool fold_int64s(folder *f, ir_node *node, const int64_t *values, int n,
                        int rank)
{
	if (!take_memory(f, (long long)sizeof *values * n))
		return false;
	int64_t dims[1] = {n};
	ir_tensor *t = ir_tensor_create(f->model, IR_INT64, rank, dims, values,
	                                sizeof *values * (size_t)n);
	ir_value_make_initializer(node->outputs[0], t);
	ir_node_remove(node);
	f->changes++;
	return true;
}

/* Shape and Size need only the input's dims. */
static bool fold_from_type(folder *f, ir_node *node)
{
	if (node->n_inputs < 1 || !node->inputs[0] || node->n_outputs != 1 ||
	    !node->outputs[0])
		return false;
	int64_t dims[EVAL_MAX_RANK];
	int n;
	if (ir_node_is(node, "Shape")) {
		if (!static_dims(node, node->inputs[0], dims, &n))
			return false;
		return fold_int64s(f, node, dims, n, 1);
	}
	if (ir_node_is(node, "Size")) {
		if (!static_dims(node, node->inputs[0], dims, &n))
			return false;
		/* A count past int64 is no value at all: leave the node to
		 * the runtime (it cannot hold such a tensor either). */
		int64_t size = 1;
		for (int i = 0; i < n; i++)
			if (__builtin_mul_overflow(size, dims[i], &size))
				return false;
		return fold_int64s(f, node, &size, 1, 0);
	}
	return false;
}

/* Does v fit the integer type elem (bool: 0 or 1)? */
static bool integer_fits(int elem, int64_t v)
{
	int bits = ir_elem_bits(elem);
	switch (elem) {
	case IR_BOOL: return v == 0 || v == 1;
	case IR_INT8:
	case IR_INT16:
	case IR_INT32:
		return v >= -((int64_t)1 << (bits - 1)) &&
		       v < ((int64_t)1 << (bits - 1));
	case IR_INT64: return true;
	case IR_UINT8:
	case IR_UINT16:
	case IR_UINT32: return v >= 0 && v < ((int64_t)1 << bits);
	case IR_UINT64: return v >= 0;
	default: return false;
	}
}

/* An integer or bool shape tensor whose every element inference knows:
 * Shape -> Gather -> Concat over static dims, and Equal of a size with
 * the -1 of expand(..., -1), which no size equals. */
static bool fold_from_shape_value(folder *f, ir_node *node)
{
	if (node->n_outputs != 1 || !node->outputs[0] || has_subgraph(node))
		return false;
	ir_value *out = node->outputs[0];
	int elem = out->type.elem_type;
	if (!out->type.is_tensor || out->type.rank < 0 || out->type.rank > 1 ||
	    !integer_fits(elem, 0))
		return false;
	shape_value sv;
	if (!shape_value_of(out, &sv) || sv.elem_type != elem ||
	    (out->type.rank == 0 && sv.n != 1))
		return false;
	int64_t values[SHAPE_VALUE_MAX];
	for (int i = 0; i < sv.n; i++)
		if (!dim_is_const(&sv.elems[i], &values[i]) ||
		    !integer_fits(elem, values[i]))
			return false;
	if (elem == IR_INT64)
		return fold_int64s(f, node, values, sv.n, out->type.rank);
	/* Little-endian: the low bytes of each int64 are the narrow value. */
	int bytes = ir_elem_bits(elem) / 8;
	uint8_t raw[SHAPE_VALUE_MAX * 8];
	for (int i = 0; i < sv.n; i++)
		memcpy(raw + (size_t)i * (size_t)bytes, &values[i],
		       (size_t)bytes);
	size_t size = (size_t)sv.n * (size_t)bytes;
	if (!take_memory(f, (long long)size))
		return false;
	int64_t dims[1] = {sv.n};
	ir_tensor *t =
	    ir_tensor_create(f->model, elem, out->type.rank, dims, raw, size);
	ir_value_make_initializer(out, t);
	ir_node_remove(node);
	f->changes++;
	return true;
}

/* ------------------------------------------------------------------ If */

static bool fold_if(folder *f, ir_node *node)
{
	if (!pass_inline_constant_if(node))
		return false;
	f->changes++;
	return true;
}

/* ---------------------------------------------------------------- sweep */

static bool fold_node(folder *f, ir_node *node)
{
	if (op_node_mistyped_attribute(node))
		return false;
	if (!ir_is_onnx_domain(node->domain) ||
	    eval_op_is_random(node->op_type))
		return false;
	if (ir_node_is(node, "If") && node->n_inputs == 1)
		return fold_if(f, node);
	if (all_inputs_constant(node) && fold_by_evaluation(f, node))
		return true;
	if (fold_from_type(f, node))
		return true;
	return fold_from_shape_value(f, node);
}

static void fold_graph(folder *f, ir_graph *graph)
{
	for (ir_node *node = graph->first; node;) {
		ir_node *prev = node->prev;
		if (fold_node(f, node)) {
			/* Inlining puts the branch's nodes before the If:
			 * resume at the first of them. */
			node = prev ? prev->next : graph->first;
			continue;
		}
		node = node->next;
	}
	for (int i = 0; i < graph->n_subgraphs; i++)
		fold_graph(f, graph->subgraphs[i]);
}

static int run_fold(ir_model *model, pass_context *ctx, ir_status *status)
{
	(void)status;
	/* The pass manager always gives a context with options. */
	folder f = {model, ctx->options->fold_size_limit, ctx, 0};
	fold_graph(&f, model->graph);
	return f.changes;
}

const pass pass_fold_constants = {
    .name = "fold_constants",
    .group = "fold",
    .summary = "evaluate nodes whose inputs are constant, Shape/Size of "
               "static dims, and If with a constant condition",
    .needs = ANALYSIS_TYPES,
    .run = run_fold,
};
