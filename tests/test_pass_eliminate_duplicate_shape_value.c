/*
 * test_pass_eliminate_duplicate_shape_value.c - a shape tensor is read
 * from an earlier value only when both provably hold the same elements:
 * the same dim of the same symbol, a difference that cancels, a decided
 * Equal/Where; never two different unknown dims, a min() against its
 * operand, a graph output, or values of different element types.
 */
#include "test_eliminate_util.h"
#include "test_shape_util.h"

#define PASS_NAME "eliminate_duplicate_shape_value"

/* Unsqueeze(Gather(Shape(x), index)): x's dim as a 1-element tensor. */
static ir_value *dim_of(ir_graph *g, ir_value *x, int64_t index)
{
	ir_value *d =
	    tu_op(g, "Gather", tu_op(g, "Shape", x), scalar_i64(g, index));
	return tu_op(g, "Unsqueeze", d, ints(g, (int64_t[]){0}, 1));
}

/* A reader that keeps v alive: Reshape(data, v) as a graph output. */
static ir_node *read_as_shape(ir_graph *g, ir_value *data, ir_value *v)
{
	ir_node *r = tu_node(g, "Reshape", TU_VALUES(data, v), 1);
	tu_output(r->outputs[0]);
	return r;
}

START_TEST(test_same_symbol_merges)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *ids = input(g, "ids", IR_INT64, "batch,seq");
	ir_value *h = input(g, "h", IR_FLOAT, "batch,seq,4");
	ir_value *flat = input(g, "flat", IR_FLOAT, "?");
	ir_node *r1 = read_as_shape(g, flat, dim_of(g, ids, 1));
	ir_node *r2 = read_as_shape(g, flat, dim_of(g, h, 1));
	/* the Gather, then the Unsqueeze */
	ck_assert_int_eq(tu_run(m, PASS_NAME), 2);
	ck_assert_ptr_eq(r1->inputs[1], r2->inputs[1]);
	/* the second chain went with its last reader */
	ck_assert_int_eq(tu_count_ops(m, "Shape"), 1);
	ck_assert_int_eq(tu_count_ops(m, "Gather"), 1);
	ck_assert_int_eq(tu_count_ops(m, "Unsqueeze"), 1);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

START_TEST(test_different_or_unknown_dims_stay)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	/* two different names, and two dims nothing names: graph inputs
	 * get no fresh symbol, so neither "?" equals anything */
	ir_value *a = input(g, "a", IR_FLOAT, "n,?");
	ir_value *b = input(g, "b", IR_FLOAT, "k,?");
	ir_value *flat = input(g, "flat", IR_FLOAT, "?");
	read_as_shape(g, flat, dim_of(g, a, 0));
	read_as_shape(g, flat, dim_of(g, b, 0));
	read_as_shape(g, flat, dim_of(g, a, 1));
	read_as_shape(g, flat, dim_of(g, b, 1));
	read_as_shape(g, flat, dim_of(g, a, 1));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ck_assert_int_eq(tu_count_ops(m, "Shape"), 5);
	ir_model_free(m);
}
END_TEST

/* position_ids[:, :seq] of a [1, 512] buffer has length min(512,seq):
 * not seq (no bound says seq <= 512), but the same min() again is. */
START_TEST(test_min_is_not_its_operand)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *ids = input(g, "ids", IR_INT64, "batch,seq");
	ir_value *buffer = input(g, "buffer", IR_INT64, "1,512");
	ir_value *flat = input(g, "flat", IR_FLOAT, "?");
	ir_value *seq = dim_of(g, ids, 1);
	ir_value *sliced =
	    tu_op(g, "Slice", buffer, ints(g, (int64_t[]){0}, 1), seq,
	          ints(g, (int64_t[]){1}, 1), ints(g, (int64_t[]){1}, 1));
	ir_node *r_seq = read_as_shape(g, flat, seq);
	ir_node *r_min1 = read_as_shape(g, flat, dim_of(g, sliced, 1));
	ir_node *r_min2 = read_as_shape(g, flat, dim_of(g, sliced, 1));
	ck_assert_int_gt(tu_run(m, PASS_NAME), 0);
	ck_assert_ptr_eq(r_min1->inputs[1], r_min2->inputs[1]);
	ck_assert_ptr_ne(r_min1->inputs[1], r_seq->inputs[1]);
	ir_model_free(m);
}
END_TEST

/* GPT-2's mask offset: Shape(present)[2] - Shape(q)[2] is past, which is
 * Shape(past_key)[2]; and sums in either order are one expression. */
START_TEST(test_arithmetic_that_cancels_merges)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *past = input(g, "past", IR_FLOAT, "batch,2,past,8");
	ir_value *k = input(g, "k", IR_FLOAT, "batch,2,seq,8");
	ir_value *flat = input(g, "flat", IR_FLOAT, "?");
	ir_node *cat = tu_node(g, "Concat", TU_VALUES(past, k), 1);
	ir_node_set_attr_int(cat, "axis", 2);
	ir_value *present = cat->outputs[0];
	ir_node *r_past = read_as_shape(g, flat, dim_of(g, past, 2));
	ir_value *diff =
	    tu_op(g, "Sub", dim_of(g, present, 2), dim_of(g, k, 2));
	ir_node *r_diff = read_as_shape(g, flat, diff);
	ir_value *sum1 = tu_op(g, "Add", dim_of(g, k, 2), dim_of(g, past, 2));
	ir_value *sum2 = tu_op(g, "Add", dim_of(g, past, 2), dim_of(g, k, 2));
	ir_node *r_sum1 = read_as_shape(g, flat, sum1);
	ir_node *r_sum2 = read_as_shape(g, flat, sum2);
	ck_assert_int_gt(tu_run(m, PASS_NAME), 0);
	ck_assert_ptr_eq(r_diff->inputs[1], r_past->inputs[1]);
	ck_assert_ptr_eq(r_sum1->inputs[1], r_sum2->inputs[1]);
	/* past + seq is also the present's dim, computed first */
	ck_assert_str_eq(r_sum1->inputs[1]->producer->op_type, "Unsqueeze");
	ck_assert_ptr_ne(r_sum1->inputs[1], r_past->inputs[1]);
	ir_model_free(m);
}
END_TEST

/* expand(batch, -1, -1) exports Where(Equal(c, -1), 1, c): sizes are
 * never -1, so the Where is c itself. */
START_TEST(test_decided_where_is_its_operand)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT, "batch,seq");
	ir_value *flat = input(g, "flat", IR_FLOAT, "?");
	ir_value *c =
	    tu_op(g, "Concat", dim_of(g, x, 0), ints(g, (int64_t[]){4}, 1));
	ir_node_set_attr_int(c->producer, "axis", 0);
	ir_value *is_free =
	    tu_op(g, "Equal", c, ints(g, (int64_t[]){-1, -1}, 2));
	ir_value *w =
	    tu_op(g, "Where", is_free, ints(g, (int64_t[]){1, 1}, 2), c);
	ir_node *r = read_as_shape(g, flat, w);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert_ptr_eq(r->inputs[1], c);
	ck_assert_int_eq(tu_count_ops(m, "Where"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Equal"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_graph_outputs_and_types_stay)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT, "batch,seq");
	ir_value *flat = input(g, "flat", IR_FLOAT, "?");
	ir_value *batch = dim_of(g, x, 0);
	read_as_shape(g, flat, batch);
	/* the same elements as a graph output keep their own name */
	ir_value *out = tu_op(g, "Identity", batch);
	tu_output(out);
	/* as int32 they are another tensor */
	ir_node *cast = tu_node(g, "Cast", TU_VALUES(batch), 1);
	ir_node_set_attr_int(cast, "to", IR_INT32);
	ir_node *neg = tu_node(g, "Neg", TU_VALUES(cast->outputs[0]), 1);
	tu_output(neg->outputs[0]);
	/* all-constant tensors are fold_constants' */
	read_as_shape(g, flat,
	              tu_op(g, "Add", ints(g, (int64_t[]){2}, 1),
	                    ints(g, (int64_t[]){2}, 1)));
	read_as_shape(g, flat,
	              tu_op(g, "Mul", ints(g, (int64_t[]){2}, 1),
	                    ints(g, (int64_t[]){2}, 1)));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ck_assert_str_eq(out->producer->op_type, "Identity");
	ck_assert_ptr_eq(neg->inputs[0], cast->outputs[0]);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_same_symbol_merges);
	tcase_add_test(tc, test_different_or_unknown_dims_stay);
	tcase_add_test(tc, test_min_is_not_its_operand);
	tcase_add_test(tc, test_arithmetic_that_cancels_merges);
	tcase_add_test(tc, test_decided_where_is_its_operand);
	tcase_add_test(tc, test_graph_outputs_and_types_stay);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
