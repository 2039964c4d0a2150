/*
 * test_pass_fuse_gelu.c - decomposed GELUs (erf and tanh forms, in their
 * common orders) fuse to Gelu and compute the same; near misses do not.
 */
#include "test_fuse_util.h"

enum { ERF_TORCH, ERF_SWAPPED, ERF_HALF_FIRST, TANH_POW, TANH_MULMUL };

typedef struct gelu_options {
	int form;
	int opset;   /* default 20 */
	float sqrt2; /* default sqrt(2) */
	float half;  /* default 0.5 */
	bool constant_nodes;
	bool erf_read_twice; /* the Erf output is also a graph output */
} gelu_options;

typedef struct gelu_graph {
	ir_model *m;
	ir_value *x, *y, *erf;
} gelu_graph;

static ir_value *k(ir_graph *g, const gelu_options *o, float v)
{
	return o->constant_nodes ? fu_constant_scalar(g, v) : fu_scalar(g, v);
}

static gelu_graph build(const gelu_options *o)
{
	gelu_graph r = {0};
	r.m = tu_model(o->opset ? o->opset : 20);
	ir_graph *g = r.m->graph;
	r.x = tu_input(g, "x", TU_DIMS(3, 5));
	ir_value *x = r.x;
	float half = o->half ? o->half : 0.5f;
	float sqrt2 = o->sqrt2 ? o->sqrt2 : (float)sqrt(2.0);
	switch (o->form) {
	case ERF_TORCH: {
		r.erf = tu_op(g, "Erf", tu_op(g, "Div", x, k(g, o, sqrt2)));
		ir_value *a = tu_op(g, "Add", r.erf, k(g, o, 1));
		r.y = tu_op(g, "Mul", tu_op(g, "Mul", x, a), k(g, o, half));
		break;
	}
	case ERF_SWAPPED: {
		r.erf = tu_op(g, "Erf", tu_op(g, "Div", x, k(g, o, sqrt2)));
		ir_value *a = tu_op(g, "Add", k(g, o, 1), r.erf);
		r.y = tu_op(g, "Mul", k(g, o, half), tu_op(g, "Mul", a, x));
		break;
	}
	case ERF_HALF_FIRST: {
		ir_value *hx = tu_op(g, "Mul", x, k(g, o, half));
		r.erf =
		    tu_op(g, "Erf", tu_op(g, "Mul", x, k(g, o, 1.0f / sqrt2)));
		r.y = tu_op(g, "Mul", hx, tu_op(g, "Add", r.erf, k(g, o, 1)));
		break;
	}
	default: {
		ir_value *cube =
		    o->form == TANH_POW
		        ? tu_op(g, "Pow", x, k(g, o, 3))
		        : tu_op(g, "Mul", x, tu_op(g, "Mul", x, x));
		ir_value *inner = tu_op(
		    g, "Add", x, tu_op(g, "Mul", k(g, o, 0.044715f), cube));
		ir_value *t = tu_op(
		    g, "Tanh",
		    tu_op(g, "Mul", inner, k(g, o, (float)sqrt(2 / M_PI))));
		ir_value *a = tu_op(g, "Add", t, k(g, o, 1));
		r.y =
		    o->form == TANH_POW
		        ? tu_op(g, "Mul", tu_op(g, "Mul", a, k(g, o, half)), x)
		        : tu_op(g, "Mul", tu_op(g, "Mul", k(g, o, half), x), a);
	}
	}
	tu_output(r.y);
	if (o->erf_read_twice)
		tu_output(tu_op(g, "Abs", r.erf));
	return r;
}

static void assert_fused(const gelu_options *o, const char *approximate)
{
	gelu_graph r = build(o);
	ck_assert_int_eq(fu_run_equivalent(r.m, "fuse_gelu", 1e-5), 1);
	ir_node *gelu = fu_producer(r.y);
	ck_assert_str_eq(gelu->op_type, "Gelu");
	ck_assert_ptr_eq(gelu->inputs[0], r.x);
	ck_assert_str_eq(ir_attr_string(gelu, "approximate", "none"),
	                 approximate);
	ck_assert_int_eq(r.m->graph->n_nodes, 1);
	ck_assert_int_eq(r.m->graph->n_initializers, 0);
	ir_model_free(r.m);
}

static void assert_not_fused(const gelu_options *o)
{
	gelu_graph r = build(o);
	ck_assert_int_eq(tu_run(r.m, "fuse_gelu"), 0);
	ck_assert_int_eq(tu_count_ops(r.m, "Gelu"), 0);
	ir_model_free(r.m);
}

START_TEST(test_erf_torch_order)
{
	assert_fused(&(gelu_options){.form = ERF_TORCH}, "none");
}
END_TEST

START_TEST(test_erf_swapped_with_constant_nodes)
{
	assert_fused(
	    &(gelu_options){.form = ERF_SWAPPED, .constant_nodes = true},
	    "none");
}
END_TEST

START_TEST(test_erf_half_first_with_reciprocal_sqrt2)
{
	assert_fused(&(gelu_options){.form = ERF_HALF_FIRST}, "none");
}
END_TEST

START_TEST(test_tanh_pow)
{
	assert_fused(&(gelu_options){.form = TANH_POW}, "tanh");
}
END_TEST

START_TEST(test_tanh_mulmul)
{
	assert_fused(&(gelu_options){.form = TANH_MULMUL}, "tanh");
}
END_TEST

START_TEST(test_too_low_opset)
{
	assert_not_fused(&(gelu_options){.form = ERF_TORCH, .opset = 19});
}
END_TEST

START_TEST(test_loose_sqrt2)
{
	/* 1.414 is 1.5e-4 away from sqrt 2: not the exact GELU. */
	assert_not_fused(&(gelu_options){.form = ERF_TORCH, .sqrt2 = 1.414f});
}
END_TEST

START_TEST(test_wrong_half)
{
	assert_not_fused(&(gelu_options){.form = ERF_SWAPPED, .half = 0.25f});
}
END_TEST

START_TEST(test_shared_erf)
{
	assert_not_fused(
	    &(gelu_options){.form = ERF_TORCH, .erf_read_twice = true});
}
END_TEST

START_TEST(test_different_x)
{
	/* y = z * 0.5 * (1 + erf(x / sqrt 2)) with z != x. */
	ir_model *m = tu_model(20);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(3));
	ir_value *z = tu_input(g, "z", TU_DIMS(3));
	ir_value *e =
	    tu_op(g, "Erf", tu_op(g, "Div", x, fu_scalar(g, 1.41421356f)));
	ir_value *a = tu_op(g, "Add", e, fu_scalar(g, 1));
	tu_output(tu_op(g, "Mul", tu_op(g, "Mul", z, a), fu_scalar(g, 0.5f)));
	ck_assert_int_eq(tu_run(m, "fuse_gelu"), 0);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_gelu");
	TCase *tc = tcase_create("fuse_gelu");
	tcase_add_test(tc, test_erf_torch_order);
	tcase_add_test(tc, test_erf_swapped_with_constant_nodes);
	tcase_add_test(tc, test_erf_half_first_with_reciprocal_sqrt2);
	tcase_add_test(tc, test_tanh_pow);
	tcase_add_test(tc, test_tanh_mulmul);
	tcase_add_test(tc, test_too_low_opset);
	tcase_add_test(tc, test_loose_sqrt2);
	tcase_add_test(tc, test_wrong_half);
	tcase_add_test(tc, test_shared_erf);
	tcase_add_test(tc, test_different_x);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
