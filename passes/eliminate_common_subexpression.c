/*
 * eliminate_common_subexpression.c - merge nodes that compute the same
 * thing.
 *
 *   before:  x -> Transpose(perm=[1,0]) -> a -> A
 *            x -> Transpose(perm=[1,0]) -> b -> B
 *   after:   x -> Transpose(perm=[1,0]) -> a -> A, B
 *
 * Two nodes compute the same values when they run the same op (op type
 * and domain; "" and "ai.onnx" are one domain) on the same input values in
 * the same slots, with the same attributes compared by content (names,
 * types, numbers bit for bit, strings, lists and tensors byte for byte;
 * the order attributes are listed in does not matter). One sweep in
 * topological order finds chains too: once the second node's readers read
 * the first node's outputs, nodes further down become equal.
 *
 * Legality:
 *  - deterministic ops only: the operator table's random ops
 *    (RandomNormal, RandomUniform, their *Like forms, Bernoulli,
 *    Multinomial) and Dropout (random in training mode; kept apart in
 *    every mode) never merge;
 *  - domains: the default ONNX domain and ai.onnx.ml only; a custom op
 *    may have state or randomness this pass cannot see;
 *  - nodes with subgraph, sparse-tensor or type attributes are skipped
 *    rather than compared;
 *  - only nodes of the same graph merge;
 *  - every output the later node has, the earlier one has too, and each
 *    can be redirected (pass_redirect_output): a graph output keeps its
 *    name by taking over the earlier node's output definition; when both
 *    are graph outputs the nodes stay.
 */
#include <stdlib.h>
#include <string.h>

#include "ir_arena.h"
#include "ops.h"
#include "pass_util.h"

typedef Onnx__AttributeProto__AttributeType attr_kind;

/* ------------------------------------------------------------- hashing */

static uint64_t mix_string(uint64_t h, const char *s)
{
	return ir_hash_bytes(h, s ? s : "", strlen(s ? s : "") + 1);
}

static bool tensor_bytes(ir_model *model, const ir_tensor *t, const void **data,
                         size_t *size)
{
	return t && !t->external && t->elem_type != IR_STRING &&
	       ir_tensor_raw(model, t, data, size);
}

static uint64_t mix_tensor(ir_model *model, uint64_t h, const ir_tensor *t)
{
	const void *data;
	size_t size;
	h = ir_hash_bytes(h, &t->elem_type, sizeof t->elem_type);
	h = ir_hash_bytes(h, t->dims, sizeof *t->dims * (size_t)t->rank);
	if (tensor_bytes(model, t, &data, &size))
		h = ir_hash_bytes(h, data, size);
	return h;
}

static uint64_t attr_hash(ir_model *model, const ir_attr *a)
{
	const Onnx__AttributeProto *p = a->proto;
	uint64_t h = mix_string(IR_HASH_SEED, a->name);
	h = ir_hash_bytes(h, &a->type, sizeof a->type);
	h = ir_hash_bytes(h, &p->i, sizeof p->i);
	h = ir_hash_bytes(h, &p->f, sizeof p->f);
	h = ir_hash_bytes(h, p->s.data, p->s.len);
	h = ir_hash_bytes(h, p->ints, sizeof *p->ints * p->n_ints);
	h = ir_hash_bytes(h, p->floats, sizeof *p->floats * p->n_floats);
	for (size_t k = 0; k < p->n_strings; k++)
		h = ir_hash_bytes(h, p->strings[k].data, p->strings[k].len);
	if (a->tensor)
		h = mix_tensor(model, h, a->tensor);
	for (size_t k = 0; a->tensors && k < p->n_tensors; k++)
		h = mix_tensor(model, h, a->tensors[k]);
	return h;
}

/* ------------------------------------------------------------ equality */

static bool same_bytes(const void *a, const void *b, size_t size)
{
	return size == 0 || !memcmp(a, b, size);
}

static bool same_tensor(ir_model *model, const ir_tensor *x, const ir_tensor *y)
{
	if (!x || !y || x->elem_type != y->elem_type || x->rank != y->rank ||
	    !same_bytes(x->dims, y->dims, sizeof *x->dims * (size_t)x->rank))
		return false;
	if (x->elem_type == IR_STRING) {
		int64_t n = ir_tensor_numel(x);
		for (int64_t i = 0; i < n; i++) {
			ProtobufCBinaryData s, t;
			if (!ir_tensor_string(x, i, &s) ||
			    !ir_tensor_string(y, i, &t) || s.len != t.len ||
			    !same_bytes(s.data, t.data, s.len))
				return false;
		}
		return n >= 0;
	}
	const void *dx, *dy;
	size_t sx, sy;
	return tensor_bytes(model, x, &dx, &sx) &&
	       tensor_bytes(model, y, &dy, &sy) && sx == sy &&
	       same_bytes(dx, dy, sx);
}

static bool same_attr(ir_model *model, const ir_attr *a, const ir_attr *b)
{
	const Onnx__AttributeProto *p = a->proto, *q = b->proto;
	if (a->type != b->type || strcmp(a->name, b->name) ||
	    p->has_i != q->has_i || p->i != q->i || p->has_f != q->has_f ||
	    !same_bytes(&p->f, &q->f, sizeof p->f) || p->has_s != q->has_s ||
	    p->s.len != q->s.len ||
	    !same_bytes(p->s.data, q->s.data, p->s.len) ||
	    p->n_ints != q->n_ints ||
	    !same_bytes(p->ints, q->ints, sizeof *p->ints * p->n_ints) ||
	    p->n_floats != q->n_floats ||
	    !same_bytes(p->floats, q->floats,
	                sizeof *p->floats * p->n_floats) ||
	    p->n_strings != q->n_strings || p->n_tensors != q->n_tensors ||
	    strcmp(p->ref_attr_name ? p->ref_attr_name : "",
	           q->ref_attr_name ? q->ref_attr_name : ""))
		return false;
	for (size_t k = 0; k < p->n_strings; k++)
		if (p->strings[k].len != q->strings[k].len ||
		    !same_bytes(p->strings[k].data, q->strings[k].data,
		                p->strings[k].len))
			return false;
	if ((a->tensor || b->tensor) &&
	    !same_tensor(model, a->tensor, b->tensor))
		return false;
	for (size_t k = 0; k < p->n_tensors; k++)
		if (!a->tensors || !b->tensors ||
		    !same_tensor(model, a->tensors[k], b->tensors[k]))
			return false;
	return true;
}

static bool same_domain(const char *a, const char *b)
{
	if (ir_is_onnx_domain(a))
		return ir_is_onnx_domain(b);
	return !strcmp(a, b);
}

static bool same_computation(ir_model *model, const ir_node *a,
                             const ir_node *b)
{
	if (strcmp(a->op_type, b->op_type) ||
	    !same_domain(a->domain, b->domain) || a->n_inputs != b->n_inputs ||
	    a->n_outputs != b->n_outputs || a->n_attrs != b->n_attrs)
		return false;
	for (int i = 0; i < a->n_inputs; i++)
		if (a->inputs[i] != b->inputs[i])
			return false;
	for (int i = 0; i < a->n_attrs; i++) {
		const ir_attr *other = ir_node_attr(b, a->attrs[i].name);
		if (!other || !same_attr(model, &a->attrs[i], other))
			return false;
	}
	return true;
}

/* --------------------------------------------------------- eligibility */

static bool attr_is_comparable(const ir_attr *a)
{
	switch ((attr_kind)a->type) {
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
		return !a->graph && !a->graphs;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
		return a->tensor && !a->tensor->external;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS:
		return a->tensors != NULL;
	default: return false; /* graphs, sparse tensors, type protos */
	}
}

static bool is_candidate(const ir_node *node)
{
	if (node->n_outputs == 0)
		return false;
	if (!ir_is_onnx_domain(node->domain) &&
	    strcmp(node->domain, "ai.onnx.ml"))
		return false;
	if (op_node_has(node, OP_RANDOM | OP_RANDOM_IN_TRAINING) ||
	    op_node_mistyped_attribute(node))
		return false;
	for (int i = 0; i < node->n_attrs; i++) {
		const ir_attr *a = &node->attrs[i];
		if (!a->name || !attr_is_comparable(a) ||
		    ir_node_attr(node, a->name) != a) /* duplicate name */
			return false;
	}
	return true;
}

static uint64_t node_hash(ir_model *model, const ir_node *node)
{
	uint64_t h = mix_string(IR_HASH_SEED, node->op_type);
	h = mix_string(h, ir_is_onnx_domain(node->domain) ? "" : node->domain);
	h = ir_hash_bytes(h, &node->n_outputs, sizeof node->n_outputs);
	for (int i = 0; i < node->n_inputs; i++)
		h = ir_hash_bytes(h, &node->inputs[i], sizeof node->inputs[i]);
	/* Attribute order must not matter: combine their hashes with +. */
	uint64_t attrs = 0;
	for (int i = 0; i < node->n_attrs; i++)
		attrs += attr_hash(model, &node->attrs[i]);
	return ir_hash_bytes(h, &attrs, sizeof attrs);
}

/* ------------------------------------------------------------- merging */

/* Can `later`'s outputs all be replaced by `earlier`'s? */
static bool can_merge(const ir_node *earlier, const ir_node *later)
{
	for (int k = 0; k < later->n_outputs; k++) {
		const ir_value *out = later->outputs[k];
		if (!out)
			continue;
		if (!earlier->outputs[k]) {
			if (out->n_uses || ir_value_is_graph_output(out))
				return false;
			continue;
		}
		if (!pass_can_redirect_output(later, k, earlier->outputs[k]))
			return false;
	}
	return true;
}

static void merge(ir_node *earlier, ir_node *later)
{
	for (int k = 0; k < later->n_outputs; k++)
		if (later->outputs[k] && earlier->outputs[k])
			pass_redirect_output(later, k, earlier->outputs[k]);
	ir_node_remove(later);
}

typedef struct bucket {
	uint64_t hash;
	ir_node **nodes;
	int n, cap;
	UT_hash_handle hh;
} bucket;

static void remember(bucket **table, uint64_t hash, ir_node *node)
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
		b->nodes =
		    ir_xrealloc(b->nodes, sizeof *b->nodes * (size_t)b->cap);
	}
	b->nodes[b->n++] = node;
}

static int merge_in_graph(ir_graph *graph, void *ctx)
{
	(void)ctx;
	ir_model *model = graph->model;
	bucket *table = NULL;
	int changes = 0;
	ir_graph_for_each_node(graph, node)
	{
		if (!is_candidate(node))
			continue;
		uint64_t hash = node_hash(model, node);
		bucket *b = NULL;
		HASH_FIND(hh, table, &hash, sizeof hash, b);
		ir_node *earlier = NULL;
		for (int k = 0; b && k < b->n && !earlier; k++)
			if (same_computation(model, b->nodes[k], node) &&
			    can_merge(b->nodes[k], node))
				earlier = b->nodes[k];
		if (earlier) {
			merge(earlier, node);
			changes++;
		} else {
			remember(&table, hash, node);
		}
	}
	bucket *b, *tmp;
	HASH_ITER(hh, table, b, tmp)
	{
		HASH_DEL(table, b);
		free(b->nodes);
		free(b);
	}
	return changes;
}

static int run_eliminate_common_subexpression(ir_model *model,
                                              pass_context *ctx,
                                              ir_status *status)
{
	(void)ctx;
	(void)status;
	return pass_for_each_graph(model, merge_in_graph, NULL);
}

const pass pass_eliminate_common_subexpression = {
    .name = "eliminate_common_subexpression",
    .group = "eliminate",
    .summary = "merge nodes with the same op, inputs and attributes "
               "(deterministic ops only)",
    .run = run_eliminate_common_subexpression,
};
