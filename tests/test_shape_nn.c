/*
 * test_shape_nn.c - shape inference for network layers and control flow:
 * convolution and pooling arithmetic, the transformer ops (Attention,
 * LayerNormalization, RMSNormalization, Gelu), and Loop/If bodies.
 */
#include "test_shape_util.h"

START_TEST(test_conv_and_pool)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT, "n,3,h,32");
	ir_value *w = input(g, "w", IR_FLOAT, "16,3,3,3");
	ir_node *conv = tu_node(g, "Conv", TU_VALUES(x, w), 1);
	ir_node_set_attr_ints(conv, "pads", (int64_t[]){1, 1, 1, 1}, 4);
	ir_node_set_attr_ints(conv, "strides", (int64_t[]){2, 2}, 2);
	ir_node *pool = tu_node(g, "MaxPool", TU_VALUES(conv->outputs[0]), 2);
	ir_node_set_attr_ints(pool, "kernel_shape", (int64_t[]){2, 2}, 2);
	ir_node_set_attr_ints(pool, "strides", (int64_t[]){2, 2}, 2);
	ir_node_set_attr_int(pool, "ceil_mode", 1);
	infer(m);
	/* (h + 2 - 3) / 2 + 1 = floor((h-1)/2) + 1 = floor((h+1)/2) */
	assert_type(conv->outputs[0], "float[n,16,(h+1)/2,16]");
	/* ceil((d - 2) / 2) + 1 with d = floor((h+1)/2); no padding and a
	 * kernel as large as the stride: no window is dropped */
	assert_type(pool->outputs[0], "float[n,16,(h+3)/4,8]");
	assert_type(pool->outputs[1], "int64[n,16,(h+3)/4,8]");
	/* with padding, ceil_mode may drop a last window: unknown */
	ir_node *padded = tu_node(g, "AveragePool", TU_VALUES(x), 1);
	ir_node_set_attr_ints(padded, "kernel_shape", (int64_t[]){2, 2}, 2);
	ir_node_set_attr_ints(padded, "pads", (int64_t[]){1, 1, 1, 1}, 4);
	ir_node_set_attr_ints(padded, "strides", (int64_t[]){2, 2}, 2);
	ir_node_set_attr_int(padded, "ceil_mode", 1);
	infer(m);
	assert_type(padded->outputs[0], "float[n,3,unk__0,17]");
	ir_model_free(m);
}
END_TEST

/* ------------------------------------------------------- control flow */

static ir_value *find(const ir_model *m, const char *graph_attr,
                      const char *name)
{
	ir_graph *g = m->graph;
	if (graph_attr) {
		const ir_attr *a = NULL;
		for (ir_node *n = g->first; n && !a; n = n->next)
			a = ir_node_attr(n, graph_attr);
		ck_assert_msg(a && a->graph, "no body '%s'", graph_attr);
		g = a->graph;
	}
	ir_value *v = ir_graph_lookup(g, name);
	ck_assert_msg(v != NULL, "no value '%s'", name);
	return v;
}

START_TEST(test_loop_carried_shapes)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "trips", IR_INT64, NULL, 0);
	proto_graph_add_input(pm, g, "init", IR_FLOAT, (int64_t[]){1, 4}, 2);
	proto_graph_add_input(pm, g, "stable", IR_FLOAT, (int64_t[]){2}, 1);
	Onnx__NodeProto *loop = proto_graph_add_node(
	    pm, g, "Loop", "loop", "trips,,init,stable", "grown,kept,rows");
	Onnx__GraphProto *body = proto_graph_create(pm, "body");
	proto_graph_add_input(pm, body, "i", IR_UNDEFINED, NULL, -1);
	proto_graph_add_input(pm, body, "cond", IR_UNDEFINED, NULL, -1);
	proto_graph_add_input(pm, body, "acc", IR_UNDEFINED, NULL, -1);
	proto_graph_add_input(pm, body, "keep", IR_UNDEFINED, NULL, -1);
	/* acc grows by one row per iteration; keep does not change */
	Onnx__NodeProto *concat =
	    proto_graph_add_node(pm, body, "Concat", "c", "acc,acc", "acc2");
	proto_node_set_attr_int(pm, concat, "axis", 0);
	proto_graph_add_node(pm, body, "Neg", "n", "keep", "keep2");
	proto_graph_add_node(pm, body, "Relu", "r", "keep", "row");
	proto_graph_add_node(pm, body, "Identity", "i", "cond", "cond2");
	proto_graph_add_output(pm, body, "cond2", IR_UNDEFINED, NULL, -1);
	proto_graph_add_output(pm, body, "acc2", IR_UNDEFINED, NULL, -1);
	proto_graph_add_output(pm, body, "keep2", IR_UNDEFINED, NULL, -1);
	proto_graph_add_output(pm, body, "row", IR_UNDEFINED, NULL, -1);
	proto_node_set_attr_graph(pm, loop, "body", body);
	proto_graph_add_output(pm, g, "grown", IR_UNDEFINED, NULL, -1);
	proto_graph_add_output(pm, g, "kept", IR_UNDEFINED, NULL, -1);
	proto_graph_add_output(pm, g, "rows", IR_UNDEFINED, NULL, -1);
	ir_model *m = tu_load_proto(pm);
	proto_model_free(pm);
	infer(m);
	/* inside the body, acc is known only as far as all iterations agree */
	assert_type(find(m, "body", "i"), "int64[]");
	assert_type(find(m, "body", "acc"), "float[unk__0,4]");
	assert_type(find(m, "body", "acc2"), "float[2*unk__0,4]");
	assert_type(find(m, "body", "keep"), "float[2]");
	assert_type(find(m, NULL, "grown"), "float[unk__1,4]");
	assert_type(find(m, NULL, "kept"), "float[2]");
	/* scan outputs stack one value per iteration */
	assert_type(find(m, NULL, "rows"), "float[unk__2,2]");
	ir_model_free(m);
}
END_TEST

START_TEST(test_if_branches_agree)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "c", IR_BOOL, NULL, 0);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){3, 4}, 2);
	Onnx__NodeProto *node =
	    proto_graph_add_node(pm, g, "If", "if", "c", "y");
	Onnx__GraphProto *then_branch = proto_graph_create(pm, "then");
	proto_graph_add_node(pm, then_branch, "Relu", "r", "x", "a");
	proto_graph_add_output(pm, then_branch, "a", IR_UNDEFINED, NULL, -1);
	Onnx__GraphProto *else_branch = proto_graph_create(pm, "else");
	proto_graph_add_node(pm, else_branch, "Transpose", "t", "x", "t");
	proto_graph_add_node(pm, else_branch, "Neg", "n", "t", "b");
	proto_graph_add_output(pm, else_branch, "b", IR_UNDEFINED, NULL, -1);
	proto_node_set_attr_graph(pm, node, "then_branch", then_branch);
	proto_node_set_attr_graph(pm, node, "else_branch", else_branch);
	proto_graph_add_output(pm, g, "y", IR_UNDEFINED, NULL, -1);
	ir_model *m = tu_load_proto(pm);
	proto_model_free(pm);
	infer(m);
	assert_type(find(m, "else_branch", "t"), "float[4,3]");
	assert_type(find(m, NULL, "y"), "float[unk__0,unk__1]");
	ir_model_free(m);
}
END_TEST

/* ------------------------------------------------- transformer layers */

START_TEST(test_transformer_ops)
{
	ir_model *m = tu_model(23);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT16, "batch,seq,64");
	ir_value *scale = input(g, "scale", IR_FLOAT16, "64");
	ir_node *ln = tu_node(g, "LayerNormalization", TU_VALUES(x, scale), 3);
	ir_node_set_attr_int(ln, "axis", -1);
	ir_node *ln2 = tu_node(g, "LayerNormalization", TU_VALUES(x, scale), 3);
	ir_node_set_attr_int(ln2, "axis", 1);
	ir_node_set_attr_int(ln2, "stash_type", IR_DOUBLE);
	ir_value *rms = tu_op(g, "RMSNormalization", x, scale);
	ir_value *gelu = tu_op(g, "Gelu", x);

	/* 4-D grouped-query attention with a KV cache */
	ir_value *q = input(g, "q", IR_FLOAT, "b,8,s,64");
	ir_value *k = input(g, "k", IR_FLOAT, "b,2,t,64");
	ir_value *v = input(g, "v", IR_FLOAT, "b,2,t,32");
	ir_value *past_k = input(g, "past_k", IR_FLOAT, "b,2,p,64");
	ir_value *past_v = input(g, "past_v", IR_FLOAT, "b,2,p,32");
	ir_node *attention = tu_node(
	    g, "Attention", TU_VALUES(q, k, v, NULL, past_k, past_v), 4);
	infer(m);
	assert_type(ln->outputs[0], "float16[batch,seq,64]");
	assert_type(ln->outputs[1], "float[batch,seq,1]");
	assert_type(ln->outputs[2], "float[batch,seq,1]");
	assert_type(ln2->outputs[1], "double[batch,1,1]");
	assert_type(rms, "float16[batch,seq,64]");
	assert_type(gelu, "float16[batch,seq,64]");
	assert_type(attention->outputs[0], "float[b,8,s,32]");
	assert_type(attention->outputs[1], "float[b,2,p+t,64]");
	assert_type(attention->outputs[2], "float[b,2,p+t,32]");
	assert_type(attention->outputs[3], "float[b,8,s,p+t]");
	ir_model_free(m);
}
END_TEST

START_TEST(test_attention_3d)
{
	ir_model *m = tu_model(23);
	ir_graph *g = m->graph;
	ir_value *q = input(g, "q", IR_FLOAT, "b,s,512");
	ir_value *k = input(g, "k", IR_FLOAT, "b,t,128");
	ir_value *v = input(g, "v", IR_FLOAT, "b,t,96");
	ir_node *attention = tu_node(g, "Attention", TU_VALUES(q, k, v), 2);
	ir_node_set_attr_int(attention, "q_num_heads", 8);
	ir_node_set_attr_int(attention, "kv_num_heads", 2);
	/* without the head counts, a 3-D query says nothing about heads */
	ir_node *bare = tu_node(g, "Attention", TU_VALUES(q, k, v), 1);
	infer(m);
	/* 8 query heads of v's head size 96 / 2 = 48 */
	assert_type(attention->outputs[0], "float[b,s,384]");
	assert_type(attention->outputs[1], "float[b,2,t,64]");
	assert_type(bare->outputs[0], "float[b,s,unk__0]");
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shape-nn");
	TCase *tc = tcase_create("nn");
	tcase_add_test(tc, test_conv_and_pool);
	tcase_add_test(tc, test_transformer_ops);
	tcase_add_test(tc, test_attention_3d);
	tcase_add_test(tc, test_loop_carried_shapes);
	tcase_add_test(tc, test_if_branches_agree);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
