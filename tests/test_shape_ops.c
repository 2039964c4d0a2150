/*
 * test_shape_ops.c - shape inference on small graphs: broadcasting,
 * Reshape with 0 and -1, Concat, MatMul batch broadcasting, symbolic
 * Shape -> Gather -> Concat -> Reshape chains, and the driver's rules
 * (never contradict the model, leave unknown ops alone), plus the
 * operator table and the infer-shapes pass.
 */
#include <string.h>

#include "ops.h"
#include "test_shape_util.h"

/* -------------------------------------------------------- broadcasting */

START_TEST(test_broadcast)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT, "batch,1,4");
	ir_value *y = input(g, "y", IR_FLOAT, "3,1");
	ir_value *a = input(g, "a", IR_FLOAT, "n");
	ir_value *b = input(g, "b", IR_FLOAT, "k");
	ir_value *bad = input(g, "bad", IR_FLOAT, "3");
	ir_value *sum = tu_op(g, "Add", x, y);
	ir_value *same = tu_op(g, "Mul", a, a);
	ir_value *different = tu_op(g, "Mul", a, b);
	ir_value *invalid = tu_op(g, "Sub", y, bad); /* [3,1] - [3] ok */
	ir_value *wrong = tu_op(g, "Sub", x, bad);   /* 4 vs 3 */
	ir_value *cmp = tu_op(g, "Less", x, y);
	ir_value *where = tu_op(g, "Where", cmp, x, y);
	infer(m);
	assert_type(sum, "float[batch,3,4]");
	assert_type(same, "float[n]");
	assert_type(different, "float[unk__0]");
	assert_type(invalid, "float[3,3]");
	assert_type(wrong, "float?");
	assert_type(cmp, "bool[batch,3,4]");
	assert_type(where, "float[batch,3,4]");
	ir_model_free(m);
}
END_TEST

/* ------------------------------------------------------------- Reshape */

START_TEST(test_reshape_zero_and_minus_one)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT, "2,3,4");
	ir_value *h = input(g, "h", IR_FLOAT, "batch,seq,768");
	ir_value *r1 = tu_op(g, "Reshape", x, ints(g, (int64_t[]){0, -1}, 2));
	ir_value *r2 =
	    tu_op(g, "Reshape", x, ints(g, (int64_t[]){-1, 2, 2}, 3));
	ir_value *r3 =
	    tu_op(g, "Reshape", h, ints(g, (int64_t[]){0, 0, 12, 64}, 4));
	ir_value *r4 = tu_op(g, "Reshape", h, ints(g, (int64_t[]){-1, 768}, 2));
	ir_value *r5 =
	    tu_op(g, "Reshape", h, ints(g, (int64_t[]){0, -1, 64}, 3));
	/* allowzero: a 0 is a real zero-sized dim */
	ir_node *zero = tu_node(g, "Reshape",
	                        TU_VALUES(x, ints(g, (int64_t[]){0, 4}, 2)), 1);
	ir_node_set_attr_int(zero, "allowzero", 1);
	/* a target that is not a constant still fixes the rank */
	ir_value *dynamic = input(g, "shape", IR_INT64, "3");
	ir_value *r6 = tu_op(g, "Reshape", x, dynamic);
	infer(m);
	assert_type(r1, "float[2,12]");
	assert_type(r2, "float[6,2,2]");
	assert_type(r3, "float[batch,seq,12,64]");
	assert_type(r4, "float[batch*seq,768]");
	assert_type(r5, "float[batch,12*seq,64]");
	assert_type(zero->outputs[0], "float[0,4]");
	assert_type(r6, "float[unk__0,unk__1,unk__2]");
	ir_model_free(m);
}
END_TEST

/* -------------------------------------------------------------- Concat */

START_TEST(test_concat)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *a = input(g, "a", IR_FLOAT, "batch,3");
	ir_value *b = input(g, "b", IR_FLOAT, "batch,5");
	ir_value *c = input(g, "c", IR_FLOAT, "past,4");
	ir_value *d = input(g, "d", IR_FLOAT, "seq,?");
	ir_node *n1 = tu_node(g, "Concat", TU_VALUES(a, b), 1);
	ir_node_set_attr_int(n1, "axis", -1);
	ir_node *n2 = tu_node(g, "Concat", TU_VALUES(c, d), 1);
	ir_node_set_attr_int(n2, "axis", 0);
	ir_node *n3 = tu_node(g, "Concat", TU_VALUES(a, c), 1);
	ir_node_set_attr_int(n3, "axis", 0);
	infer(m);
	assert_type(n1->outputs[0], "float[batch,8]");
	/* every input has the same size off the axis: the static one wins */
	assert_type(n2->outputs[0], "float[past+seq,4]");
	/* 3 and 4 cannot both be right: the node is invalid, no answer */
	assert_type(n3->outputs[0], "undefined?");
	ir_model_free(m);
}
END_TEST

/* -------------------------------------------------------------- MatMul */

START_TEST(test_matmul_batch_broadcast)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *a = input(g, "a", IR_FLOAT, "2,1,3,4");
	ir_value *b = input(g, "b", IR_FLOAT, "5,4,6");
	ir_value *v = input(g, "v", IR_FLOAT, "4");
	ir_value *w = input(g, "w", IR_FLOAT, "4,6");
	ir_value *q = input(g, "q", IR_FLOAT, "batch,heads,seq,64");
	ir_value *k = input(g, "k", IR_FLOAT, "batch,heads,64,seq");
	ir_value *ab = tu_op(g, "MatMul", a, b);
	ir_value *vw = tu_op(g, "MatMul", v, w);
	ir_value *wv = tu_op(g, "MatMul", a, v);
	ir_value *vv = tu_op(g, "MatMul", v, v);
	ir_value *qk = tu_op(g, "MatMul", q, k);
	ir_node *gemm = tu_node(g, "Gemm", TU_VALUES(w, w), 1);
	ir_node_set_attr_int(gemm, "transA", 1);
	ir_value *ia = input(g, "ia", IR_INT8, "3,4");
	ir_value *ib = input(g, "ib", IR_INT8, "4,2");
	ir_value *integer = tu_op(g, "MatMulInteger", ia, ib);
	infer(m);
	assert_type(ab, "float[2,5,3,6]");
	assert_type(vw, "float[6]");
	assert_type(wv, "float[2,1,3]");
	assert_type(vv, "float[]");
	assert_type(qk, "float[batch,heads,seq,seq]");
	assert_type(gemm->outputs[0], "float[6,6]");
	assert_type(integer, "int32[3,2]");
	ir_model_free(m);
}
END_TEST

/* ------------------------------------------- symbolic shape arithmetic */

/* Gather(Shape(x), i) as a 1-element vector, the way exporters build
 * shapes: Unsqueeze(Gather(Shape(x), i), [0]). */
static ir_value *dim_of(ir_graph *g, ir_value *shape, int64_t index)
{
	ir_value *d = tu_op(g, "Gather", shape, scalar_i64(g, index));
	return tu_op(g, "Unsqueeze", d, ints(g, (int64_t[]){0}, 1));
}

START_TEST(test_symbolic_shape_chain)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT, "batch,seq,768");
	ir_value *shape = tu_op(g, "Shape", x);
	ir_value *batch = dim_of(g, shape, 0);
	ir_value *seq = dim_of(g, shape, -2);
	ir_value *heads = ints(g, (int64_t[]){12, 64}, 2);
	ir_node *concat = tu_node(g, "Concat", TU_VALUES(batch, seq, heads), 1);
	ir_node_set_attr_int(concat, "axis", 0);
	ir_value *split = tu_op(g, "Reshape", x, concat->outputs[0]);
	/* flatten the batch and sequence: Mul of the two dims */
	ir_value *tokens = tu_op(g, "Mul", batch, seq);
	ir_node *back = tu_node(
	    g, "Concat", TU_VALUES(tokens, ints(g, (int64_t[]){768}, 1)), 1);
	ir_node_set_attr_int(back, "axis", 0);
	ir_value *flat = tu_op(g, "Reshape", x, back->outputs[0]);
	/* half the sequence, and a Range over it */
	ir_value *half = tu_op(g, "Div", seq, ints(g, (int64_t[]){2}, 1));
	ir_value *range_end =
	    tu_op(g, "Squeeze", half, ints(g, (int64_t[]){0}, 1));
	ir_value *positions =
	    tu_op(g, "Range", scalar_i64(g, 0), range_end, scalar_i64(g, 1));
	/* ConstantOfShape and Expand from the built shape */
	ir_value *mask = tu_op(g, "ConstantOfShape", concat->outputs[0]);
	ir_value *one = input(g, "one", IR_FLOAT, "1,1,1,1");
	ir_value *expanded = tu_op(g, "Expand", one, concat->outputs[0]);
	infer(m);

	assert_type(shape, "int64[3]");
	assert_type(split, "float[batch,seq,12,64]");
	assert_type(flat, "float[batch*seq,768]");
	assert_type(positions, "int64[seq/2]");
	assert_type(mask, "float[batch,seq,12,64]");
	assert_type(expanded, "float[batch,seq,12,64]");

	shape_value sv;
	ck_assert(shape_value_of(concat->outputs[0], &sv));
	ck_assert_int_eq(sv.n, 4);
	ck_assert_int_eq(sv.rank, 1);
	char buf[64];
	ck_assert(dim_format(&sv.elems[0], buf, sizeof buf));
	ck_assert_str_eq(buf, "batch");
	ck_assert(dim_format(&sv.elems[1], buf, sizeof buf));
	ck_assert_str_eq(buf, "seq");
	int64_t c;
	ck_assert(dim_is_const(&sv.elems[2], &c) && c == 12);
	ck_assert(dim_is_const(&sv.elems[3], &c) && c == 64);
	int64_t values[4];
	int n;
	ck_assert(!shape_value_ints(concat->outputs[0], values, 4, &n));
	ck_assert(shape_value_ints(heads, values, 4, &n));
	ck_assert_int_eq(n, 2);

	/* a second run reads the dims it wrote and changes nothing */
	ck_assert_int_eq(shape_infer_refine(m), 0);
	assert_type(flat, "float[batch*seq,768]");
	ir_model_free(m);
}
END_TEST

/* PyTorch's x.expand(n, -1, -1) exports a Where over Equal(shape, -1). */
/* A window function's Range(0.0, Cast(size, float), 1.0): the float
 * cast of a known integer is that integer, so the length is known. A
 * cast of a symbolic dim, float arithmetic on casts, and integers past
 * float's mantissa are not followed. */
START_TEST(test_float_cast_of_known_size_feeds_range)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT, "batch,10");
	ir_value *shape = tu_op(g, "Shape", x);
	float zero = 0.0f, one = 1.0f;
	ir_value *f0 = tu_initializer_f32(g, "zero", &zero, TU_SCALAR);
	ir_value *f1 = tu_initializer_f32(g, "one", &one, TU_SCALAR);
	ir_value *casts[4];
	ir_value *sizes[4] = {tu_op(g, "Gather", shape, scalar_i64(g, 1)),
	                      tu_op(g, "Gather", shape, scalar_i64(g, 0)),
	                      tu_op(g, "Mul",
	                            tu_op(g, "Gather", shape, scalar_i64(g, 1)),
	                            scalar_i64(g, 1 << 22)),
	                      NULL};
	for (int i = 0; i < 3; i++) {
		ir_node *c = tu_node(g, "Cast", TU_VALUES(sizes[i]), 1);
		ir_node_set_attr_int(c, "to", IR_FLOAT);
		casts[i] = c->outputs[0];
	}
	/* 10.0 / 10.0 stays unfollowed: no float arithmetic */
	casts[3] = tu_op(g, "Div", casts[0], casts[0]);
	ir_value *ranges[4];
	for (int i = 0; i < 4; i++)
		ranges[i] = tu_op(g, "Range", f0, casts[i], f1);
	infer(m);
	assert_type(ranges[0], "float[10]");
	for (int i = 1; i < 4; i++)
		ck_assert(ranges[i]->type.rank == 1 &&
		          ranges[i]->type.dims[0].kind != IR_DIM_VALUE);
	ir_model_free(m);
}
END_TEST

START_TEST(test_expand_with_minus_one_pattern)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT, "batch,16,32");
	ir_value *token = input(g, "token", IR_FLOAT, "1,1,32");
	ir_value *batch = dim_of(g, tu_op(g, "Shape", x), 0);
	ir_node *concat = tu_node(
	    g, "Concat", TU_VALUES(batch, ints(g, (int64_t[]){-1, -1}, 2)), 1);
	ir_node_set_attr_int(concat, "axis", 0);
	ir_value *target = concat->outputs[0];
	ir_value *is_free =
	    tu_op(g, "Equal", target, ints(g, (int64_t[]){-1}, 1));
	ir_value *ones =
	    tu_op(g, "ConstantOfShape", ints(g, (int64_t[]){3}, 1));
	ir_node *fill = ones->producer;
	int64_t one = 1;
	ir_node_set_attr_tensor(
	    fill, "value",
	    ir_tensor_create(m, IR_INT64, 1, (int64_t[]){1}, &one, 8));
	ir_value *shape = tu_op(g, "Where", is_free, ones, target);
	ir_value *out = tu_op(g, "Expand", token, shape);
	infer(m);
	assert_type(out, "float[batch,1,32]");
	ir_model_free(m);
}
END_TEST

/* ---------------------------------------------------- other op families */

/* Steps of INT64_MAX and INT64_MIN take one element; counting them must
 * not overflow (a fuzzer found 8 + INT64_MAX). */
START_TEST(test_slice_extreme_steps)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT, "10");
	ir_value *forward = tu_op(
	    g, "Slice", x, ints(g, (int64_t[]){0}, 1),
	    ints(g, (int64_t[]){8}, 1), ints(g, (int64_t[]){0}, 1),
	    ints(g, (int64_t[]){INT64_MAX}, 1));
	ir_value *backward = tu_op(
	    g, "Slice", x, ints(g, (int64_t[]){9}, 1),
	    ints(g, (int64_t[]){INT64_MIN}, 1), ints(g, (int64_t[]){0}, 1),
	    ints(g, (int64_t[]){INT64_MIN}, 1));
	ir_value *every_third = tu_op(
	    g, "Slice", x, ints(g, (int64_t[]){1}, 1),
	    ints(g, (int64_t[]){10}, 1), ints(g, (int64_t[]){0}, 1),
	    ints(g, (int64_t[]){3}, 1));
	/* An empty axis stays empty backwards too (the clamps would put
	 * start at 0 of nothing). */
	ir_value *empty = input(g, "empty", IR_FLOAT, "0,3");
	ir_value *empty_backward = tu_op(
	    g, "Slice", empty, ints(g, (int64_t[]){-1}, 1),
	    ints(g, (int64_t[]){-10}, 1), ints(g, (int64_t[]){0}, 1),
	    ints(g, (int64_t[]){-1}, 1));
	infer(m);
	assert_type(forward, "float[1]");
	assert_type(backward, "float[1]");
	assert_type(every_third, "float[3]");
	assert_type(empty_backward, "float[0,3]");
	ir_model_free(m);
}
END_TEST

START_TEST(test_slice_and_squeeze_stay_exact)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT, "batch,seq,10");
	int64_t big = INT64_MAX;
	/* the whole axis of a symbolic dim, and a part of a static one */
	ir_value *whole = tu_op(g, "Slice", x, ints(g, (int64_t[]){0, 2}, 2),
	                        ints(g, (int64_t[]){big, -1}, 2),
	                        ints(g, (int64_t[]){1, 2}, 2));
	/* the last position of a symbolic axis: 1 only if seq >= 1 */
	ir_value *last =
	    tu_op(g, "Slice", x, ints(g, (int64_t[]){-1}, 1),
	          ints(g, (int64_t[]){big}, 1), ints(g, (int64_t[]){1}, 1));
	/* Squeeze without axes cannot tell whether a symbol is 1 */
	ir_node *squeeze_all = tu_node(g, "Squeeze", TU_VALUES(x), 1);
	ir_value *y = input(g, "y", IR_FLOAT, "1,n,1");
	ir_value *squeezed =
	    tu_op(g, "Squeeze", y, ints(g, (int64_t[]){0, -1}, 2));
	ir_value *unsqueezed =
	    tu_op(g, "Unsqueeze", y, ints(g, (int64_t[]){-1, 1}, 2));
	infer(m);
	assert_type(whole, "float[batch,seq,7]");
	assert_type(last, "float[batch,unk__0,10]");
	assert_type(squeeze_all->outputs[0], "float?");
	assert_type(squeezed, "float[n]");
	assert_type(unsqueezed, "float[1,1,n,1,1]");
	ir_model_free(m);
}
END_TEST

/* ---------------------------------------------------------- the driver */

START_TEST(test_never_contradicts_the_model)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT, "batch,3");
	ir_value *a = tu_op(g, "Relu", x);
	ir_value *b = tu_op(g, "Relu", x);
	ir_value *c = tu_op(g, "Relu", x);
	/* the model says 5 where inference says 3: keep the model's word */
	ir_value_set_type(
	    a, IR_FLOAT, 2,
	    (ir_dim[]){{IR_DIM_PARAM, 0, "batch"}, {IR_DIM_VALUE, 5, NULL}});
	/* a different element type: contradiction, left alone */
	ir_value_set_type(b, IR_DOUBLE, -1, NULL);
	/* the model's own name for a dim is kept, unknowns are filled */
	ir_value_set_type(
	    c, IR_UNDEFINED, 2,
	    (ir_dim[]){{IR_DIM_PARAM, 0, "N"}, {IR_DIM_UNKNOWN, 0, NULL}});
	infer(m);
	assert_type(a, "float[batch,5]");
	assert_type(b, "double?");
	assert_type(c, "float[N,3]");
	ir_model_free(m);
}
END_TEST

START_TEST(test_unknown_ops_are_left_alone)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT, "4");
	ir_node *custom = ir_node_create(g, "Frobnicate", "com.example",
	                                 (ir_value *[]){x}, 1, 2);
	ir_node_append(g, custom);
	ir_value *after = tu_op(g, "Relu", custom->outputs[0]);
	ir_node *onnx_named = tu_node(g, "NotAnOnnxOp", TU_VALUES(x), 1);
	infer(m);
	assert_type(custom->outputs[0], "undefined?");
	assert_type(after, "undefined?");
	assert_type(onnx_named->outputs[0], "undefined?");
	ir_model_free(m);
}
END_TEST

/* ------------------------------------------------- table and the pass */

START_TEST(test_operator_table)
{
	int n;
	const op_info *table = op_table(&n);
	ck_assert_int_gt(n, 150);
	for (int i = 1; i < n; i++) {
		int c = strcmp(table[i - 1].domain, table[i].domain);
		if (!c)
			c = strcmp(table[i - 1].name, table[i].name);
		ck_assert_msg(c < 0, "%s and %s out of order or repeated",
		              table[i - 1].name, table[i].name);
	}
	/* Every kernel of the evaluator joins a row of the table. */
	for (int i = 0; i < n; i++)
		ck_assert_msg(table[i].infer != NULL,
		              "kernel for %s has no row in ops.def",
		              table[i].name);
	ck_assert_ptr_nonnull(op_lookup("", "Cos")->eval);
	const op_info *add = op_lookup("", "Add");
	ck_assert_ptr_nonnull(add);
	ck_assert_ptr_eq(op_lookup("ai.onnx", "Add"), add);
	ck_assert_ptr_nonnull(add->infer);
	ck_assert(!(add->flags & OP_RANDOM));
	ck_assert(add->flags & OP_COMMUTATIVE);
	ck_assert(!(op_lookup("", "Sub")->flags & OP_COMMUTATIVE));
	ck_assert_ptr_nonnull(op_lookup("ai.onnx.preview.training", "Adam"));
	ck_assert_ptr_null(op_lookup("", "Adam"));
	ck_assert_ptr_null(op_lookup("", "NoSuchOp"));
	ck_assert(op_lookup("", "RandomNormal")->flags & OP_RANDOM);
	ck_assert(op_lookup("", "Bernoulli")->flags & OP_RANDOM);
	ck_assert(op_lookup("", "Relu")->flags & OP_IDEMPOTENT);
	ck_assert(!(op_lookup("", "Neg")->flags & OP_IDEMPOTENT));
	ck_assert(op_lookup("", "ReduceLogSumExp")->flags & OP_REDUCTION);
	ck_assert(op_lookup("", "ArgMin")->flags & OP_REDUCTION);
	ck_assert(!(op_lookup("", "CumSum")->flags & OP_REDUCTION));
	/* A FLOAT_UNARY row is its op's inference and kernel at once. */
	ck_assert_ptr_eq(op_lookup("", "Mish")->infer, shape_infer_unary);
	ck_assert_ptr_nonnull(op_lookup("", "Mish")->eval);
	for (const char *const *name =
	         (const char *const[]){"LayerNormalization", "Gelu",
	                               "RMSNormalization", "Attention", NULL};
	     *name; name++)
		ck_assert_msg(op_lookup("", *name) &&
		                  op_lookup("", *name)->infer,
		              "%s has no inference", *name);

	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT, "4");
	ir_node *inference = tu_node(g, "Dropout", TU_VALUES(x), 1);
	uint8_t on = 1;
	ir_value *training = ir_initializer_add(
	    g, "t", ir_tensor_create(m, IR_BOOL, 0, NULL, &on, 1));
	ir_node *train =
	    tu_node(g, "Dropout", TU_VALUES(x, scalar_i64(g, 0), training), 1);
	ck_assert(!op_node_is_random(inference));
	ck_assert(op_node_is_random(train));
	ck_assert(op_node_is_random(
	    tu_node(g, "RandomUniformLike", TU_VALUES(x), 1)));
	ck_assert(op_node_has(inference, OP_RANDOM_IN_TRAINING));
	ck_assert(!op_node_has(inference, OP_RANDOM));
	ir_model_free(m);
}
END_TEST

START_TEST(test_version_facts)
{
	int slot = -1;
	ck_assert_int_eq(op_attribute_input_since("ReduceSum", "axes", &slot),
	                 13);
	ck_assert_int_eq(slot, 1);
	ck_assert_int_eq(op_attribute_input_since("ReduceMax", "axes", NULL),
	                 18);
	ck_assert_int_eq(op_attribute_input_since("Relu", "axes", NULL), 0);
	ck_assert_int_eq(op_attribute_input("ReduceMean", "axes", 17), -1);
	ck_assert_int_eq(op_attribute_input("ReduceMean", "axes", 18), 1);
	ck_assert_int_eq(op_attribute_input("Squeeze", "axes", 12), -1);
	ck_assert_int_eq(op_attribute_input("Squeeze", "axes", 13), 1);
	ck_assert_int_eq(op_attribute_input("Clip", "max", 11), 2);
	ck_assert_int_eq(op_attribute_input("Slice", "axes", 10), 3);
	/* A slot that moved: Resize's scales, input 1 at 10, 2 from 11. */
	ck_assert_int_eq(op_attribute_input("Resize", "scales", 10), 1);
	ck_assert_int_eq(op_attribute_input("Resize", "scales", 19), 2);
	ck_assert_int_eq(op_attribute_input_since("Resize", "scales", &slot),
	                 10);
	ck_assert_int_eq(slot, 1);
	/* Attributes that came later than their op. */
	ck_assert_int_eq(op_attribute_added_in("Reshape", "allowzero"), 14);
	ck_assert_int_eq(op_attribute_added_in("Cast", "saturate"), 19);
	ck_assert_int_eq(op_attribute_added_in("Reshape", "shape"), 0);
	ck_assert_int_eq(op_attribute_added_in("Relu", "allowzero"), 0);
}
END_TEST

START_TEST(test_attribute_types)
{
	ck_assert(op_attribute_table_sorted());
	ir_model *m = tu_model(17);
	ir_value *x = input(m->graph, "x", IR_FLOAT, "4");
	ir_node *concat = tu_node(m->graph, "Concat", TU_VALUES(x, x), 1);
	ir_node_set_attr_int(concat, "axis", 0);
	ck_assert_ptr_null(op_node_mistyped_attribute(concat));
	ir_node_set_attr_string(concat, "axis", "0");
	ck_assert_str_eq(op_node_mistyped_attribute(concat)->name, "axis");
	/* Cast's `to` was a STRING in Cast-1: either type fits. */
	ir_node *cast = tu_node(m->graph, "Cast", TU_VALUES(x), 1);
	ir_node_set_attr_string(cast, "to", "FLOAT");
	ck_assert_ptr_null(op_node_mistyped_attribute(cast));
	/* Unknown attributes and other domains are not judged. */
	ir_node_set_attr_string(cast, "no_such_attribute", "x");
	ck_assert_ptr_null(op_node_mistyped_attribute(cast));
	ir_model_free(m);
}
END_TEST

START_TEST(test_commutative_from_opset_7)
{
	ir_model *m = tu_model(6);
	ir_value *x = input(m->graph, "x", IR_FLOAT, "4");
	ir_node *add = tu_node(m->graph, "Add", TU_VALUES(x, x), 1);
	ck_assert(!op_node_has(add, OP_COMMUTATIVE));
	ir_model_free(m);
	m = tu_model(7);
	x = input(m->graph, "x", IR_FLOAT, "4");
	add = tu_node(m->graph, "Add", TU_VALUES(x, x), 1);
	ck_assert(op_node_has(add, OP_COMMUTATIVE));
	ir_model_free(m);
}
END_TEST

START_TEST(test_pass_records_value_info)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = input(g, "x", IR_FLOAT, "batch,8");
	ir_value *w = tu_initializer_f32(g, "w", (float[16]){0}, TU_DIMS(8, 2));
	ir_value *t = tu_op(g, "MatMul", x, w);
	ir_value *u = tu_op(g, "Neg", t);
	tu_output(tu_op(g, "Relu", u));
	/* the model states u's value_info (without a shape) */
	ir_value_info_add(u);
	int refined = tu_run(m, "infer-shapes");
	ck_assert_int_eq(refined, 3);
	/* no entry is added for t (see infer_shapes.c), u's is refined */
	ck_assert_int_eq(ir_graph_value_info_count(g), 1);
	ck_assert_ptr_eq(g->value_infos[0].value, u);
	assert_type(t, "float[batch,2]");
	ck_assert_int_eq(tu_run(m, "infer-shapes"), 0);
	m = tu_reload(m);
	g = m->graph;
	ck_assert_int_eq(ir_graph_value_info_count(g), 1);
	assert_type(g->value_infos[0].value, "float[batch,2]");
	assert_type(g->outputs[0], "float[batch,2]");
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shape-ops");
	TCase *tc = tcase_create("ops");
	tcase_add_test(tc, test_broadcast);
	tcase_add_test(tc, test_reshape_zero_and_minus_one);
	tcase_add_test(tc, test_concat);
	tcase_add_test(tc, test_matmul_batch_broadcast);
	tcase_add_test(tc, test_symbolic_shape_chain);
	tcase_add_test(tc, test_expand_with_minus_one_pattern);
	tcase_add_test(tc, test_float_cast_of_known_size_feeds_range);
	tcase_add_test(tc, test_slice_and_squeeze_stay_exact);
	tcase_add_test(tc, test_slice_extreme_steps);
	tcase_add_test(tc, test_never_contradicts_the_model);
	tcase_add_test(tc, test_unknown_ops_are_left_alone);
	tcase_add_test(tc, test_operator_table);
	tcase_add_test(tc, test_version_facts);
	tcase_add_test(tc, test_commutative_from_opset_7);
	tcase_add_test(tc, test_attribute_types);
	tcase_add_test(tc, test_pass_records_value_info);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
