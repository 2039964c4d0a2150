/*
 * fuse_rotary_embedding.c - a rotate-half rotary embedding with cos/sin
 * caches gathered by position ids becomes one RotaryEmbedding
 * (opset >= 23).
 *
 *   before:  cos = Unsqueeze(Gather(table_cos, position_ids), axis 1)
 *            sin = the same from table_sin
 *            x1 = Slice(x, 0, D/2), x2 = Slice(x, D/2, D)   (last axis)
 *            y = x * cos + Concat(Neg(x2), x1, axis -1) * sin
 *   after:   y = RotaryEmbedding(x, cos_cache, sin_cache, position_ids)
 *            cos_cache = first half of each row of table_cos ([P, D/2])
 *
 * The table is an initializer [P, D], or Squeeze(axes 0, 1) of a Slice
 * from row 0 of an initializer [1, 1, P, D] (Hugging Face's cos_cached
 * sliced to the current length: gathering from the whole table is the
 * same for every position id the slice could be indexed by).
 *
 * Legality:
 *  - model opset >= 23; standard domain; one graph;
 *  - x is float32, 4-D [B, H, S, D] with D known and even; position_ids
 *    are int64 [B, S];
 *  - the tables are float32 constants whose rows repeat their first half
 *    (Hugging Face's cat(freqs, freqs)): RotaryEmbedding's non-interleaved
 *    form rotates pairs (i, i + D/2) by the angle of entry i;
 *  - the two Slices take exactly [0, D/2) and [D/2, D) of x's last axis;
 *  - the Slices, Neg, Concat and the two Muls are read only by the
 *    pattern (the cos/sin Gathers are shared by the q and k rotations of
 *    a layer; they stay, and dce takes them once both have fused).
 */
#include <string.h>

#include "match.h"
#include "pass.h"
#include "pass_util.h"

/* The producer of `v` if it is `op` in the standard domain, else NULL;
 * not recorded (shared nodes may be read). */
static ir_node *producer_is(const ir_value *v, const char *op)
{
	if (!v || v->def != IR_DEF_NODE || !v->producer ||
	    !ir_node_is(v->producer, op))
		return NULL;
	return v->producer;
}

static bool ints_are(const ir_value *v, const int64_t *want, int n)
{
	const int64_t *data;
	int64_t count;
	if (!pass_constant_ints(v, &data, &count) || count != n)
		return false;
	for (int i = 0; i < n; i++)
		if (data[i] != want[i])
			return false;
	return true;
}

/* The constant [P, D] table behind a cos or sin input [B, 1, S, D]; its
 * position_ids go to *position_ids. */
static ir_tensor *rotary_table(ir_model *model, const ir_value *angle,
                               ir_value **position_ids, int64_t *rows)
{
	ir_node *unsqueeze = producer_is(angle, "Unsqueeze");
	if (!unsqueeze || unsqueeze->n_inputs != 2 ||
	    !ints_are(unsqueeze->inputs[1], (int64_t[]){1}, 1))
		return NULL;
	ir_node *gather = producer_is(unsqueeze->inputs[0], "Gather");
	if (!gather || gather->n_inputs != 2 || ir_attr_int(gather, "axis", 0))
		return NULL;
	*position_ids = gather->inputs[1];
	ir_value *table = gather->inputs[0];
	ir_tensor *t = pass_constant_tensor(table);
	if (!t) {
		ir_node *squeeze = producer_is(table, "Squeeze");
		if (!squeeze || squeeze->n_inputs != 2 ||
		    !ints_are(squeeze->inputs[1], (int64_t[]){0, 1}, 2))
			return NULL;
		ir_node *slice = producer_is(squeeze->inputs[0], "Slice");
		if (!slice || slice->n_inputs < 4 ||
		    !ints_are(slice->inputs[1], (int64_t[]){0}, 1) ||
		    !ints_are(slice->inputs[3], (int64_t[]){2}, 1) ||
		    (slice->n_inputs > 4 && slice->inputs[4] &&
		     !ints_are(slice->inputs[4], (int64_t[]){1}, 1)))
			return NULL;
		t = pass_constant_tensor(slice->inputs[0]);
		if (!t || t->rank != 4 || t->dims[0] != 1 || t->dims[1] != 1)
			return NULL;
	} else if (t->rank != 2) {
		return NULL;
	}
	(void)model;
	*rows = t->dims[t->rank - 2];
	return t->elem_type == IR_FLOAT ? t : NULL;
}

/* The first half of each row, if every row repeats it; NULL otherwise. */
static ir_value *half_table(ir_model *model, ir_graph *graph, ir_tensor *t,
                            int64_t rows, int64_t d, const char *hint)
{
	const void *raw;
	size_t size;
	if (!ir_tensor_raw(model, t, &raw, &size) ||
	    size != (size_t)(rows * d) * sizeof(float))
		return NULL;
	const float *data = raw;
	int64_t h = d / 2;
	float *half = ir_alloc(model, sizeof(float) * (size_t)(rows * h));
	for (int64_t r = 0; r < rows; r++)
		for (int64_t i = 0; i < h; i++) {
			float a = data[r * d + i], b = data[r * d + h + i];
			if (memcmp(&a, &b, sizeof a))
				return NULL;
			half[r * h + i] = a;
		}
	int64_t dims[2] = {rows, h};
	ir_tensor *out = ir_tensor_create(model, IR_FLOAT, 2, dims, half,
	                                  sizeof(float) * (size_t)(rows * h));
	return ir_initializer_add(graph, hint, out);
}

/* Slice(x, [start], [end >= stop], [axis -1 or 3] (, [1])) */
static bool slice_is(const ir_node *slice, const ir_value *x, int64_t start,
                     int64_t stop)
{
	const int64_t *ends;
	int64_t n;
	return slice && slice->n_inputs >= 4 && slice->inputs[0] == x &&
	       ints_are(slice->inputs[1], &start, 1) &&
	       pass_constant_ints(slice->inputs[2], &ends, &n) && n == 1 &&
	       (ends[0] == stop || (stop > start && ends[0] > stop)) &&
	       (ints_are(slice->inputs[3], (int64_t[]){-1}, 1) ||
	        ints_are(slice->inputs[3], (int64_t[]){3}, 1)) &&
	       (slice->n_inputs < 5 || !slice->inputs[4] ||
	        ints_are(slice->inputs[4], (int64_t[]){1}, 1));
}

static int try_fuse(ir_model *model, ir_node *node, void *ctx)
{
	(void)ctx;
	match m;
	if (!match_begin(&m, model, node, "Add"))
		return 0;
	/* One operand is x * cos, the other rotate_half(x) * sin. */
	for (int order = 0; order < 2; order++) {
		match_mark mark = match_save(&m);
		ir_node *mul_cos = match_input(&m, node, order, "Mul");
		ir_node *mul_sin = match_input(&m, node, 1 - order, "Mul");
		ir_value *sin = NULL;
		ir_node *concat = match_commuted(&m, mul_sin, "Concat", &sin);
		ir_node *neg = match_input(&m, concat, 0, "Neg");
		ir_node *second = match_input(&m, neg, 0, "Slice");
		ir_node *first = match_input(&m, concat, 1, "Slice");
		ir_value *x = match_operand(&m, first, 0);
		ir_value *cos =
		    mul_cos ? match_other_operand(&m, mul_cos, x) : NULL;
		int64_t d = match_dim(x, 3);
		ir_value *pos_cos = NULL, *pos_sin = NULL;
		int64_t rows_cos = 0, rows_sin = 0;
		ir_tensor *table_cos =
		    cos ? rotary_table(model, cos, &pos_cos, &rows_cos) : NULL;
		ir_tensor *table_sin =
		    sin ? rotary_table(model, sin, &pos_sin, &rows_sin) : NULL;
		int64_t concat_axis =
		    concat ? ir_attr_int(concat, "axis", 0) : 0;
		if (match_check(
		        &m, match_opset_at_least(&m, 23) && x &&
		                match_rank(x) == 4 && d > 0 && d % 2 == 0 &&
		                match_elem_type(model, x) == IR_FLOAT &&
		                slice_is(first, x, 0, d / 2) &&
		                slice_is(second, x, d / 2, d) &&
		                (concat_axis == -1 || concat_axis == 3) &&
		                concat->n_inputs == 2 && table_cos &&
		                table_sin && pos_cos && pos_cos == pos_sin &&
		                rows_cos == rows_sin &&
		                match_rank(pos_cos) == 2 &&
		                match_elem_type(model, pos_cos) == IR_INT64) &&
		    match_private(&m)) {
			ir_value *cos_cache =
			    half_table(model, node->graph, table_cos, rows_cos,
			               d, "cos_cache");
			ir_value *sin_cache =
			    cos_cache
			        ? half_table(model, node->graph, table_sin,
			                     rows_sin, d, "sin_cache")
			        : NULL;
			if (!sin_cache) {
				if (cos_cache)
					ir_initializer_remove(cos_cache);
				return 0;
			}
			ir_value *inputs[4] = {x, cos_cache, sin_cache,
			                       pos_cos};
			ir_node *fused =
			    match_emit(&m, "RotaryEmbedding", inputs, 4, 1);
			if (!match_commit(&m, fused, 0))
				return 0;
			return 1;
		}
		match_restore(&m, mark);
	}
	return 0;
}

static int run_fuse_rotary_embedding(ir_model *model, pass_context *ctx,
                                     ir_status *status)
{
	(void)ctx;
	(void)status;
	if (ir_model_opset(model, "") < 23)
		return 0;
	return match_for_each_node(model, try_fuse, NULL);
}

const pass pass_fuse_rotary_embedding = {
    .name = "fuse_rotary_embedding",
    .group = "fuse",
    .summary = "fuse a rotate-half rotary embedding with cos/sin caches "
               "gathered by position ids into RotaryEmbedding (opset >= 23)",
    .needs = ANALYSIS_TYPES,
    .run = run_fuse_rotary_embedding,
};
