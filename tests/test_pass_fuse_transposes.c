/*
 * test_pass_fuse_transposes.c - fuse_consecutive_transposes and
 * fuse_transpose_into_gemm: merged perms compute the same tensor, and
 * shared or exported intermediates are left alone.
 */
#include "test_fuse_util.h"

static ir_node *transpose(ir_graph *g, ir_value *x, const int64_t *perm, int n)
{
	ir_node *t = tu_node(g, "Transpose", TU_VALUES(x), 1);
	if (perm)
		ir_node_set_attr_ints(t, "perm", perm, n);
	return t;
}

START_TEST(test_merge_perms)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_node *a = transpose(g, x, (int64_t[]){1, 2, 0}, 3);
	ir_node *b = transpose(g, a->outputs[0], (int64_t[]){0, 2, 1}, 3);
	tu_output(b->outputs[0]);
	ck_assert_int_eq(fu_run_equivalent(m, "fuse_consecutive_transposes", 0),
	                 1);
	ck_assert_int_eq(g->n_nodes, 1);
	ck_assert_ptr_eq(g->first->inputs[0], x);
	ck_assert_str_eq(fu_ints_attr(g->first, "perm"), "1,0,2");
	ir_model_free(m);
}
END_TEST

START_TEST(test_chain_of_three)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4, 5));
	ir_node *a = transpose(g, x, (int64_t[]){0, 2, 1, 3}, 4);
	ir_node *b = transpose(g, a->outputs[0], (int64_t[]){3, 1, 2, 0}, 4);
	ir_node *c = transpose(g, b->outputs[0], (int64_t[]){1, 0, 3, 2}, 4);
	tu_output(c->outputs[0]);
	ck_assert_int_eq(fu_run_equivalent(m, "fuse_consecutive_transposes", 0),
	                 2);
	ck_assert_int_eq(g->n_nodes, 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_cancelling_pair_into_reader)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_node *a = transpose(g, x, (int64_t[]){2, 0, 1}, 3);
	ir_node *b = transpose(g, a->outputs[0], (int64_t[]){1, 2, 0}, 3);
	ir_node *relu = tu_node(g, "Relu", TU_VALUES(b->outputs[0]), 1);
	tu_output(relu->outputs[0]);
	ck_assert_int_eq(fu_run_equivalent(m, "fuse_consecutive_transposes", 0),
	                 1);
	ck_assert_int_eq(g->n_nodes, 1);
	ck_assert_ptr_eq(relu->inputs[0], x);
	ir_model_free(m);
}
END_TEST

START_TEST(test_cancelling_pair_at_graph_output)
{
	/* Two default perms cancel whatever the rank; the output keeps its
	 * name through an Identity. */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
	ir_node *a = transpose(g, x, NULL, 0);
	ir_node *b = transpose(g, a->outputs[0], NULL, 0);
	ir_value *y = b->outputs[0];
	tu_output(y);
	ck_assert_int_eq(fu_run_equivalent(m, "fuse_consecutive_transposes", 0),
	                 1);
	ck_assert_ptr_eq(g->outputs[0], y);
	ck_assert_str_eq(y->producer->op_type, "Identity");
	ir_model_free(m);
}
END_TEST

START_TEST(test_first_read_twice)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
	ir_node *a = transpose(g, x, (int64_t[]){1, 0}, 2);
	ir_node *b = transpose(g, a->outputs[0], (int64_t[]){1, 0}, 2);
	tu_output(b->outputs[0]);
	tu_output(a->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_transposes"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_gemm_operands)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *a = tu_input(g, "a", TU_DIMS(3, 2));
	ir_value *b = tu_input(g, "b", TU_DIMS(3, 4));
	ir_node *ta = transpose(g, a, (int64_t[]){1, 0}, 2);
	ir_node *tb = transpose(g, b, NULL, 0); /* 2-D: reverses */
	ir_node *gemm =
	    tu_node(g, "Gemm", TU_VALUES(ta->outputs[0], tb->outputs[0]), 1);
	ir_node_set_attr_int(gemm, "transB", 1); /* B^T^T */
	tu_output(gemm->outputs[0]);
	ck_assert_int_eq(fu_run_equivalent(m, "fuse_transpose_into_gemm", 1e-6),
	                 2);
	ck_assert_int_eq(g->n_nodes, 1);
	ck_assert_int_eq(ir_attr_int(gemm, "transA", 0), 1);
	ck_assert_int_eq(ir_attr_int(gemm, "transB", 1), 0);
	ck_assert_ptr_eq(gemm->inputs[0], a);
	ck_assert_ptr_eq(gemm->inputs[1], b);
	ir_model_free(m);
}
END_TEST

START_TEST(test_gemm_shared_transpose)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *a = tu_input(g, "a", TU_DIMS(3, 3));
	ir_node *ta = transpose(g, a, (int64_t[]){1, 0}, 2);
	ir_value *t = ta->outputs[0];
	tu_output(tu_op(g, "Gemm", t, t)); /* read twice by one Gemm */
	tu_output(tu_op(g, "Gemm", a, tu_op(g, "Relu", t)));
	ck_assert_int_eq(tu_run(m, "fuse_transpose_into_gemm"), 0);
	ir_model_free(m);
}
END_TEST

/* x -> a = Transpose(x) -> If { b = Transpose(a); c = Transpose(b) } */
static ir_model *transposes_in_branch(void)
{
	proto_model *pm = proto_model_create(8, 13);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){2, 3}, 2);
	proto_graph_add_input(pm, g, "cond", IR_BOOL, NULL, 0);
	Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
	proto_graph_add_node(pm, then_g, "Transpose", "inner_b", "a", "b");
	proto_graph_add_node(pm, then_g, "Transpose", "inner_c", "b", "c");
	proto_graph_add_output(pm, then_g, "c", IR_FLOAT, NULL, -1);
	Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
	proto_graph_add_node(pm, else_g, "Identity", "inner_e", "a", "e");
	proto_graph_add_output(pm, else_g, "e", IR_FLOAT, NULL, -1);
	proto_graph_add_node(pm, g, "Transpose", "outer_a", "x", "a");
	Onnx__NodeProto *n_if =
	    proto_graph_add_node(pm, g, "If", "if", "cond", "y");
	proto_node_set_attr_graph(pm, n_if, "then_branch", then_g);
	proto_node_set_attr_graph(pm, n_if, "else_branch", else_g);
	proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	ir_model *m = tu_load_proto(pm);
	proto_model_free(pm);
	return m;
}

START_TEST(test_inside_a_branch_only)
{
	/* b and c fuse inside the branch (they cancel, c is the branch
	 * output: an Identity keeps it); a, outside, is not pulled in. */
	ir_model *m = transposes_in_branch();
	ck_assert_int_eq(tu_run(m, "fuse_consecutive_transposes"), 1);
	ir_node *if_node = tu_find_node(m->graph, "If");
	ir_graph *then_g = ir_node_attr(if_node, "then_branch")->graph;
	ck_assert_int_eq(then_g->n_nodes, 1);
	ck_assert_str_eq(then_g->first->op_type, "Identity");
	ck_assert_str_eq(then_g->first->inputs[0]->name, "a");
	ck_assert_int_eq(tu_count_ops(m, "Transpose"), 1);
	ir_model_free(tu_reload(m));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_transposes");
	TCase *tc = tcase_create("fuse_transposes");
	tcase_add_test(tc, test_merge_perms);
	tcase_add_test(tc, test_chain_of_three);
	tcase_add_test(tc, test_cancelling_pair_into_reader);
	tcase_add_test(tc, test_cancelling_pair_at_graph_output);
	tcase_add_test(tc, test_first_read_twice);
	tcase_add_test(tc, test_gemm_operands);
	tcase_add_test(tc, test_gemm_shared_transpose);
	tcase_add_test(tc, test_inside_a_branch_only);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
