/*
 * test_pass_fuse_concat_into_reshape.c - computed Reshape targets become
 * constants with exact 0 / -1 entries.
 */
#include "test_fuse_util.h"

static ir_value *symbolic_input(ir_graph *g, const char *name, const char *d0,
                                const char *d1, int64_t d2)
{
	ir_dim dims[3] = {{IR_DIM_PARAM, 0, d0},
	                  {IR_DIM_PARAM, 0, d1},
	                  {IR_DIM_VALUE, d2, NULL}};
	return ir_graph_add_input(g, name, IR_FLOAT, d2 ? 3 : 2, dims);
}

/* Unsqueeze(Gather(Shape(src), index), 0): one dim of src as [1]. */
static ir_value *dim_of(ir_graph *g, ir_value *src, int64_t index)
{
	ir_value *shape = tu_op(g, "Shape", src);
	ir_value *i = tu_initializer_i64(g, "i", &index, TU_SCALAR);
	ir_value *d = tu_op(g, "Gather", shape, i);
	return tu_op(g, "Unsqueeze", d, fu_ints(g, (int64_t[]){0}, 1));
}

static ir_node *concat(ir_graph *g, ir_value *const *in, int n)
{
	ir_node *c = tu_node(g, "Concat", in, n, 1);
	ir_node_set_attr_int(c, "axis", 0);
	return c;
}

START_TEST(test_head_split)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = symbolic_input(g, "x", "batch", "seq", 8);
	ir_node *c = concat(g, TU_VALUES(dim_of(g, x, 0), dim_of(g, x, 1),
	                                 fu_ints(g, (int64_t[]){2}, 1),
	                                 fu_ints(g, (int64_t[]){4}, 1)));
	ir_node *r = tu_node(g, "Reshape", TU_VALUES(x, c->outputs[0]), 1);
	tu_output(r->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_concat_into_reshape"), 1);
	ck_assert_str_eq(fu_ints_value(r->inputs[1]), "0,0,2,4");
	ck_assert_int_eq(g->n_nodes, 1); /* the shape computation is gone */
	ck_assert_int_eq(g->n_initializers, 1);
	ir_model_free(tu_reload(m));
}
END_TEST

START_TEST(test_minus_one_beside_known_sizes)
{
	/* Reshape x [batch, seq, 8] to [other's dim 0, 8]: the first entry is
	 * none of x's dims, and the only other entry is a known positive
	 * size, so Reshape can always infer it: [-1, 8]. */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = symbolic_input(g, "x", "batch", "seq", 8);
	ir_value *z = symbolic_input(g, "z", "other", "n", 0);
	ir_node *c = concat(
	    g, TU_VALUES(dim_of(g, z, 0), fu_ints(g, (int64_t[]){8}, 1)));
	ir_node *r = tu_node(g, "Reshape", TU_VALUES(x, c->outputs[0]), 1);
	tu_output(r->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_concat_into_reshape"), 1);
	ck_assert_str_eq(fu_ints_value(r->inputs[1]), "-1,8");
	ir_model_free(m);
}
END_TEST

START_TEST(test_minus_one_beside_copied_dim_stays)
{
	/* [batch, other's dim 0, 8] would become [0, -1, 8]; with batch = 0
	 * Reshape could not infer the -1 and would reject an input the
	 * computed shape accepts, so the Reshape is left alone. */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = symbolic_input(g, "x", "batch", "seq", 8);
	ir_value *z = symbolic_input(g, "z", "other", "n", 0);
	ir_node *c = concat(g, TU_VALUES(dim_of(g, x, 0), dim_of(g, z, 0),
	                                 fu_ints(g, (int64_t[]){8}, 1)));
	ir_node *r = tu_node(g, "Reshape", TU_VALUES(x, c->outputs[0]), 1);
	tu_output(r->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_concat_into_reshape"), 0);
	ck_assert_int_eq(tu_count_ops(m, "Concat"), 1);
	ir_model_free(m);
}
END_TEST

START_TEST(test_two_unknowns_stay)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = symbolic_input(g, "x", "batch", "seq", 8);
	ir_value *z = symbolic_input(g, "z", "other", "n", 0);
	ir_node *c = concat(g, TU_VALUES(dim_of(g, z, 1), dim_of(g, z, 0),
	                                 fu_ints(g, (int64_t[]){8}, 1)));
	ir_node *r = tu_node(g, "Reshape", TU_VALUES(x, c->outputs[0]), 1);
	tu_output(r->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_concat_into_reshape"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_existing_minus_one_blocks_another)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = symbolic_input(g, "x", "batch", "seq", 8);
	ir_value *z = symbolic_input(g, "z", "other", "n", 0);
	ir_node *c = concat(
	    g, TU_VALUES(dim_of(g, z, 0), fu_ints(g, (int64_t[]){-1}, 1)));
	ir_node *r = tu_node(g, "Reshape", TU_VALUES(x, c->outputs[0]), 1);
	tu_output(r->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_concat_into_reshape"), 0);
	ir_model_free(m);
}
END_TEST

START_TEST(test_allowzero_never_copies)
{
	/* With allowzero = 1, 0 is a literal size: batch cannot be 0, so
	 * it takes the one -1; two dynamic dims cannot both be expressed. */
	ir_model *m = tu_model(14);
	ir_graph *g = m->graph;
	ir_value *x = symbolic_input(g, "x", "batch", "seq", 8);
	ir_node *c1 = concat(
	    g, TU_VALUES(dim_of(g, x, 0), fu_ints(g, (int64_t[]){8}, 1)));
	ir_node *r1 = tu_node(g, "Reshape", TU_VALUES(x, c1->outputs[0]), 1);
	ir_node_set_attr_int(r1, "allowzero", 1);
	ir_node *c2 = concat(g, TU_VALUES(dim_of(g, x, 0), dim_of(g, x, 1),
	                                  fu_ints(g, (int64_t[]){8}, 1)));
	ir_node *r2 = tu_node(g, "Reshape", TU_VALUES(x, c2->outputs[0]), 1);
	ir_node_set_attr_int(r2, "allowzero", 1);
	tu_output(r1->outputs[0]);
	tu_output(r2->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_concat_into_reshape"), 1);
	ck_assert_str_eq(fu_ints_value(r1->inputs[1]), "-1,8");
	ck_assert_ptr_eq(r2->inputs[1], c2->outputs[0]);
	ir_model_free(m);
}
END_TEST

START_TEST(test_allowzero_before_opset_14_is_not_read)
{
	/* Reshape-13 has no allowzero: a stray one changes nothing, and a 0
	 * copies the dim as it always did then. */
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = symbolic_input(g, "x", "batch", "seq", 8);
	ir_node *c = concat(g, TU_VALUES(dim_of(g, x, 0), dim_of(g, x, 1),
	                                 fu_ints(g, (int64_t[]){8}, 1)));
	ir_node *r = tu_node(g, "Reshape", TU_VALUES(x, c->outputs[0]), 1);
	ir_node_set_attr_int(r, "allowzero", 1);
	tu_output(r->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_concat_into_reshape"), 1);
	ck_assert_str_eq(fu_ints_value(r->inputs[1]), "0,0,8");
	ir_model_free(m);
}
END_TEST

START_TEST(test_static_shapes_compute_the_same)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 8));
	ir_node *c = concat(g, TU_VALUES(dim_of(g, x, 1), dim_of(g, x, 0),
	                                 fu_ints(g, (int64_t[]){4, 2}, 2)));
	ir_node *r = tu_node(g, "Reshape", TU_VALUES(x, c->outputs[0]), 1);
	tu_output(r->outputs[0]);
	ck_assert_int_eq(fu_run_equivalent(m, "fuse_concat_into_reshape", 0),
	                 1);
	ck_assert_str_eq(fu_ints_value(r->inputs[1]), "3,2,4,2");
	ir_model_free(m);
}
END_TEST

START_TEST(test_shared_shape_computation_stays)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = symbolic_input(g, "x", "batch", "seq", 8);
	ir_node *c = concat(g, TU_VALUES(dim_of(g, x, 0), dim_of(g, x, 1),
	                                 fu_ints(g, (int64_t[]){8}, 1)));
	ir_node *r = tu_node(g, "Reshape", TU_VALUES(x, c->outputs[0]), 1);
	tu_output(r->outputs[0]);
	tu_output(c->outputs[0]);
	ck_assert_int_eq(tu_run(m, "fuse_concat_into_reshape"), 1);
	ck_assert_str_eq(fu_ints_value(r->inputs[1]), "0,0,8");
	ck_assert_int_eq(tu_count_ops(m, "Concat"), 1);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuse_concat_into_reshape");
	TCase *tc = tcase_create("fuse_concat_into_reshape");
	tcase_add_test(tc, test_head_split);
	tcase_add_test(tc, test_minus_one_beside_known_sizes);
	tcase_add_test(tc, test_minus_one_beside_copied_dim_stays);
	tcase_add_test(tc, test_two_unknowns_stay);
	tcase_add_test(tc, test_existing_minus_one_blocks_another);
	tcase_add_test(tc, test_allowzero_never_copies);
	tcase_add_test(tc, test_allowzero_before_opset_14_is_not_read);
	tcase_add_test(tc, test_static_shapes_compute_the_same);
	tcase_add_test(tc, test_shared_shape_computation_stays);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
