/*
 * fuse_qkv.c - three MatMuls that read the same input through constant
 * weights become one MatMul on the concatenated weights and a Split.
 *
 *   before:  x -> MatMul(x, Wq) -> q        (each optionally followed by
 *            x -> MatMul(x, Wk) -> k         Add(·, b) with a constant
 *            x -> MatMul(x, Wv) -> v         1-D bias)
 *   after:   x -> MatMul(x, [Wq | Wk | Wv]) [-> Add([bq | bk | bv])]
 *              -> Split(axis = -1, [Nq, Nk, Nv]) -> q, k, v
 *
 * Column j of a product depends only on column j of the weights, so the
 * concatenated product holds the three results side by side along the
 * last axis; a 1-D bias adds per column just the same. The weights are
 * copied, not recomputed, so the results are bit-identical.
 *
 * Legality:
 *  - exactly three MatMuls read x as their first input, each with a
 *    constant 2-D second input, all of one dtype and the same K rows;
 *  - with biases: each MatMul output is read only by one Add whose other
 *    operand is a constant [N_i] of that dtype, for all three, and none
 *    of those MatMul outputs is a graph output;
 *  - the Split's sizes are an attribute before opset 13 and an input from
 *    13 on; before opset 11 (no negative axes) x's rank must be known;
 *  - q, k and v keep their names: the Split takes over their definitions;
 *  - everything is in one graph, standard domain.
 *
 * Why this pass is opt-in: under ONNX Runtime's default level the Split
 * along the last axis is a strided copy of all three results, which costs
 * more than the larger MatMul saves. On tests/bench/hf_models.py's ViT
 * (197 tokens, hidden 256) the optimized model ran at 0.91-0.93x the
 * original's speed with this pass and 1.05x without it
 * (tests/bench/ort_latency.sh, paired runs); it is worth it only where a
 * later fusion (Attention) consumes the merged projection.
 */
#include <stdlib.h>
#include <string.h>

#include "ir_arena.h"
#include "match.h"
#include "ops.h"
#include "pass.h"

typedef struct projection {
	ir_node *matmul, *add;
	match_const w, b;
	ir_value *out; /* q, k or v */
} projection;

static bool read_projection(ir_model *model, ir_node *matmul, projection *p)
{
	memset(p, 0, sizeof *p);
	p->matmul = matmul;
	p->out = matmul->outputs[0];
	return matmul->n_inputs == 2 && p->out &&
	       match_read_constant(model, matmul->inputs[1], &p->w) &&
	       p->w.rank == 2 && p->w.numel > 0 &&
	       ir_elem_bits(p->w.elem_type) >= 8;
}

/* The Add(·, b) after a projection, if it has the bias form. */
static bool read_bias(ir_model *model, projection *p)
{
	ir_value *t = p->matmul->outputs[0];
	if (t->n_uses != 1 || ir_value_is_graph_output(t))
		return false;
	ir_node *add = t->uses[0].node;
	if (!ir_node_is(add, "Add") || add->graph != p->matmul->graph ||
	    add->n_inputs != 2 || !add->outputs[0])
		return false;
	ir_value *b = add->inputs[1 - t->uses[0].index];
	if (b == t || !match_read_constant(model, b, &p->b) || p->b.rank != 1 ||
	    p->b.dims[0] != p->w.dims[1] || p->b.elem_type != p->w.elem_type)
		return false;
	p->add = add;
	p->out = add->outputs[0];
	return true;
}

static int find_projections(ir_model *model, const ir_graph *graph, ir_value *x,
                            projection *p)
{
	/* Count before reading any weights: most MatMul inputs feed one
	 * MatMul, and reading a weight may copy it. */
	int n = 0;
	for (int u = 0; u < x->n_uses; u++) {
		ir_node *user = x->uses[u].node;
		if (ir_node_is(user, "MatMul") && x->uses[u].index == 0 &&
		    user->graph == graph && ++n > 3)
			return 0;
	}
	if (n != 3)
		return 0;
	n = 0;
	for (int u = 0; u < x->n_uses; u++) {
		ir_node *user = x->uses[u].node;
		if (!ir_node_is(user, "MatMul") || x->uses[u].index != 0 ||
		    user->graph != graph)
			continue;
		if (!read_projection(model, user, &p[n]))
			return 0;
		n++;
	}
	return n;
}

/* [W0 | W1 | W2] along the columns, as raw bytes. */
static ir_value *concat_columns(match *m, const match_const *w[3], int64_t rows)
{
	size_t elem = (size_t)ir_elem_bits(w[0]->elem_type) / 8;
	int64_t cols = w[0]->dims[1] + w[1]->dims[1] + w[2]->dims[1];
	size_t size = (size_t)(rows * cols) * elem;
	/* A scratch block: ir_tensor_create keeps its own copy (a big one in
	 * the file-backed store), so the model need not hold two. */
	uint8_t *raw = ir_xmalloc(size ? size : 1);
	uint8_t *dst = raw;
	for (int64_t r = 0; r < rows; r++)
		for (int i = 0; i < 3; i++) {
			size_t span = (size_t)w[i]->dims[1] * elem;
			memcpy(dst,
			       (const uint8_t *)w[i]->data + (size_t)r * span,
			       span);
			dst += span;
		}
	int64_t dims[2] = {rows, cols};
	ir_tensor *t =
	    ir_tensor_create(m->model, w[0]->elem_type, 2, dims, raw, size);
	free(raw);
	return ir_initializer_add(m->graph, "qkv_weight", t);
}

static ir_value *concat_biases(match *m, const projection *p)
{
	size_t elem = (size_t)ir_elem_bits(p[0].b.elem_type) / 8;
	int64_t n = p[0].b.numel + p[1].b.numel + p[2].b.numel;
	uint8_t *raw = ir_alloc(m->model, (size_t)n * elem);
	size_t offset = 0;
	for (int i = 0; i < 3; i++) {
		memcpy(raw + offset, p[i].b.data, (size_t)p[i].b.numel * elem);
		offset += (size_t)p[i].b.numel * elem;
	}
	ir_tensor *t = ir_tensor_create(m->model, p[0].b.elem_type, 1, &n, raw,
	                                (size_t)n * elem);
	return ir_initializer_add(m->graph, "qkv_bias", t);
}

static bool comes_first(const ir_node *node, const projection *p)
{
	for (const ir_node *n = node->graph->first; n != node; n = n->next)
		for (int i = 0; i < 3; i++)
			if (n == p[i].matmul)
				return false;
	return true;
}

static int try_fuse(ir_model *model, ir_node *node, void *ctx)
{
	(void)ctx;
	projection p[3];
	match m;
	if (!match_begin(&m, model, node, "MatMul") || node->n_inputs != 2 ||
	    !node->inputs[0] ||
	    find_projections(model, node->graph, node->inputs[0], p) != 3 ||
	    !comes_first(node, p))
		return 0;
	ir_value *x = node->inputs[0];
	for (int i = 0; i < 3; i++)
		if (p[i].w.elem_type != p[0].w.elem_type ||
		    p[i].w.dims[0] != p[0].w.dims[0] ||
		    p[i].matmul->inputs[1] == x)
			return 0;
	bool biased = true;
	for (int i = 0; i < 3; i++)
		biased = biased && read_bias(model, &p[i]);
	if (!biased)
		for (int i = 0; i < 3; i++) {
			p[i].add = NULL;
			p[i].out = p[i].matmul->outputs[0];
		}
	int x_rank = match_rank(x);
	if (m.opset < 11 && x_rank < 1)
		return 0;
	const match_const *w[3] = {&p[0].w, &p[1].w, &p[2].w};
	ir_value *weights = concat_columns(&m, w, p[0].w.dims[0]);
	ir_value *inputs[2] = {x, weights};
	ir_node *matmul = match_emit(&m, "MatMul", inputs, 2, 1);
	ir_value *joined = matmul->outputs[0];
	if (biased) {
		ir_value *add_inputs[2] = {joined, concat_biases(&m, p)};
		joined = match_emit(&m, "Add", add_inputs, 2, 1)->outputs[0];
	}
	int64_t sizes[3] = {p[0].w.dims[1], p[1].w.dims[1], p[2].w.dims[1]};
	ir_value *split_inputs[2] = {joined, NULL};
	bool sizes_input = op_attribute_input("Split", "split", m.opset) >= 0;
	if (sizes_input) {
		int64_t dims[1] = {3};
		split_inputs[1] = match_add_initializer_int64s(
		    m.graph, "qkv_split", 1, dims, sizes);
	}
	ir_node *split =
	    match_emit(&m, "Split", split_inputs, sizes_input ? 2 : 1, 3);
	if (!sizes_input)
		ir_node_set_attr_ints(split, "split", sizes, 3);
	/* The product has x's rank, or rank 1 for a vector x. */
	int64_t axis = m.opset >= 11 ? -1 : (x_rank >= 2 ? x_rank : 1) - 1;
	ir_node_set_attr_int(split, "axis", axis);
	for (int i = 0; i < 3; i++) {
		ir_node *last = p[i].add ? p[i].add : p[i].matmul;
		ir_node_set_input(last, 0, NULL);
		ir_node_set_input(last, 1, NULL);
		ir_value_move_definition(p[i].out, split, i);
		ir_node_remove(last);
		if (p[i].add) {
			ir_node_set_input(p[i].matmul, 0, NULL);
			ir_node_set_input(p[i].matmul, 1, NULL);
			ir_node_remove(p[i].matmul);
			match_drop_if_unused(p[i].b.value);
		}
		match_drop_if_unused(p[i].w.value);
	}
	return 1;
}

static int run_fuse_qkv(ir_model *model, pass_context *ctx, ir_status *status)
{
	(void)ctx;
	(void)status;
	return match_for_each_node(model, try_fuse, NULL);
}

const pass pass_fuse_qkv = {
    .name = "fuse_qkv",
    .group = "fuse",
    .summary = "merge three MatMuls of one input with constant weights "
               "into one MatMul and a Split (opt-in)",
    .needs = ANALYSIS_TYPES,
    .run = run_fuse_qkv,
    .opt_in = true,
};
