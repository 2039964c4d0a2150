/*
 * test_fold_pass.c - the `fold` pass on small graphs, under the verifier:
 * what folds (constants, chains, Shape of static dims, Constant nodes),
 * what must not (graph inputs, overridable initializers, random ops,
 * other domains, outputs over the size limit, values computed from a
 * subgraph's inputs), and that folded values keep their names.
 */
#include <stdio.h>
#include <string.h>

#include "test_util.h"

/* The float data of a constant value. */
static const float *floats_of(ir_model *m, const ir_value *v, size_t *n)
{
	ck_assert_msg(ir_value_is_constant(v), "'%s' is not constant", v->name);
	ck_assert_int_eq(v->tensor->elem_type, IR_FLOAT);
	const void *data;
	size_t size;
	ck_assert(ir_tensor_raw(m, v->tensor, &data, &size));
	*n = size / sizeof(float);
	return data;
}

static const int64_t *int64s_of(ir_model *m, const ir_value *v, size_t *n)
{
	ck_assert_msg(ir_value_is_constant(v), "'%s' is not constant", v->name);
	ck_assert_int_eq(v->tensor->elem_type, IR_INT64);
	const void *data;
	size_t size;
	ck_assert(ir_tensor_raw(m, v->tensor, &data, &size));
	*n = size / sizeof(int64_t);
	return data;
}

static int run_with_limit(ir_model *m, const char *passes, long long limit)
{
	pipeline p;
	ir_status status = {0};
	ck_assert(pipeline_parse(passes, &p, &status));
	pipeline_options options;
	pipeline_options_init(&options);
	options.verify = true;
	options.pass.fold_size_limit = limit;
	ck_assert_msg(pipeline_run(m, &p, &options, &status), "%s",
	              status.message);
	pipeline_free(&p);
	return m->graph->n_nodes;
}

/* ------------------------------------------------------------ positive */

START_TEST(add_of_two_initializers_folds)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *a =
	    tu_initializer_f32(g, "a", (float[]){1, 2, 3}, TU_DIMS(3));
	ir_value *b =
	    tu_initializer_f32(g, "b", (float[]){10, 20, 30}, TU_DIMS(3));
	ir_value *sum = tu_op(g, "Add", a, b);
	const char *name = sum->name;
	tu_output(sum);
	tu_run(m, "fold,dce");
	ck_assert_int_eq(g->n_nodes, 0);
	ck_assert_ptr_eq(g->outputs[0], sum);
	ck_assert_str_eq(g->outputs[0]->name, name);
	size_t n;
	const float *v = floats_of(m, sum, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert(v[0] == 11 && v[1] == 22 && v[2] == 33);
	ck_assert_int_eq(g->n_initializers, 1);
	ir_model_free(m);
}
END_TEST

START_TEST(constant_node_becomes_initializer)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2));
	ir_node *k = tu_node(g, "Constant", NULL, 0, 1);
	ir_node_set_attr_float(k, "value_float", 2.5f);
	ir_value *kv = k->outputs[0];
	const char *name = kv->name;
	tu_output(tu_op(g, "Mul", x, kv));
	tu_run(m, "fold");
	ck_assert_int_eq(tu_count_ops(m, "Constant"), 0);
	ir_node *mul = tu_find_node(g, "Mul");
	ck_assert_ptr_nonnull(mul);
	ck_assert_ptr_eq(mul->inputs[1], kv);
	ck_assert_str_eq(kv->name, name);
	size_t n;
	const float *v = floats_of(m, kv, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert(v[0] == 2.5f);
	ck_assert_int_eq(kv->tensor->rank, 0);
	ir_model_free(m);
}
END_TEST

/* Transpose -> Reshape -> Add -> Relu over constants folds in one run. */
START_TEST(chain_folds_in_one_run)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *w = tu_initializer_f32(g, "w", (float[]){1, -2, 3, -4, 5, -6},
	                                 TU_DIMS(2, 3));
	ir_value *shape =
	    tu_initializer_i64(g, "shape", (int64_t[]){6}, TU_DIMS(1));
	ir_value *bias =
	    tu_initializer_f32(g, "bias", (float[]){1}, TU_DIMS(1));
	ir_value *t = tu_op(g, "Transpose", w);
	ir_value *r = tu_op(g, "Reshape", t, shape);
	ir_value *s = tu_op(g, "Add", r, bias);
	ir_value *y = tu_op(g, "Relu", s);
	tu_output(y);
	tu_run(m, "fold");
	ck_assert_int_eq(g->n_nodes, 0);
	size_t n;
	const float *v = floats_of(m, y, &n);
	/* w^T = [[1,-4],[-2,5],[3,-6]] -> +1 -> relu */
	const float want[] = {2, 0, 0, 6, 4, 0};
	ck_assert_uint_eq(n, 6);
	for (int i = 0; i < 6; i++)
		ck_assert_msg(v[i] == want[i], "element %d: %g", i, v[i]);
	ir_model_free(m);
}
END_TEST

START_TEST(shape_and_size_of_static_input_fold)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 4));
	ir_value *shape = tu_op(g, "Shape", x);
	ir_value *size = tu_op(g, "Size", x);
	tu_output(shape);
	tu_output(size);
	tu_run(m, "fold");
	ck_assert_int_eq(g->n_nodes, 0);
	size_t n;
	const int64_t *v = int64s_of(m, shape, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert(v[0] == 2 && v[1] == 3 && v[2] == 4);
	v = int64s_of(m, size, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(v[0], 24);
	ck_assert_int_eq(size->tensor->rank, 0);
	ir_model_free(m);
}
END_TEST

/* Shape -> Gather -> Unsqueeze -> Concat over a static dim folds, while
 * the symbolic dim keeps the chain that reads it. */
START_TEST(shape_chain_folds_as_far_as_dims_are_known)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_dim dims[2] = {{IR_DIM_PARAM, 0, "batch"}, {IR_DIM_VALUE, 8, NULL}};
	ir_value *x = ir_graph_add_input(g, "x", IR_FLOAT, 2, dims);
	ir_value *shape = tu_op(g, "Shape", x);
	ir_value *one = tu_initializer_i64(g, "one", (int64_t[]){1}, TU_SCALAR);
	ir_value *zero =
	    tu_initializer_i64(g, "zero", (int64_t[]){0}, TU_DIMS(1));
	ir_value *minus =
	    tu_initializer_i64(g, "minus", (int64_t[]){-1}, TU_DIMS(1));
	ir_value *d1 = tu_op(g, "Gather", shape, one);
	ir_value *u = tu_op(g, "Unsqueeze", d1, zero);
	ir_value *target = tu_op(g, "Concat", minus, u);
	ir_node_set_attr_int(target->producer, "axis", 0);
	tu_output(tu_op(g, "Reshape", x, target));
	tu_run(m, "fold,dce");
	ck_assert_int_eq(tu_count_ops(m, "Shape"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Concat"), 0);
	ir_node *reshape = tu_find_node(g, "Reshape");
	size_t n;
	const int64_t *v = int64s_of(m, reshape->inputs[1], &n);
	ck_assert_uint_eq(n, 2);
	ck_assert(v[0] == -1 && v[1] == 8);
	ir_model_free(m);
}
END_TEST

/* expand(batch, -1) exports Equal(Concat(batch, ...), -1): no size is
 * -1, so the mask is a bool constant; a symbolic dim compared with
 * another symbol is not decided. */
START_TEST(equal_of_sizes_and_minus_one_folds_to_bool)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_dim dims[2] = {{IR_DIM_PARAM, 0, "batch"}, {IR_DIM_PARAM, 0, "seq"}};
	ir_value *x = ir_graph_add_input(g, "x", IR_FLOAT, 2, dims);
	ir_value *shape = tu_op(g, "Shape", x);
	ir_value *minus =
	    tu_initializer_i64(g, "minus", (int64_t[]){-1, -1}, TU_DIMS(2));
	ir_value *mask = tu_op(g, "Equal", shape, minus);
	tu_output(mask);
	/* batch == seq is unknown: stays */
	ir_value *b =
	    tu_op(g, "Gather", shape,
	          tu_initializer_i64(g, "zero", (int64_t[]){0}, TU_SCALAR));
	ir_value *s =
	    tu_op(g, "Gather", shape,
	          tu_initializer_i64(g, "one", (int64_t[]){1}, TU_SCALAR));
	ir_value *same = tu_op(g, "Equal", b, s);
	tu_output(same);
	tu_run(m, "fold,dce");
	ck_assert(ir_value_is_constant(mask));
	ck_assert_int_eq(mask->tensor->elem_type, IR_BOOL);
	const void *data;
	size_t size;
	ck_assert(ir_tensor_raw(m, mask->tensor, &data, &size));
	ck_assert_uint_eq(size, 2);
	ck_assert(((const uint8_t *)data)[0] == 0 &&
	          ((const uint8_t *)data)[1] == 0);
	ck_assert(!ir_value_is_constant(same));
	ck_assert_int_eq(tu_count_ops(m, "Equal"), 1);
	m = tu_reload(m);
	ir_model_free(m);
}
END_TEST

/* ConstantOfShape, Range and Tile whose inputs are provably constant
 * (static dims read through Shape) become constants; with a symbolic
 * dim they stay. */
START_TEST(expanding_ops_of_provable_constants_fold)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_dim dims[2] = {{IR_DIM_PARAM, 0, "batch"}, {IR_DIM_VALUE, 3, NULL}};
	ir_value *x = ir_graph_add_input(g, "x", IR_FLOAT, 2, dims);
	ir_value *shape = tu_op(g, "Shape", x);
	ir_value *three =
	    tu_op(g, "Gather", shape,
	          tu_initializer_i64(g, "one", (int64_t[]){1}, TU_SCALAR));
	ir_value *batch =
	    tu_op(g, "Gather", shape,
	          tu_initializer_i64(g, "zero", (int64_t[]){0}, TU_SCALAR));
	ir_value *zero = tu_initializer_i64(g, "z", (int64_t[]){0}, TU_SCALAR);
	ir_value *step = tu_initializer_i64(g, "s", (int64_t[]){1}, TU_SCALAR);
	ir_value *range = tu_op(g, "Range", zero, three, step);
	ir_value *open = tu_op(g, "Range", zero, batch, step);
	ir_value *three_1d =
	    tu_op(g, "Unsqueeze", three,
	          tu_initializer_i64(g, "ax", (int64_t[]){0}, TU_DIMS(1)));
	ir_value *filled = tu_op(g, "ConstantOfShape", three_1d);
	ir_value *tiled = tu_op(g, "Tile", range, three_1d);
	tu_output(range);
	tu_output(open);
	tu_output(filled);
	tu_output(tiled);
	tu_run(m, "fold,dce");
	ck_assert(ir_value_is_constant(range));
	ck_assert(ir_value_is_constant(filled));
	ck_assert(ir_value_is_constant(tiled));
	ck_assert(!ir_value_is_constant(open));
	size_t n;
	const int64_t *v = int64s_of(m, tiled, &n);
	ck_assert_uint_eq(n, 9);
	ck_assert(v[0] == 0 && v[2] == 2 && v[3] == 0 && v[8] == 2);
	ck_assert_int_eq(tu_count_ops(m, "Range"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(folded_graph_output_keeps_its_name_after_save)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *a = tu_initializer_f32(g, "a", (float[]){4}, TU_DIMS(1));
	ir_value *y = tu_op(g, "Sqrt", a);
	const char *name = y->name;
	char saved[128];
	snprintf(saved, sizeof saved, "%s", name);
	tu_output(y);
	tu_run(m, "fold,dce");
	m = tu_reload(m);
	ck_assert_int_eq(m->graph->n_outputs, 1);
	ck_assert_str_eq(m->graph->outputs[0]->name, saved);
	size_t n;
	const float *v = floats_of(m, m->graph->outputs[0], &n);
	ck_assert(n == 1 && v[0] == 2);
	ir_model_free(m);
}
END_TEST

/* ------------------------------------------------------------ negative */

START_TEST(graph_input_is_not_constant)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(3));
	ir_value *b =
	    tu_initializer_f32(g, "b", (float[]){1, 2, 3}, TU_DIMS(3));
	ir_value *y = tu_op(g, "Add", x, b);
	tu_output(y);
	tu_run(m, "fold");
	ck_assert_int_eq(tu_count_ops(m, "Add"), 1);
	ck_assert(!ir_value_is_constant(y));
	ir_model_free(m);
}
END_TEST

/* An initializer that is also listed as a graph input is a default the
 * caller may replace: nothing computed from it folds. */
START_TEST(overridable_initializer_is_not_constant)
{
	proto_model *pm = proto_model_create(8, 13);
	Onnx__GraphProto *g = proto_main_graph(pm);
	float w[2] = {1, 2};
	proto_graph_add_input(pm, g, "w", IR_FLOAT, (int64_t[]){2}, 1);
	proto_graph_add_initializer(pm, g, "w", IR_FLOAT, (int64_t[]){2}, 1, w,
	                            sizeof w);
	proto_graph_add_node(pm, g, "Neg", "neg", "w", "y");
	proto_graph_add_output(pm, g, "y", IR_FLOAT, (int64_t[]){2}, 1);
	ir_model *m = tu_load_proto(pm);
	proto_model_free(pm);
	tu_run(m, "fold");
	ck_assert_int_eq(tu_count_ops(m, "Neg"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(random_ops_are_not_folded)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *a = tu_initializer_f32(g, "a", (float[]){1, 2}, TU_DIMS(2));
	tu_output(tu_op(g, "RandomUniformLike", a));
	ir_node *n = tu_node(g, "RandomNormal", NULL, 0, 1);
	ir_node_set_attr_ints(n, "shape", (int64_t[]){2}, 1);
	tu_output(n->outputs[0]);
	tu_run(m, "fold");
	ck_assert_int_eq(g->n_nodes, 2);
	ck_assert(!ir_value_is_constant(g->outputs[0]));
	ck_assert(!ir_value_is_constant(g->outputs[1]));
	ir_model_free(m);
}
END_TEST

START_TEST(training_dropout_is_not_folded)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *a = tu_initializer_f32(g, "a", (float[]){1, 2}, TU_DIMS(2));
	ir_value *ratio =
	    tu_initializer_f32(g, "r", (float[]){0.5f}, TU_SCALAR);
	uint8_t yes = 1;
	ir_value *training = ir_initializer_add(
	    g, "t", ir_tensor_create(m, IR_BOOL, 0, NULL, &yes, 1));
	tu_output(tu_op(g, "Dropout", a, ratio, training));
	ir_value *kept = tu_op(g, "Dropout", a, ratio);
	tu_output(kept);
	tu_run(m, "fold");
	ck_assert_int_eq(tu_count_ops(m, "Dropout"), 1);
	ck_assert(!ir_value_is_constant(g->outputs[0]));
	ck_assert(ir_value_is_constant(kept));
	ir_model_free(m);
}
END_TEST

START_TEST(non_default_domain_is_untouched)
{
	ir_model *m = tu_model(17);
	ir_model_set_opset(m, "com.example", 1);
	ir_graph *g = m->graph;
	ir_value *a = tu_initializer_f32(g, "a", (float[]){1}, TU_DIMS(1));
	ir_value *ins[2] = {a, a};
	ir_node *n = ir_node_create(g, "Add", "com.example", ins, 2, 1);
	ir_node_append(g, n);
	tu_output(n->outputs[0]);
	tu_run(m, "fold");
	ck_assert_int_eq(g->n_nodes, 1);
	ck_assert(!ir_value_is_constant(g->outputs[0]));
	ir_model_free(m);
}
END_TEST

/* Concat's axis given as a STRING: ONNX Runtime rejects the model, and
 * folding (or any pass) must not turn it into one it accepts. A dead
 * node of that kind stays too. */
START_TEST(mistyped_attribute_is_left_alone)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *a = tu_initializer_f32(g, "a", (float[]){1}, TU_DIMS(1));
	ir_value *b = tu_initializer_f32(g, "b", (float[]){2}, TU_DIMS(1));
	ir_node *concat = tu_node(g, "Concat", TU_VALUES(a, b), 1);
	ir_node_set_attr_string(concat, "axis", "0");
	tu_output(concat->outputs[0]);
	ir_node *dead = tu_node(g, "Concat", TU_VALUES(b, a), 1);
	ir_node_set_attr_string(dead, "axis", "0");
	tu_run(m, "fold,dce");
	ck_assert_int_eq(g->n_nodes, 2);
	ck_assert(!ir_value_is_constant(g->outputs[0]));
	ck_assert_int_eq(ir_node_attr(concat, "axis")->type,
	                 ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
	/* With an INT axis the same node folds. */
	ir_node_set_attr_int(concat, "axis", 0);
	tu_run(m, "fold");
	ck_assert(ir_value_is_constant(g->outputs[0]));
	ir_model_free(m);
}
END_TEST

/* A Cast to 2^32 + 1 names no type (ONNX Runtime rejects it); narrowed
 * to an int it would read as 1, FLOAT, and fold. */
START_TEST(out_of_range_element_type_is_left_alone)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *a = tu_initializer_i64(g, "a", (int64_t[]){3}, TU_DIMS(1));
	ir_node *cast = tu_node(g, "Cast", TU_VALUES(a), 1);
	ir_node_set_attr_int(cast, "to", ((int64_t)1 << 32) + IR_FLOAT);
	tu_output(cast->outputs[0]);
	tu_run(m, "fold");
	ck_assert(!ir_value_is_constant(g->outputs[0]));
	ck_assert_int_eq(g->outputs[0]->type.elem_type, IR_UNDEFINED);
	/* With to = FLOAT the same node folds. */
	ir_node_set_attr_int(cast, "to", IR_FLOAT);
	tu_run(m, "fold");
	ck_assert(ir_value_is_constant(g->outputs[0]));
	ir_model_free(m);
}
END_TEST

/* 2048 x 1024 floats is 8 MiB: over the default 4 MiB limit. */
START_TEST(size_limit_stops_expanding_ops)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *shape =
	    tu_initializer_i64(g, "shape", (int64_t[]){2048, 1024}, TU_DIMS(2));
	ir_value *one = tu_initializer_f32(g, "one", (float[]){1}, TU_DIMS(1));
	tu_output(tu_op(g, "ConstantOfShape", shape));
	tu_output(tu_op(g, "Expand", one, shape));
	ck_assert_int_eq(run_with_limit(m, "fold", 4LL << 20), 2);
	ck_assert_int_eq(run_with_limit(m, "fold", 16LL << 20), 0);
	ck_assert(ir_value_is_constant(g->outputs[0]));
	ck_assert(ir_value_is_constant(g->outputs[1]));
	ir_model_free(m);
}
END_TEST

/* A transpose as big as its input is not bloat: it folds even over the
 * limit. */
START_TEST(size_limit_spares_ops_that_do_not_grow)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	static float w[512 * 256];
	for (int i = 0; i < 512 * 256; i++)
		w[i] = (float)i;
	ir_value *wv = tu_initializer_f32(g, "w", w, TU_DIMS(512, 256));
	tu_output(tu_op(g, "Transpose", wv));
	ck_assert_int_eq(run_with_limit(m, "fold", 1024), 0);
	size_t n;
	const float *v = floats_of(m, g->outputs[0], &n);
	ck_assert_uint_eq(n, 512 * 256);
	ck_assert(v[1] == 256 && v[512] == 1 && v[513] == 257);
	ir_model_free(m);
}
END_TEST

/* Inside a Loop body, Add(iter, c) depends on the body's input and
 * stays; Mul(c, c) is constant and folds into a body initializer. */
START_TEST(subgraph_folds_only_constants)
{
	proto_model *pm = proto_model_create(8, 13);
	Onnx__GraphProto *g = proto_main_graph(pm);
	Onnx__GraphProto *body = proto_graph_create(pm, "body");
	uint8_t yes = 1;
	float two = 2;
	/* The trip count is an input, so the Loop itself cannot fold. */
	proto_graph_add_input(pm, g, "trips", IR_INT64, NULL, 0);
	proto_graph_add_initializer(pm, g, "cond", IR_BOOL, NULL, 0, &yes, 1);
	proto_graph_add_initializer(pm, g, "two", IR_FLOAT, NULL, 0, &two,
	                            sizeof two);
	proto_graph_add_input(pm, body, "i", IR_INT64, NULL, 0);
	proto_graph_add_input(pm, body, "c_in", IR_BOOL, NULL, 0);
	proto_graph_add_node(pm, body, "Identity", "keep", "c_in", "c_out");
	proto_graph_add_node(pm, body, "Mul", "square", "two,two", "four");
	proto_graph_add_node(pm, body, "Cast", "cast", "i", "fi");
	proto_node_set_attr_int(pm, body->node[body->n_node - 1], "to",
	                        IR_FLOAT);
	proto_graph_add_node(pm, body, "Add", "add", "fi,four", "out");
	proto_graph_add_output(pm, body, "c_out", IR_BOOL, NULL, 0);
	proto_graph_add_output(pm, body, "out", IR_FLOAT, NULL, 0);
	Onnx__NodeProto *loop =
	    proto_graph_add_node(pm, g, "Loop", "loop", "trips,cond", "ys");
	proto_node_set_attr_graph(pm, loop, "body", body);
	proto_graph_add_output(pm, g, "ys", IR_FLOAT, NULL, -1);
	ir_model *m = tu_load_proto(pm);
	proto_model_free(pm);
	tu_run(m, "fold");
	ir_graph *b = m->graph->first->attrs[0].graph;
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_null(tu_find_node(b, "Mul"));
	ck_assert_ptr_nonnull(tu_find_node(b, "Add"));
	ck_assert_ptr_nonnull(tu_find_node(b, "Cast"));
	ir_value *four = ir_graph_lookup(b, "four");
	ck_assert(four && ir_value_is_constant(four) && four->graph == b);
	ir_model_free(m);
}
END_TEST

static Suite *fold_pass_suite(void)
{
	Suite *s = suite_create("fold");
	TCase *pos = tcase_create("folds");
	tcase_add_test(pos, add_of_two_initializers_folds);
	tcase_add_test(pos, constant_node_becomes_initializer);
	tcase_add_test(pos, chain_folds_in_one_run);
	tcase_add_test(pos, shape_and_size_of_static_input_fold);
	tcase_add_test(pos, shape_chain_folds_as_far_as_dims_are_known);
	tcase_add_test(pos, equal_of_sizes_and_minus_one_folds_to_bool);
	tcase_add_test(pos, expanding_ops_of_provable_constants_fold);
	tcase_add_test(pos, folded_graph_output_keeps_its_name_after_save);
	tcase_add_test(pos, size_limit_spares_ops_that_do_not_grow);
	suite_add_tcase(s, pos);
	TCase *neg = tcase_create("leaves");
	tcase_add_test(neg, graph_input_is_not_constant);
	tcase_add_test(neg, overridable_initializer_is_not_constant);
	tcase_add_test(neg, random_ops_are_not_folded);
	tcase_add_test(neg, training_dropout_is_not_folded);
	tcase_add_test(neg, non_default_domain_is_untouched);
	tcase_add_test(neg, mistyped_attribute_is_left_alone);
	tcase_add_test(neg, out_of_range_element_type_is_left_alone);
	tcase_add_test(neg, size_limit_stops_expanding_ops);
	tcase_add_test(neg, subgraph_folds_only_constants);
	suite_add_tcase(s, neg);
	return s;
}

int main(void)
{
	return tu_run_suite(fold_pass_suite());
}
