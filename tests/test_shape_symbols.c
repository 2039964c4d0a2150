/*
 * test_shape_symbols.c - dims that keep their identity: fresh symbols for
 * dims inference cannot derive (never colliding with the model's own
 * names), min() for a slice clamped by a symbolic end, and the Reshape
 * rewrite and input-shape specialization that build on them.
 */
#include "pass.h"
#include "test_shape_util.h"

static ir_value *dim_of(ir_graph *g, ir_value *shape, int64_t index)
{
	ir_value *d = tu_op(g, "Gather", shape, scalar_i64(g, index));
	return tu_op(g, "Unsqueeze", d, ints(g, (int64_t[]){0}, 1));
}

static const char *text(const dim_expr *e)
{
	static char buf[128];
	return dim_format(e, buf, sizeof buf) ? buf : "<none>";
}

/* position_ids[:, :seq] of a [1, 512] buffer is [1, min(512,seq)], and
 * adding it to a [batch, seq] tensor keeps seq (see context.c). */
START_TEST(test_slice_by_symbolic_end_is_a_min)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *ids = input(g, "ids", IR_INT64, "batch,seq");
	ir_value *buffer = input(g, "buffer", IR_INT64, "1,512");
	ir_value *seq = dim_of(g, tu_op(g, "Shape", ids), 1);
	ir_value *sliced =
	    tu_op(g, "Slice", buffer, ints(g, (int64_t[]){0}, 1), seq,
	          ints(g, (int64_t[]){1}, 1), ints(g, (int64_t[]){1}, 1));
	ir_value *sum = tu_op(g, "Add", ids, sliced);
	/* a slice of seq by seq is seq itself */
	ir_value *same = tu_op(g, "Slice", ids, ints(g, (int64_t[]){0}, 1), seq,
	                       ints(g, (int64_t[]){1}, 1));
	infer(m);
	assert_type(sliced, "int64[1,min(512,seq)]");
	assert_type(sum, "int64[batch,seq]");
	assert_type(same, "int64[batch,seq]");
	/* the min reads back as the same atom on the next run */
	ck_assert_int_eq(shape_infer_refine(m), 0);
	dim_expr a = dim_from_ir(&sliced->type.dims[1]);
	dim_expr b = dim_from_ir(&sliced->type.dims[1]);
	ck_assert(dim_equal(&a, &b));
	ck_assert_str_eq(text(&a), "min(512,seq)");
	ir_model_free(m);
}
END_TEST

START_TEST(test_min_simplifies)
{
	ir_model *m = tu_model(13);
	dim_expr n = dim_symbol_named("n", 1), c = dim_const(4);
	dim_expr one = dim_const(1), zero = dim_const(0);
	dim_expr np1 = dim_add(&n, &one);
	dim_expr self = dim_min(m, &n, &n);
	ck_assert_str_eq(text(&self), "n");
	dim_expr both = dim_min(m, &np1, &n);
	ck_assert_str_eq(text(&both), "n");
	dim_expr cc = dim_min(m, &c, &one);
	ck_assert_str_eq(text(&cc), "1");
	dim_expr z = dim_min(m, &n, &zero);
	ck_assert_str_eq(text(&z), "0");
	/* operands in text order: either way round is one atom */
	dim_expr ab = dim_min(m, &n, &c), ba = dim_min(m, &c, &n);
	ck_assert(dim_equal(&ab, &ba));
	int64_t k;
	ck_assert(dim_is_min_with_const(&ab, &n, &k) && k == 4);
	ck_assert(!dim_is_min_with_const(&ab, &np1, &k));
	dim_expr unknown = dim_unknown();
	ck_assert(!dim_min(m, &n, &unknown).known);
	ir_model_free(m);
}
END_TEST

/* A dim nothing can derive gets a fresh symbol, and Shape/Gather keep it:
 * Shape(y)[1] is y's dim 1. */
START_TEST(test_fresh_symbols_keep_identity)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT, "batch,16");
	ir_value *start = input(g, "start", IR_INT64, "1");
	/* the slice's start is data: its length cannot be derived */
	ir_value *y = tu_op(g, "Slice", x, start, ints(g, (int64_t[]){16}, 1),
	                    ints(g, (int64_t[]){1}, 1));
	ir_value *n = dim_of(g, tu_op(g, "Shape", y), 1);
	infer(m);
	ck_assert(shape_dim_is_fresh(&y->type.dims[1]));
	shape_value sv;
	ck_assert(shape_value_of(n, &sv));
	dim_expr d = dim_from_ir(&y->type.dims[1]);
	ck_assert(dim_equal(&sv.elems[0], &d));
	/* stable: a second run keeps the symbol it wrote */
	const char *name = y->type.dims[1].param;
	ck_assert_int_eq(shape_infer_refine(m), 0);
	ck_assert_str_eq(y->type.dims[1].param, name);
	ir_model_free(m);
}
END_TEST

START_TEST(test_fresh_symbols_never_collide)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	/* the model already uses unk__4 for a dim of its own */
	ir_value *x = input(g, "x", IR_FLOAT, "unk__4,16");
	ir_value *start = input(g, "start", IR_INT64, "1");
	ir_value *y = tu_op(g, "Slice", x, start, ints(g, (int64_t[]){16}, 1),
	                    ints(g, (int64_t[]){1}, 1));
	infer(m);
	assert_type(y, "float[unk__4,unk__5]");
	ir_model_free(m);

	/* only an expression still names unk__6 (its bare symbol is gone):
	 * a new symbol must not take 6, or two sizes would share it */
	m = tu_model(13);
	g = m->graph;
	x = input(g, "x", IR_FLOAT, "unk__6+1,16");
	ir_value *z = input(g, "z", IR_FLOAT, "min(512,unk__9)");
	start = input(g, "start", IR_INT64, "1");
	y = tu_op(g, "Slice", x, start, ints(g, (int64_t[]){16}, 1),
	          ints(g, (int64_t[]){1}, 1));
	tu_output(tu_op(g, "Neg", z));
	infer(m);
	assert_type(y, "float[unk__6+1,unk__10]");
	ir_model_free(m);
}
END_TEST

/* The Reshape of x.view(x.size()[:-1] + (4, 8)) where x's dims are only
 * known as fresh symbols becomes a constant [0, 0, 4, 8]. */
START_TEST(test_reshape_copies_fresh_dims)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *in = input(g, "in", IR_FLOAT, "?,?,32");
	ir_value *x = tu_op(g, "Relu", in);
	ir_value *shape = tu_op(g, "Shape", x);
	ir_value *b = dim_of(g, shape, 0), *s = dim_of(g, shape, 1);
	ir_node *concat = tu_node(
	    g, "Concat", TU_VALUES(b, s, ints(g, (int64_t[]){4, 8}, 2)), 1);
	ir_node_set_attr_int(concat, "axis", 0);
	ir_value *y = tu_op(g, "Reshape", x, concat->outputs[0]);
	tu_output(y);
	ck_assert_int_ge(tu_run(m, "infer-shapes"), 1);
	ck_assert_int_ge(tu_run(m, "fuse_concat_into_reshape"), 1);
	ck_assert_int_eq(tu_count_ops(m, "Concat"), 0);
	int64_t target[4];
	int n;
	ck_assert(shape_value_ints(y->producer->inputs[1], target, 4, &n));
	ck_assert_int_eq(n, 4);
	ck_assert(target[0] == 0 && target[1] == 0 && target[2] == 4 &&
	          target[3] == 8);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shape-symbols");
	TCase *tc = tcase_create("symbols");
	tcase_add_test(tc, test_slice_by_symbolic_end_is_a_min);
	tcase_add_test(tc, test_min_simplifies);
	tcase_add_test(tc, test_fresh_symbols_keep_identity);
	tcase_add_test(tc, test_fresh_symbols_never_collide);
	tcase_add_test(tc, test_reshape_copies_fresh_dims);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
