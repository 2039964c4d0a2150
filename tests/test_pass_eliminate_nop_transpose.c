/*
 * test_pass_eliminate_nop_transpose.c - Transpose goes only with the
 * identity permutation (or none, on rank 0 and 1).
 */
#include "test_eliminate_util.h"

#define PASS_NAME "eliminate_nop_transpose"

/* x:dims -> Relu -> Transpose(perm) -> Neg -> out, with an op of
 * unknown output type instead of Relu unless `typed`. Returns the number
 * of changes. */
static int run_transpose(const int64_t *dims, int rank, const int64_t *perm,
                         int n_perm, bool typed)
{
	ir_model *m = tu_model(13);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", dims, rank);
	ir_value *a = typed ? tu_op(g, "Relu", x) : eu_opaque(g, x);
	ir_node *t = tu_node(g, "Transpose", TU_VALUES(a), 1);
	if (perm)
		ir_node_set_attr_ints(t, "perm", perm, n_perm);
	tu_output(tu_op(g, "Neg", t->outputs[0]));
	int changes = tu_run(m, PASS_NAME);
	ck_assert_int_eq(tu_count_ops(m, "Transpose"), 1 - changes);
	if (changes)
		ck_assert_ptr_eq(tu_find_node(g, "Neg")->inputs[0], a);
	ir_model_free(m);
	return changes;
}

START_TEST(test_identity_permutation)
{
	ck_assert_int_eq(
	    run_transpose(TU_DIMS(2, 3, 4), (int64_t[]){0, 1, 2}, 3, true), 1);
	/* rank unknown: the perm itself says it is the identity */
	ck_assert_int_eq(
	    run_transpose(TU_DIMS(2, 3, 4), (int64_t[]){0, 1, 2}, 3, false), 1);
	/* no perm reverses, which on rank 1 is nothing */
	ck_assert_int_eq(run_transpose(TU_DIMS(5), NULL, 0, true), 1);
}
END_TEST

START_TEST(test_other_permutations)
{
	ck_assert_int_eq(
	    run_transpose(TU_DIMS(2, 3, 4), (int64_t[]){0, 2, 1}, 3, true), 0);
	ck_assert_int_eq(run_transpose(TU_DIMS(2, 3), NULL, 0, true), 0);
	/* no perm and unknown rank */
	ck_assert_int_eq(run_transpose(TU_DIMS(5), NULL, 0, false), 0);
	/* perm shorter than the rank: an error at run time, kept */
	ck_assert_int_eq(
	    run_transpose(TU_DIMS(2, 3, 4), (int64_t[]){0, 1}, 2, true), 0);
	/* a dim of size 1 moved around changes nothing in memory, but the
	 * shape changes: kept */
	ck_assert_int_eq(
	    run_transpose(TU_DIMS(1, 3), (int64_t[]){1, 0}, 2, true), 0);
}
END_TEST

static Suite *transpose_suite(void)
{
	Suite *s = suite_create(PASS_NAME);
	TCase *removes = tcase_create("removes");
	tcase_add_test(removes, test_identity_permutation);
	suite_add_tcase(s, removes);
	TCase *keeps = tcase_create("keeps");
	tcase_add_test(keeps, test_other_permutations);
	suite_add_tcase(s, keeps);
	return s;
}

int main(void)
{
	return tu_run_suite(transpose_suite());
}
