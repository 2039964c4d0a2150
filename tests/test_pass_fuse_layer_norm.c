/*
 * test_pass_fuse_layer_norm.c - hand-written layer norms in their common
 * spellings fuse to LayerNormalization with the right inputs and
 * attributes; near misses do not.
 */
#include "test_fuse_util.h"

typedef struct ln_options {
	int opset;
	bool axes_as_input;   /* ReduceMean-18 form */
	bool constants_nodes; /* eps, gamma, beta as Constant nodes */
	bool swapped;         /* every commutative operand flipped */
	bool reciprocal;      /* Mul(d, Reciprocal(s)) instead of Div */
	bool square_as_mul;   /* Mul(d, d) instead of Pow(d, 2) */
	bool two_subs;        /* a second Sub(x, mean) for the variance */
	bool no_beta;
	bool keepdims0;
	int64_t axis;        /* reduced axis, default -1 */
	float exponent;      /* default 2 */
	bool other_x_in_sub; /* Sub reads a different tensor */
} ln_options;

typedef struct ln_graph {
	ir_model *m;
	ir_value *x, *gamma, *beta, *y, *mean, *d;
} ln_graph;

static ir_value *constant(ir_graph *g, const ln_options *o, const float *v,
                          int n)
{
	if (!o->constants_nodes)
		return n == 1
		           ? fu_scalar(g, v[0])
		           : tu_initializer_f32(g, "c", v, (int64_t[]){n}, 1);
	ir_node *node = tu_node(g, "Constant", NULL, 0, 1);
	int64_t dims[1] = {n};
	ir_tensor *t = ir_tensor_create(g->model, IR_FLOAT, n == 1 ? 0 : 1,
	                                dims, v, sizeof(float) * (size_t)n);
	ir_node_set_attr_tensor(node, "value", t);
	return node->outputs[0];
}

static ir_value *binary(ir_graph *g, const ln_options *o, const char *op,
                        ir_value *a, ir_value *b)
{
	return o->swapped ? tu_op(g, op, b, a) : tu_op(g, op, a, b);
}

static ir_value *reduce_mean(ir_graph *g, const ln_options *o, ir_value *in)
{
	int64_t axis = o->axis ? o->axis : -1;
	ir_node *r;
	if (o->axes_as_input) {
		r = tu_node(g, "ReduceMean",
		            TU_VALUES(in, fu_ints(g, &axis, 1)), 1);
	} else {
		r = tu_node(g, "ReduceMean", TU_VALUES(in), 1);
		ir_node_set_attr_ints(r, "axes", &axis, 1);
	}
	if (o->keepdims0)
		ir_node_set_attr_int(r, "keepdims", 0);
	return r->outputs[0];
}

/* x [2, 3, 4] normalized over the last axis. */
static ln_graph build(const ln_options *o)
{
	ln_graph l = {0};
	l.m = tu_model(o->opset ? o->opset : 17);
	ir_graph *g = l.m->graph;
	l.x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_value *other = tu_input(g, "other", TU_DIMS(2, 3, 4));
	l.mean = reduce_mean(g, o, l.x);
	l.d = tu_op(g, "Sub", o->other_x_in_sub ? other : l.x, l.mean);
	ir_value *d2 = o->two_subs ? tu_op(g, "Sub", l.x, l.mean) : l.d;
	float exponent = o->exponent ? o->exponent : 2.0f;
	ir_value *sq = o->square_as_mul
	                   ? tu_op(g, "Mul", d2, d2)
	                   : tu_op(g, "Pow", d2, constant(g, o, &exponent, 1));
	ir_value *var = reduce_mean(g, o, sq);
	float eps = 1e-5f;
	ir_value *s =
	    tu_op(g, "Sqrt", binary(g, o, "Add", var, constant(g, o, &eps, 1)));
	ir_value *n = o->reciprocal
	                  ? binary(g, o, "Mul", l.d, tu_op(g, "Reciprocal", s))
	                  : tu_op(g, "Div", l.d, s);
	l.gamma = constant(g, o, (float[]){1, 2, 3, 4}, 4);
	ir_value *scaled = binary(g, o, "Mul", n, l.gamma);
	if (o->no_beta) {
		l.y = scaled;
	} else {
		l.beta = constant(g, o, (float[]){-1, 0, 1, 2}, 4);
		l.y = binary(g, o, "Add", scaled, l.beta);
	}
	tu_output(l.y);
	return l;
}

static void assert_fused(ln_graph *l, bool with_beta)
{
	ck_assert_int_eq(fu_run_equivalent(l->m, "fuse_layer_norm", 1e-5), 1);
	ir_node *ln = fu_producer(l->y);
	ck_assert_ptr_nonnull(ln);
	ck_assert_str_eq(ln->op_type, "LayerNormalization");
	ck_assert_int_eq(ln->n_inputs, with_beta ? 3 : 2);
	ck_assert_ptr_eq(ln->inputs[0], l->x);
	ck_assert_ptr_eq(ln->inputs[1], l->gamma);
	if (with_beta)
		ck_assert_ptr_eq(ln->inputs[2], l->beta);
	ck_assert_int_eq(ir_attr_int(ln, "axis", 0), -1);
	fu_assert_near(ir_attr_float(ln, "epsilon", 0), 1e-5, 1e-12);
	ck_assert_int_eq(tu_count_ops(l->m, "ReduceMean"), 0);
	ck_assert_int_eq(tu_count_ops(l->m, "Sqrt"), 0);
	ck_assert_ptr_eq(l->m->graph->outputs[0], l->y);
	ir_model_free(tu_reload(l->m));
}

static void assert_not_fused(ln_graph *l)
{
	ck_assert_int_eq(tu_run(l->m, "fuse_layer_norm"), 0);
	ck_assert_int_eq(tu_count_ops(l->m, "LayerNormalization"), 0);
	ir_model_free(l->m);
}

START_TEST(test_plain)
{
	ln_graph l = build(&(ln_options){0});
	assert_fused(&l, true);
}
END_TEST

START_TEST(test_swapped_operands_and_constant_nodes)
{
	ln_graph l =
	    build(&(ln_options){.swapped = true, .constants_nodes = true});
	assert_fused(&l, true);
}
END_TEST

START_TEST(test_no_beta)
{
	ln_graph l = build(&(ln_options){.no_beta = true});
	assert_fused(&l, false);
}
END_TEST

START_TEST(test_reciprocal_and_square_as_mul)
{
	ln_graph l =
	    build(&(ln_options){.reciprocal = true, .square_as_mul = true});
	assert_fused(&l, true);
}
END_TEST

START_TEST(test_two_subs_of_the_same_mean)
{
	ln_graph l = build(&(ln_options){.two_subs = true});
	assert_fused(&l, true);
}
END_TEST

START_TEST(test_axes_as_input_at_opset_18)
{
	ln_graph l = build(&(ln_options){.opset = 18, .axes_as_input = true});
	assert_fused(&l, true);
}
END_TEST

START_TEST(test_positive_last_axis_with_known_rank)
{
	ln_graph l = build(&(ln_options){.axis = 2});
	assert_fused(&l, true);
}
END_TEST

START_TEST(test_too_low_opset)
{
	ln_graph l = build(&(ln_options){.opset = 16});
	assert_not_fused(&l);
}
END_TEST

START_TEST(test_not_the_last_axis)
{
	ln_graph l = build(&(ln_options){.axis = 1});
	assert_not_fused(&l);
}
END_TEST

START_TEST(test_keepdims_zero)
{
	ln_graph l = build(&(ln_options){.keepdims0 = true});
	assert_not_fused(&l);
}
END_TEST

START_TEST(test_wrong_exponent)
{
	ln_graph l = build(&(ln_options){.exponent = 3});
	assert_not_fused(&l);
}
END_TEST

START_TEST(test_sub_of_another_tensor)
{
	ln_graph l = build(&(ln_options){.other_x_in_sub = true});
	assert_not_fused(&l);
}
END_TEST

START_TEST(test_mean_is_graph_output)
{
	ln_graph l = build(&(ln_options){0});
	tu_output(l.mean);
	assert_not_fused(&l);
}
END_TEST

START_TEST(test_second_reader_of_centered)
{
	ln_graph l = build(&(ln_options){0});
	tu_output(tu_op(l.m->graph, "Abs", l.d));
	assert_not_fused(&l);
}
END_TEST

START_TEST(test_gamma_of_wrong_length)
{
	/* gamma [2] cannot multiply [.., 4]: the model is broken, and the
	 * pass must not turn it into a LayerNormalization. */
	ln_options o = {0};
	ln_graph l = build(&o);
	ir_node *mul = fu_producer(l.y)->inputs[0]->producer;
	ir_value *bad =
	    tu_initializer_f32(l.m->graph, "g2", (float[]){1, 2}, TU_DIMS(2));
	ir_node_set_input(mul, 1, bad);
	assert_not_fused(&l);
}
END_TEST

START_TEST(test_gamma_and_beta_by_edge)
{
	/* beta is the rank-1 constant added last, gamma the one multiplied;
	 * give them the same shape so only the edge can tell them apart. */
	ln_graph l = build(&(ln_options){.swapped = true});
	assert_fused(&l, true);
}
END_TEST

START_TEST(test_mixed_precision_cast)
{
	/* n computed in float, cast to float16, scaled by float16 gamma:
	 * gamma and beta become float, the Cast moves after the fusion. */
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 4));
	int64_t axis = -1;
	ir_node *mean = tu_node(g, "ReduceMean", TU_VALUES(x), 1);
	ir_node_set_attr_ints(mean, "axes", &axis, 1);
	ir_value *d = tu_op(g, "Sub", x, mean->outputs[0]);
	ir_value *sq = tu_op(g, "Pow", d, fu_scalar(g, 2));
	ir_node *var = tu_node(g, "ReduceMean", TU_VALUES(sq), 1);
	ir_node_set_attr_ints(var, "axes", &axis, 1);
	ir_value *s = tu_op(
	    g, "Sqrt", tu_op(g, "Add", var->outputs[0], fu_scalar(g, 1e-5f)));
	ir_node *cast = tu_node(g, "Cast", TU_VALUES(tu_op(g, "Div", d, s)), 1);
	ir_node_set_attr_int(cast, "to", IR_FLOAT16);
	uint16_t ones[4] = {0x3c00, 0x3c00, 0x3c00, 0x4000};
	ir_value *gamma = ir_initializer_add(
	    g, "gamma",
	    ir_tensor_create(m, IR_FLOAT16, 1, (int64_t[]){4}, ones, 8));
	ir_value *y = tu_op(g, "Mul", cast->outputs[0], gamma);
	tu_output(y);
	ck_assert_int_eq(tu_run(m, "fuse_layer_norm"), 1);
	ir_node *last = fu_producer(y);
	ck_assert_str_eq(last->op_type, "Cast");
	ck_assert_int_eq(ir_attr_int(last, "to", 0), IR_FLOAT16);
	ir_node *ln = fu_producer(last->inputs[0]);
	ck_assert_str_eq(ln->op_type, "LayerNormalization");
	const float *g32 = fu_floats(ln->inputs[1], NULL);
	fu_assert_near(g32[3], 2.0, 0);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_layer_norm");
	TCase *tc = tcase_create("fuse_layer_norm");
	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_swapped_operands_and_constant_nodes);
	tcase_add_test(tc, test_no_beta);
	tcase_add_test(tc, test_reciprocal_and_square_as_mul);
	tcase_add_test(tc, test_two_subs_of_the_same_mean);
	tcase_add_test(tc, test_axes_as_input_at_opset_18);
	tcase_add_test(tc, test_positive_last_axis_with_known_rank);
	tcase_add_test(tc, test_too_low_opset);
	tcase_add_test(tc, test_not_the_last_axis);
	tcase_add_test(tc, test_keepdims_zero);
	tcase_add_test(tc, test_wrong_exponent);
	tcase_add_test(tc, test_sub_of_another_tensor);
	tcase_add_test(tc, test_mean_is_graph_output);
	tcase_add_test(tc, test_second_reader_of_centered);
	tcase_add_test(tc, test_gamma_of_wrong_length);
	tcase_add_test(tc, test_gamma_and_beta_by_edge);
	tcase_add_test(tc, test_mixed_precision_cast);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
