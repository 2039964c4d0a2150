/*
 * fuse_consecutive_reduce_unsqueeze.c - a reduction that drops its axes,
 * followed by an Unsqueeze that puts them back, keeps them instead.
 *
 *   before:  x -> ReduceSum(axes a, keepdims = 0) -> t -> Unsqueeze(a) -> y
 *   after:   x -> ReduceSum(axes a, keepdims = 1) -> y
 *
 * With keepdims = 0 the reduced axes a (in x's coordinates) disappear;
 * Unsqueeze(b) re-inserts 1-dims at positions b of its output, whose rank
 * is rank(x) when |b| = |a|. The two are one keepdims = 1 reduction
 * exactly when b = a as sets. ArgMax/ArgMin (one `axis`) work the same.
 *
 * Legality:
 *  - every Reduce* op and ArgMax/ArgMin, standard domain, keepdims = 0;
 *  - the reduction names its axes (attribute, or the constant input of
 *    ReduceSum-13 and Reduce*-18); with no axes every axis is reduced and
 *    the rank would be needed, so that case is left alone;
 *  - Unsqueeze's axes are constant (attribute or input);
 *  - negative axes are normalized against x's rank, which must be known
 *    then;
 *  - t is read only by the Unsqueeze and is not a graph output.
 */
#include <string.h>

#include "match.h"
#include "ops.h"
#include "pass.h"

static int try_fuse(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	match m;
	if (!match_begin(&m, model, node, "Unsqueeze"))
		return 0;
	ir_value *t = node->n_inputs > 0 ? node->inputs[0] : NULL;
	ir_node *producer = ir_value_producer(t);
	ir_node *reduce = producer && op_node_has(producer, OP_REDUCTION)
	                      ? match_input(&m, node, 0, producer->op_type)
	                      : NULL;
	if (!match_check(&m, reduce && ir_attr_int(reduce, "keepdims", 1) == 0))
		return 0;
	int rank = match_rank(match_operand(&m, reduce, 0));
	int64_t a[MATCH_MAX_RANK], b[MATCH_MAX_RANK];
	int na = 0, nb = 0;
	if (!strncmp(reduce->op_type, "Arg", 3)) {
		a[0] = ir_attr_int(reduce, "axis", 0);
		na = 1;
		if (!match_check(&m, match_normalize_axes(a, 1, rank)))
			return 0;
	} else if (!match_node_axes(&m, reduce, rank, a, &na)) {
		return 0;
	}
	if (!match_node_axes(&m, node, rank, b, &nb) ||
	    !match_check(&m, na == nb && na > 0) || !match_private(&m))
		return 0;
	for (int i = 0; i < na; i++)
		if (a[i] != b[i])
			return 0;
	match_edit_attr_int(&m, "keepdims", 1);
	return match_commit(&m, reduce, 0) ? 1 : 0;
}

const pass pass_fuse_consecutive_reduce_unsqueeze = {
    .name = "fuse_consecutive_reduce_unsqueeze",
    .group = "fuse",
    .summary = "turn a keepdims=0 reduction followed by an Unsqueeze of the "
               "same axes into keepdims=1",
    .needs = ANALYSIS_TYPES,
    .rewrite = try_fuse,
};
