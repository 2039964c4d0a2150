/*
 * test_match.c - the pattern matcher behind the fusion passes: walking,
 * commutative operands, backtracking, constants, the intermediates check
 * and the two ways of committing a rewrite.
 */
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "test_fuse_util.h"

/* x -> Relu -> a -> Neg -> b, returning the Neg node. */
static ir_node *relu_neg(ir_graph *g, ir_value *x)
{
	ir_value *a = tu_op(g, "Relu", x);
	return tu_node(g, "Neg", TU_VALUES(a), 1);
}

START_TEST(test_walks_to_producers)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_node *neg = relu_neg(g, x);
	tu_output(neg->outputs[0]);

	match mt;
	ck_assert(match_begin(&mt, m, neg, "Neg"));
	ir_node *relu = match_input(&mt, neg, 0, "Relu");
	ck_assert_ptr_nonnull(relu);
	ck_assert_ptr_eq(match_operand(&mt, relu, 0), x);
	ck_assert_int_eq(mt.n_nodes, 2);
	ck_assert(match_private(&mt));
	/* A wrong op type fails, and every later step is a no-op. */
	ck_assert_ptr_null(match_input(&mt, relu, 0, "Relu"));
	ck_assert(!match_ok(&mt));
	ck_assert_ptr_null(match_input(&mt, neg, 0, "Relu"));
	/* The root must have the requested type. */
	ck_assert(!match_begin(&mt, m, neg, "Relu"));
	ir_model_free(m);
}
END_TEST

START_TEST(test_refuses_other_domains)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_node *custom = tu_node(g, "Relu", TU_VALUES(x), 1);
	custom->domain = "com.example";
	ir_node *neg = tu_node(g, "Neg", TU_VALUES(custom->outputs[0]), 1);
	tu_output(neg->outputs[0]);

	match mt;
	match_begin(&mt, m, neg, "Neg");
	ck_assert_ptr_null(match_input(&mt, neg, 0, "Relu"));
	ck_assert(!match_ok(&mt));
	ir_model_free(m);
}
END_TEST

START_TEST(test_commuted_finds_either_operand)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *k = fu_scalar(g, 2.0f);
	ir_value *r = tu_op(g, "Relu", x);
	ir_node *first = tu_node(g, "Add", TU_VALUES(r, k), 1);
	ir_node *second = tu_node(g, "Add", TU_VALUES(k, r), 1);
	tu_output(first->outputs[0]);
	tu_output(second->outputs[0]);

	ir_node *adds[2] = {first, second};
	for (int i = 0; i < 2; i++) {
		match mt;
		ir_value *other = NULL;
		match_begin(&mt, m, adds[i], "Add");
		ck_assert_ptr_nonnull(
		    match_commuted(&mt, adds[i], "Relu", &other));
		ck_assert_ptr_eq(other, k);
		ck_assert_ptr_eq(match_other_operand(&mt, adds[i], k), r);
		ck_assert(match_ok(&mt));
	}
	match mt;
	match_begin(&mt, m, first, "Add");
	ck_assert_ptr_null(match_commuted(&mt, first, "Neg", NULL));
	ck_assert(!match_ok(&mt));
	/* Add(r, r): the other operand is the pattern's own output, which
	 * no replacement may read (the fuzzer's MatMul + itself, a Gemm
	 * whose bias was the removed MatMul). */
	ir_node *twice = tu_node(g, "Add", TU_VALUES(r, r), 1);
	tu_output(twice->outputs[0]);
	ir_value *other = NULL;
	match_begin(&mt, m, twice, "Add");
	ck_assert_ptr_null(match_commuted(&mt, twice, "Relu", &other));
	ck_assert(!match_ok(&mt));
	ir_model_free(m);
}
END_TEST

START_TEST(test_save_restore_backtracks)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_node *neg = relu_neg(g, x);
	tu_output(neg->outputs[0]);

	match mt;
	match_begin(&mt, m, neg, "Neg");
	match_mark mark = match_save(&mt);
	ck_assert_ptr_null(match_input(&mt, neg, 0, "Sigmoid"));
	ck_assert(!match_ok(&mt));
	match_restore(&mt, mark);
	ck_assert(match_ok(&mt));
	ck_assert_int_eq(mt.n_nodes, 1);
	ck_assert_ptr_nonnull(match_input(&mt, neg, 0, "Relu"));
	ir_model_free(m);
}
END_TEST

START_TEST(test_private_rejects_second_reader)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_node *neg = relu_neg(g, x);
	ir_value *a = neg->inputs[0];
	tu_output(neg->outputs[0]);
	tu_output(tu_op(g, "Abs", a)); /* a second reader of a */

	match mt;
	match_begin(&mt, m, neg, "Neg");
	match_input(&mt, neg, 0, "Relu");
	ck_assert(!match_private(&mt));
	ir_model_free(m);
}
END_TEST

START_TEST(test_private_rejects_graph_output)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_node *neg = relu_neg(g, x);
	tu_output(neg->outputs[0]);
	tu_output(neg->inputs[0]); /* the intermediate is an output */

	match mt;
	match_begin(&mt, m, neg, "Neg");
	match_input(&mt, neg, 0, "Relu");
	ck_assert(!match_private(&mt));
	ir_model_free(m);
}
END_TEST

START_TEST(test_private_allows_dag_inside_pattern)
{
	/* a = Relu(x); y = Mul(a, a): both uses of a are in the pattern. */
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *a = tu_op(g, "Relu", x);
	ir_node *mul = tu_node(g, "Mul", TU_VALUES(a, a), 1);
	tu_output(mul->outputs[0]);

	match mt;
	match_begin(&mt, m, mul, "Mul");
	ir_node *r0 = match_input(&mt, mul, 0, "Relu");
	ir_node *r1 = match_input(&mt, mul, 1, "Relu");
	ck_assert_ptr_eq(r0, r1);
	ck_assert_int_eq(mt.n_nodes, 2); /* recorded once */
	ck_assert(match_private(&mt));
	ir_model_free(m);
}
END_TEST

/* x, cond -> a = Relu(x) -> If(cond) { t = Neg(a) } -> y */
static ir_model *relu_then_neg_in_branch(void)
{
	proto_model *pm = proto_model_create(8, 17);
	Onnx__GraphProto *g = proto_main_graph(pm);
	proto_graph_add_input(pm, g, "x", IR_FLOAT, (int64_t[]){4}, 1);
	proto_graph_add_input(pm, g, "cond", IR_BOOL, NULL, 0);
	Onnx__GraphProto *then_g = proto_graph_create(pm, "then");
	proto_graph_add_node(pm, then_g, "Neg", "inner_neg", "a", "t");
	proto_graph_add_output(pm, then_g, "t", IR_FLOAT, NULL, -1);
	Onnx__GraphProto *else_g = proto_graph_create(pm, "else");
	proto_graph_add_node(pm, else_g, "Neg", "inner_neg2", "x", "e");
	proto_graph_add_output(pm, else_g, "e", IR_FLOAT, NULL, -1);
	proto_graph_add_node(pm, g, "Relu", "relu", "x", "a");
	Onnx__NodeProto *n_if =
	    proto_graph_add_node(pm, g, "If", "if", "cond", "y");
	proto_node_set_attr_graph(pm, n_if, "then_branch", then_g);
	proto_node_set_attr_graph(pm, n_if, "else_branch", else_g);
	proto_graph_add_output(pm, g, "y", IR_FLOAT, NULL, -1);
	ir_model *m = tu_load_proto(pm);
	proto_model_free(pm);
	return m;
}

START_TEST(test_does_not_cross_into_parent_graph)
{
	ir_model *m = relu_then_neg_in_branch();
	ir_node *if_node = tu_find_node(m->graph, "If");
	ir_graph *then_g = ir_node_attr(if_node, "then_branch")->graph;
	ir_node *neg = tu_find_node(then_g, "Neg");
	match mt;
	ck_assert(match_begin(&mt, m, neg, "Neg"));
	ck_assert_ptr_eq(mt.graph, then_g);
	ck_assert_ptr_null(match_input(&mt, neg, 0, "Relu"));
	ck_assert(!match_ok(&mt));
	ir_model_free(m);
}
END_TEST

START_TEST(test_constants_from_initializers_and_nodes)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *init = fu_scalar(g, 0.5f);
	ir_value *node_value = fu_constant_scalar(g, 2.5f);
	ir_node *attr_const = tu_node(g, "Constant", NULL, 0, 1);
	ir_node_set_attr_float(attr_const, "value_float", 4.0f);
	ir_value *x = tu_input(g, "x", TU_DIMS(4));

	match_const c;
	ck_assert(match_read_constant(m, init, &c));
	ck_assert_int_eq(c.elem_type, IR_FLOAT);
	ck_assert_ptr_null(c.constant_node);
	fu_assert_near(match_const_get(&c, 0), 0.5, 0);
	ck_assert(match_read_constant(m, node_value, &c));
	ck_assert_ptr_nonnull(c.constant_node);
	fu_assert_near(match_const_get(&c, 0), 2.5, 0);
	ck_assert(match_read_constant(m, attr_const->outputs[0], &c));
	fu_assert_near(match_const_get(&c, 0), 4.0, 0);
	ck_assert(!match_read_constant(m, x, &c));

	/* An initializer that is also a graph input can be overridden. */
	init->is_graph_input = true;
	ck_assert(!match_read_constant(m, init, &c));
	init->is_graph_input = false;

	match mt;
	ir_node *neg = tu_node(g, "Neg", TU_VALUES(x), 1);
	match_begin(&mt, m, neg, "Neg");
	ck_assert(match_scalar_near(&mt, node_value, 2.5, 1e-9));
	ck_assert(!match_scalar_near(&mt, init, 0.4, 1e-3));
	ir_model_free(m);
}
END_TEST

START_TEST(test_float16_round_trip)
{
	ir_model *m = tu_model(17);
	static const double values[] = {
	    1.0, -2.5, 65504.0, 6.1035156e-05, 5.9604645e-08, 0.1, 1e6, 0.0};
	/* 0.1 rounds to the nearest half, 1e6 overflows to infinity. */
	static const double expect[] = {1.0,           -2.5,
	                                65504.0,       6.1035156e-05,
	                                5.9604645e-08, 0.0999755859375,
	                                INFINITY,      0.0};
	int64_t dims[1] = {8};
	ir_value *v = match_add_initializer_doubles(m->graph, "h", IR_FLOAT16,
	                                            1, dims, values);
	match_const c;
	ck_assert(match_read_constant(m, v, &c));
	ck_assert_int_eq(c.elem_type, IR_FLOAT16);
	for (int i = 0; i < 8; i++) {
		double got = match_const_get(&c, i);
		if (isinf(expect[i]))
			ck_assert(isinf(got) && got > 0);
		else
			fu_assert_near(got, expect[i], 1e-12);
	}
	ir_model_free(m);
}
END_TEST

START_TEST(test_axes_normalize)
{
	int64_t axes[3] = {-1, 0, 2};
	ck_assert(!match_normalize_axes(axes, 3, 3)); /* -1 is 2: twice */
	int64_t ok[3] = {-1, 0, 1};
	ck_assert(match_normalize_axes(ok, 3, 3));
	ck_assert_int_eq(ok[0], 0);
	ck_assert_int_eq(ok[2], 2);
	int64_t neg[1] = {-1};
	ck_assert(!match_normalize_axes(neg, 1, -1)); /* rank unknown */
	int64_t out_of_range[1] = {3};
	ck_assert(!match_normalize_axes(out_of_range, 1, 3));
}
END_TEST

START_TEST(test_per_channel_shapes)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	double out[3];
	match_const c;
	ir_value *column =
	    tu_initializer_f32(g, "c", (float[]){1, 2, 3}, TU_DIMS(3, 1, 1));
	ck_assert(match_read_constant(m, column, &c));
	ck_assert(match_per_channel(&c, 4, 1, 3, out));
	fu_assert_near(out[2], 3, 0);
	/* [3] lines up with the last axis, not the channels. */
	ir_value *row =
	    tu_initializer_f32(g, "r", (float[]){1, 2, 3}, TU_DIMS(3));
	ck_assert(match_read_constant(m, row, &c));
	ck_assert(!match_per_channel(&c, 4, 1, 3, out));
	ir_value *one = fu_scalar(g, 7);
	ck_assert(match_read_constant(m, one, &c));
	ck_assert(match_per_channel(&c, 4, 1, 3, out));
	fu_assert_near(out[1], 7, 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_commit_replaces_and_keeps_output_name)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *k = fu_constant_scalar(g, 1.0f);
	ir_value *a = tu_op(g, "Add", x, k);
	ir_node *neg = tu_node(g, "Neg", TU_VALUES(a), 1);
	ir_value *y = neg->outputs[0];
	tu_output(y);

	match mt;
	match_begin(&mt, m, neg, "Neg");
	match_input(&mt, neg, 0, "Add");
	ck_assert(match_private(&mt));
	ir_node *fused = match_emit(&mt, "Sigmoid", &x, 1, 1);
	ck_assert(match_commit(&mt, fused, 0));
	tu_assert_valid(m);
	ck_assert_ptr_eq(g->outputs[0], y);
	ck_assert_ptr_eq(y->producer, fused);
	ck_assert_int_eq(g->n_nodes, 1); /* the Constant went too */
	ir_model_free(m);
}
END_TEST

/* Neg(Add(x, k)) keeping the Add: an edit gives it a new constant; the
 * kept node changes only when the commit happens. */
static ir_node *add_neg(ir_model *m, ir_node **add)
{
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *k = tu_initializer_f32(g, "k", (float[]){1}, TU_SCALAR);
	*add = tu_node(g, "Add", TU_VALUES(x, k), 1);
	ir_node *neg = tu_node(g, "Neg", TU_VALUES((*add)->outputs[0]), 1);
	tu_output(neg->outputs[0]);
	return neg;
}

START_TEST(test_commit_applies_edits_to_the_kept_node)
{
	ir_model *m = tu_model(17);
	ir_node *add;
	ir_node *neg = add_neg(m, &add);
	ir_value *k = add->inputs[1];
	match mt;
	match_begin(&mt, m, neg, "Neg");
	match_input(&mt, neg, 0, "Add");
	ck_assert(match_private(&mt));
	ir_value *minus_k = match_add_initializer_doubles(
	    m->graph, "k", IR_FLOAT, 0, NULL, (double[]){-1});
	match_edit_input(&mt, 1, minus_k);
	match_edit_attr_int(&mt, "unused", 1);
	ck_assert_ptr_eq(add->inputs[1], k); /* nothing applied yet */
	ck_assert(match_commit(&mt, add, 0));
	tu_assert_valid(m);
	ck_assert_ptr_eq(add->inputs[1], minus_k);
	ck_assert(ir_node_attr(add, "unused"));
	ck_assert(k->removed); /* the replaced initializer was retired */
	ck_assert_ptr_eq(add->outputs[0], m->graph->outputs[0]);
	ck_assert_int_eq(m->graph->n_nodes, 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_failed_commit_leaves_the_graph_as_it_was)
{
	ir_model *m = tu_model(17);
	ir_node *add;
	ir_node *neg = add_neg(m, &add);
	uint8_t *before, *after;
	size_t before_size, after_size;
	ir_status status = {0};
	ck_assert(ir_model_save_buffer(m, &before, &before_size, &status));
	match mt;
	match_begin(&mt, m, neg, "Neg");
	match_input(&mt, neg, 0, "Add");
	ir_value *minus_k = match_add_initializer_doubles(
	    m->graph, "k", IR_FLOAT, 0, NULL, (double[]){-1});
	match_edit_input(&mt, 1, minus_k);
	match_edit_attr_int(&mt, "unused", 1);
	ir_node *sig = match_emit(&mt, "Sigmoid", &add->outputs[0], 1, 1);
	(void)sig;
	match_check(&mt, false); /* a later check of the pattern fails */
	ck_assert(!match_commit(&mt, add, 0));
	tu_assert_valid(m);
	ck_assert(!ir_node_attr(add, "unused"));
	ck_assert_int_eq(m->graph->n_nodes, 2);
	ck_assert(ir_model_save_buffer(m, &after, &after_size, &status));
	ck_assert_uint_eq(before_size, after_size);
	ck_assert(!memcmp(before, after, before_size));
	free(before);
	free(after);
	ir_model_free(m);
}
END_TEST

START_TEST(test_passthrough_adds_identity_for_graph_output)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_node *neg = relu_neg(g, x);
	tu_output(neg->outputs[0]);
	match mt;
	match_begin(&mt, m, neg, "Neg");
	match_input(&mt, neg, 0, "Relu");
	ck_assert(match_commit_passthrough(&mt, x));
	tu_assert_valid(m);
	ck_assert_int_eq(g->n_nodes, 1);
	ck_assert_str_eq(g->first->op_type, "Identity");
	ir_model_free(m);
}
END_TEST

START_TEST(test_passthrough_rewires_readers)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_node *neg = relu_neg(g, x);
	ir_node *abs = tu_node(g, "Abs", TU_VALUES(neg->outputs[0]), 1);
	tu_output(abs->outputs[0]);
	match mt;
	match_begin(&mt, m, neg, "Neg");
	match_input(&mt, neg, 0, "Relu");
	ck_assert(match_commit_passthrough(&mt, x));
	tu_assert_valid(m);
	ck_assert_int_eq(g->n_nodes, 1);
	ck_assert_ptr_eq(abs->inputs[0], x);
	ir_model_free(m);
}
END_TEST

static int count_relus(ir_model *model, ir_node *node, void *ctx)
{
	(void)model;
	(void)ctx;
	if (!ir_node_is(node, "Relu"))
		return 0;
	/* Remove a later node while the walk is running. */
	ir_node *next = node->next;
	if (next && ir_node_is(next, "Neg") && next->outputs[0]->n_uses == 0 &&
	    !ir_value_is_graph_output(next->outputs[0]))
		ir_node_remove(next);
	return 1;
}

START_TEST(test_driver_survives_removal)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *r = tu_op(g, "Relu", x);
	tu_op(g, "Neg", r); /* dead, removed by the callback */
	tu_output(tu_op(g, "Relu", r));
	ck_assert_int_eq(match_for_each_node(m, count_relus, NULL), 2);
	tu_assert_valid(m);
	ck_assert_int_eq(g->n_nodes, 2);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("match");
	TCase *tc = tcase_create("match");
	tcase_add_test(tc, test_walks_to_producers);
	tcase_add_test(tc, test_refuses_other_domains);
	tcase_add_test(tc, test_commuted_finds_either_operand);
	tcase_add_test(tc, test_save_restore_backtracks);
	tcase_add_test(tc, test_private_rejects_second_reader);
	tcase_add_test(tc, test_private_rejects_graph_output);
	tcase_add_test(tc, test_private_allows_dag_inside_pattern);
	tcase_add_test(tc, test_does_not_cross_into_parent_graph);
	tcase_add_test(tc, test_constants_from_initializers_and_nodes);
	tcase_add_test(tc, test_float16_round_trip);
	tcase_add_test(tc, test_axes_normalize);
	tcase_add_test(tc, test_per_channel_shapes);
	tcase_add_test(tc, test_commit_replaces_and_keeps_output_name);
	tcase_add_test(tc, test_commit_applies_edits_to_the_kept_node);
	tcase_add_test(tc, test_failed_commit_leaves_the_graph_as_it_was);
	tcase_add_test(tc, test_passthrough_adds_identity_for_graph_output);
	tcase_add_test(tc, test_passthrough_rewires_readers);
	tcase_add_test(tc, test_driver_survives_removal);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
