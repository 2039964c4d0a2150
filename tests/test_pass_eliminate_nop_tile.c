/*
 * test_pass_eliminate_nop_tile.c - Tile goes only when every repeat is
 * provably 1: constant or derived by shape inference, never a symbol.
 */
#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_nop_tile"

/* x:[N,3] -> Tile(repeats) -> Neg -> out; returns the Tile. */
static ir_node *tile_model(ir_model *m, ir_value *repeats)
{
	ir_graph *g = m->graph;
	ir_node *tile =
	    tu_node(g, "Tile", TU_VALUES(ir_graph_lookup(g, "x"), repeats), 1);
	tu_output(tu_op(g, "Neg", tile->outputs[0]));
	return tile;
}

static ir_model *model_with_input(void)
{
	ir_model *m = tu_model(13);
	ir_dim dims[2] = {{IR_DIM_PARAM, 0, "N"}, {IR_DIM_VALUE, 3, NULL}};
	ir_graph_add_input(m->graph, "x", IR_FLOAT, 2, dims);
	return m;
}

START_TEST(test_ones_go)
{
	ir_model *m = model_with_input();
	ir_graph *g = m->graph;
	ir_node *constant = tile_model(
	    m, tu_initializer_i64(g, "r", (int64_t[]){1, 1}, TU_DIMS(2)));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert(constant->removed);
	ir_model_free(m);

	/* [1] ++ Shape(w) with w:[1]: derived, not stored */
	m = model_with_input();
	g = m->graph;
	ir_dim one = {IR_DIM_VALUE, 1, NULL};
	ir_value *w1 = ir_graph_add_input(g, "w1", IR_FLOAT, 1, &one);
	ir_value *repeats =
	    tu_op(g, "Concat",
	          tu_initializer_i64(g, "one", (int64_t[]){1}, TU_DIMS(1)),
	          tu_op(g, "Shape", w1));
	ir_node_set_attr_int(repeats->producer, "axis", 0);
	ir_node *derived = tile_model(m, repeats);
	ck_assert_int_eq(tu_run(m, PASS_NAME), 1);
	ck_assert(derived->removed);
	m = eu_roundtrip(m);
	ir_model_free(m);
}
END_TEST

START_TEST(test_real_or_unproved_repeats_stay)
{
	ir_model *m = model_with_input();
	ir_graph *g = m->graph;
	/* repeats twice along the last axis */
	tile_model(m,
	           tu_initializer_i64(g, "r", (int64_t[]){1, 2}, TU_DIMS(2)));
	/* the wrong length fails at run time: that stays */
	tile_model(m, tu_initializer_i64(g, "r", (int64_t[]){1}, TU_DIMS(1)));
	/* [1, N]: N may be 1, or not */
	ir_value *repeats = tu_op(
	    g, "Concat",
	    tu_initializer_i64(g, "one", (int64_t[]){1}, TU_DIMS(1)),
	    tu_op(g, "Gather", tu_op(g, "Shape", ir_graph_lookup(g, "x")),
	          tu_initializer_i64(g, "i", (int64_t[]){0}, TU_DIMS(1))));
	ir_node_set_attr_int(repeats->producer, "axis", 0);
	tile_model(m, repeats);
	/* a runtime input */
	tile_model(m, tu_input_typed(g, "reps", IR_INT64, TU_DIMS(2)));
	ck_assert_int_eq(tu_run(m, PASS_NAME), 0);
	ck_assert_int_eq(tu_count_ops(m, "Tile"), 4);
	ir_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_ones_go);
	tcase_add_test(tc, test_real_or_unproved_repeats_stay);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
