/*
 * fuse_rotary_embedding.c - a rotary embedding written out with Slice, Neg,
 * Concat and Mul becomes one RotaryEmbedding (opset >= 23).
 *
 *   y = x * cos + rotate(x) * sin        x: [B, H, S, D]
 *
 * Two rotations:
 *   rotate-half  Concat(Neg(x[..., D/2:]), x[..., :D/2], axis -1): pairs
 *                (i, i + D/2) turn by angle i (Llama, GPT-NeoX);
 *   interleaved  Reshape(Concat(Unsqueeze(Neg(x[..., 1::2]), -1),
 *                Unsqueeze(x[..., ::2], -1), axis -1)) back to x's shape:
 *                pairs (2i, 2i + 1) turn by angle i (GPT-J, RoFormer);
 *                written with interleaved = 1.
 * Two sources of cos and sin:
 *   tables       Unsqueeze(Gather(table, position_ids), axis 1), the table
 *                an initializer [P, D] or Squeeze(axes 0, 1) of a Slice
 *                from row 0 of an initializer [1, 1, P, D] (Hugging
 *                Face's cos_cached sliced to the current length: gathering
 *                from the whole table is the same for every position id
 *                the slice could be indexed by). The caches become
 *                initializers [P, D/2] holding angle i of each row, and
 *                position_ids the fourth input;
 *   run time     Unsqueeze(Cos(E), axis 1) and the same with Sin, E
 *                placing each angle of f [B, S, D/2] where the rotation
 *                pairs it: Concat(f, f, axis -1) for rotate-half (newer
 *                Hugging Face code: f = inv_freq @ position_ids), or
 *                torch.stack((f, f), -1).flatten(-2) for interleaved. The
 *                caches become Cos(f) and Sin(f), [B, S, D/2], and there
 *                are no position ids.
 *
 * Legality:
 *  - model opset >= 23; standard domain; one graph;
 *  - x is float32, 4-D [B, H, S, D] with D known and even;
 *  - tables: float32 constants whose rows repeat angle i where the
 *    rotation pairs it (row[i] = row[i + D/2], or row[2i] = row[2i + 1]);
 *    one position_ids, int64 [B, S], for cos and sin;
 *  - run time: one f for cos and sin, float32 [B, S, D/2] with B and S
 *    provably x's dims 0 and 2 (RotaryEmbedding does not broadcast its
 *    caches), its angles laid out the way the rotation pairs entries;
 *  - the Slices take exactly the halves, or every second entry from 0 and
 *    from 1, of x's last axis; the interleaved Reshape gives back x's
 *    dims (a Reshape only renames dims of row-major data, so that is
 *    flatten(-2));
 *  - the Slices, Neg, Unsqueezes, Concat, Reshape and the two Muls are read
 *    only by the pattern (the cos/sin chains are shared by the q and k
 *    rotations of a layer, and by layers; they stay, and dce takes them
 *    once all have fused).
 */
#include <string.h>

#include "match.h"
#include "pass.h"
#include "pass_util.h"

/* The producer of `v` if it is `op` in the standard domain, else NULL;
 * not recorded (shared nodes may be read). */
static ir_node *producer_is(const ir_value *v, const char *op)
{
	ir_node *p = ir_value_producer(v);
	return p && ir_node_is(p, op) ? p : NULL;
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

/* Angle i of each row [P, D/2]: entry i of rotate-half rows, which must
 * repeat it at i + D/2, or entry 2i of interleaved rows, which must repeat
 * it at 2i + 1; NULL when a row does not. */
static ir_value *cache_from_table(ir_model *model, ir_graph *graph,
                                  ir_tensor *t, int64_t rows, int64_t d,
                                  bool interleaved, const char *hint)
{
	const void *raw;
	size_t size;
	/* d, from x's type, is the table's row length before anything is
	 * multiplied by it: rows * d is then the table's validated size. */
	if (t->dims[t->rank - 1] != d || !ir_tensor_raw(model, t, &raw, &size) ||
	    size != (size_t)(rows * d) * sizeof(float))
		return NULL;
	const float *data = raw;
	int64_t h = d / 2;
	float *half = ir_alloc(model, sizeof(float) * (size_t)(rows * h));
	for (int64_t r = 0; r < rows; r++)
		for (int64_t i = 0; i < h; i++) {
			const float *row = data + r * d;
			float a = interleaved ? row[2 * i] : row[i];
			float b = interleaved ? row[2 * i + 1] : row[h + i];
			if (memcmp(&a, &b, sizeof a))
				return NULL;
			half[r * h + i] = a;
		}
	int64_t dims[2] = {rows, h};
	ir_tensor *out = ir_tensor_create(model, IR_FLOAT, 2, dims, half,
	                                  sizeof(float) * (size_t)(rows * h));
	return ir_initializer_add(graph, hint, out);
}

/* Slice(x, [start], [end >= stop], [axis -1 or 3], [step]), a missing step
 * being 1. */
static bool slice_is(const ir_node *slice, const ir_value *x, int64_t start,
                     int64_t stop, int64_t step)
{
	const int64_t *ends;
	int64_t n;
	return slice && slice->n_inputs >= 4 && slice->inputs[0] == x &&
	       ints_are(slice->inputs[1], &start, 1) &&
	       pass_constant_ints(slice->inputs[2], &ends, &n) && n == 1 &&
	       (ends[0] == stop || (stop > start && ends[0] > stop)) &&
	       (ints_are(slice->inputs[3], (int64_t[]){-1}, 1) ||
	        ints_are(slice->inputs[3], (int64_t[]){3}, 1)) &&
	       (slice->n_inputs < 5 || !slice->inputs[4]
	            ? step == 1
	            : ints_are(slice->inputs[4], &step, 1));
}

static bool concat_on_last_axis(const ir_node *concat, int rank)
{
	int64_t axis = ir_attr_int(concat, "axis", 0);
	return concat->n_inputs == 2 && (axis == -1 || axis == rank - 1);
}

/* Unsqueeze(v, [-1] or [4]) of a 4-D v: its v, recorded; NULL otherwise. */
static ir_node *last_unsqueeze(match *m, ir_node *concat, int index)
{
	ir_node *u = match_input(m, concat, index, "Unsqueeze");
	if (u && !(u->n_inputs == 2 &&
	           (ints_are(u->inputs[1], (int64_t[]){-1}, 1) ||
	            ints_are(u->inputs[1], (int64_t[]){4}, 1))))
		match_check(m, false);
	return match_ok(m) ? u : NULL;
}

/* True when v's type has x's rank and, dim by dim, x's dims. */
static bool same_dims(const ir_value *v, const ir_value *x)
{
	if (!v || v->type.rank < 0 || v->type.rank != x->type.rank)
		return false;
	for (int i = 0; i < v->type.rank; i++)
		if (!match_dims_equal(&v->type.dims[i], &x->type.dims[i]))
			return false;
	return true;
}

/* The x that `rotated` (an operand of mul_sin) rotates, the pattern's
 * nodes recorded; *interleaved says which rotation. NULL, the match
 * failed, otherwise. */
static ir_value *rotation_input(match *m, ir_node *mul_sin, ir_value **sin,
                                bool *interleaved)
{
	match_mark mark = match_save(m);
	/* Rotate-half: Concat(Neg(x[D/2:]), x[:D/2]). */
	ir_node *concat = match_commuted(m, mul_sin, "Concat", sin);
	ir_node *neg = match_input(m, concat, 0, "Neg");
	ir_node *second = match_input(m, neg, 0, "Slice");
	ir_node *first = match_input(m, concat, 1, "Slice");
	ir_value *x = match_operand(m, first, 0);
	int64_t d = x ? match_dim(x, 3) : -1;
	if (match_check(m, x && match_rank(x) == 4 && d > 0 && d % 2 == 0 &&
	                       concat_on_last_axis(concat, 4) &&
	                       slice_is(first, x, 0, d / 2, 1) &&
	                       slice_is(second, x, d / 2, d, 1))) {
		*interleaved = false;
		return x;
	}
	match_restore(m, mark);
	/* Interleaved: Reshape(Concat(Unsqueeze(Neg(x[1::2])),
	 * Unsqueeze(x[::2]), axis -1)) to x's dims. */
	ir_node *reshape = match_commuted(m, mul_sin, "Reshape", sin);
	concat = match_input(m, reshape, 0, "Concat");
	ir_node *u_odd = last_unsqueeze(m, concat, 0);
	ir_node *u_even = last_unsqueeze(m, concat, 1);
	neg = match_input(m, u_odd, 0, "Neg");
	ir_node *odd = match_input(m, neg, 0, "Slice");
	ir_node *even = match_input(m, u_even, 0, "Slice");
	x = match_operand(m, even, 0);
	d = x ? match_dim(x, 3) : -1;
	if (match_check(m, x && match_rank(x) == 4 && d > 0 && d % 2 == 0 &&
	                       concat_on_last_axis(concat, 5) &&
	                       slice_is(even, x, 0, d, 2) &&
	                       slice_is(odd, x, 1, d, 2) &&
	                       same_dims(reshape->outputs[0], x))) {
		*interleaved = true;
		return x;
	}
	match_restore(m, mark);
	match_check(m, false);
	return NULL;
}

/* Where the angles of a cos or sin input come from: a constant table
 * gathered by position ids, or f at run time (see runtime_freqs). */
typedef struct angle_source {
	ir_tensor *table;
	int64_t rows;
	ir_value *position_ids;
	ir_value *freqs;
} angle_source;

/* The f of torch.stack((f, f), -1).flatten(-2): Concat(Unsqueeze(f, -1),
 * Unsqueeze(f, -1), axis -1) reshaped to f's dims with the last one
 * doubled, which puts f[i] at 2i and 2i + 1 (a Reshape only renames the
 * dims of row-major data). */
static ir_value *stacked_pairs(const ir_value *e)
{
	ir_node *reshape = producer_is(e, "Reshape");
	ir_node *concat = reshape && reshape->n_inputs == 2
	                      ? producer_is(reshape->inputs[0], "Concat")
	                      : NULL;
	if (!concat || !concat_on_last_axis(concat, 4))
		return NULL;
	ir_node *u0 = producer_is(concat->inputs[0], "Unsqueeze");
	ir_node *u1 = producer_is(concat->inputs[1], "Unsqueeze");
	for (int i = 0; i < 2; i++) {
		ir_node *u = i ? u1 : u0;
		if (!u || u->n_inputs != 2 || u->inputs[0] != u0->inputs[0] ||
		    !(ints_are(u->inputs[1], (int64_t[]){-1}, 1) ||
		      ints_are(u->inputs[1], (int64_t[]){3}, 1)))
			return NULL;
	}
	ir_value *f = u0->inputs[0];
	const ir_value *out = reshape->outputs[0];
	int64_t half = f ? match_dim(f, 2) : -1;
	if (!out || match_rank(f) != 3 || match_rank(out) != 3 || half <= 0 ||
	    half > INT64_MAX / 2 || match_dim(out, 2) != 2 * half ||
	    !match_dims_equal(&out->type.dims[0], &f->type.dims[0]) ||
	    !match_dims_equal(&out->type.dims[1], &f->type.dims[1]))
		return NULL;
	return f;
}

/* Unsqueeze(Cos(E), axis 1) (Sin for sin), where E places each angle of
 * f [B, S, D/2] where the rotation pairs it: Concat(f, f, axis -1) for
 * rotate-half (i and i + D/2), the stacked pairs for interleaved (2i and
 * 2i + 1): f. Not recorded: the chain is shared. */
static ir_value *runtime_freqs(const ir_value *angle, const char *op,
                               bool interleaved)
{
	ir_node *unsqueeze = producer_is(angle, "Unsqueeze");
	if (!unsqueeze || unsqueeze->n_inputs != 2 ||
	    !ints_are(unsqueeze->inputs[1], (int64_t[]){1}, 1))
		return NULL;
	ir_node *trig = producer_is(unsqueeze->inputs[0], op);
	if (!trig || trig->n_inputs != 1)
		return NULL;
	if (interleaved)
		return stacked_pairs(trig->inputs[0]);
	ir_node *concat = producer_is(trig->inputs[0], "Concat");
	if (!concat || !concat_on_last_axis(concat, 3) ||
	    concat->inputs[0] != concat->inputs[1])
		return NULL;
	return concat->inputs[0];
}

static bool angle_source_of(ir_model *model, const ir_value *angle,
                            const char *op, bool interleaved,
                            angle_source *out)
{
	memset(out, 0, sizeof *out);
	out->table = rotary_table(model, angle, &out->position_ids, &out->rows);
	if (!out->table)
		out->freqs = runtime_freqs(angle, op, interleaved);
	return out->table || out->freqs;
}

/* The caches of a run-time source, Cos(f) and Sin(f): made once per f in
 * a run of the pass (ctx) and placed right after f's definition, so that
 * every rotation reading f shares them. They are made before the commit;
 * should it refuse (a bug), they stay unread and dce takes them. */
typedef struct trig_cache {
	ir_value *freqs[32], *cos[32], *sin[32];
	int n;
} trig_cache;

static ir_value *new_trig(ir_value *f, const char *op)
{
	ir_node *node = ir_node_create(f->graph, op, "", &f, 1, 1);
	ir_node *producer = ir_value_producer(f);
	if (producer)
		ir_node_insert_after(producer, node);
	else if (f->graph->first)
		ir_node_insert_before(f->graph->first, node);
	else
		ir_node_append(f->graph, node);
	return node->outputs[0];
}

static void trig_of(trig_cache *cache, ir_value *f, ir_value **cos,
                    ir_value **sin)
{
	for (int i = 0; i < cache->n; i++)
		if (cache->freqs[i] == f) {
			*cos = cache->cos[i];
			*sin = cache->sin[i];
			return;
		}
	*cos = new_trig(f, "Cos");
	*sin = new_trig(f, "Sin");
	if (cache->n < 32) {
		cache->freqs[cache->n] = f;
		cache->cos[cache->n] = *cos;
		cache->sin[cache->n++] = *sin;
	}
}

/* Run time: f is float32 [B, S, D/2] with x's B and S. */
static bool freqs_fit(ir_model *model, ir_value *f, const ir_value *x,
                      int64_t d)
{
	return match_rank(f) == 3 && match_elem_type(model, f) == IR_FLOAT &&
	       match_dim(f, 2) == d / 2 &&
	       match_dims_equal(&f->type.dims[0], &x->type.dims[0]) &&
	       match_dims_equal(&f->type.dims[1], &x->type.dims[2]);
}

/* Tables: position_ids are int64 [B, S] with x's B and S. */
static bool ids_fit(ir_model *model, ir_value *ids, const ir_value *x)
{
	return match_rank(ids) == 2 &&
	       match_elem_type(model, ids) == IR_INT64 &&
	       match_dims_equal(&ids->type.dims[0], &x->type.dims[0]) &&
	       match_dims_equal(&ids->type.dims[1], &x->type.dims[2]);
}

static int try_fuse(ir_model *model, ir_node *node, void *ctx)
{
	trig_cache *cache = ctx;
	match m;
	if (!match_begin(&m, model, node, "Add"))
		return 0;
	/* One operand is x * cos, the other rotate(x) * sin. */
	for (int order = 0; order < 2; order++) {
		match_mark mark = match_save(&m);
		ir_node *mul_cos = match_input(&m, node, order, "Mul");
		ir_node *mul_sin = match_input(&m, node, 1 - order, "Mul");
		ir_value *sin = NULL;
		bool interleaved = false;
		ir_value *x = mul_sin ? rotation_input(&m, mul_sin, &sin,
		                                       &interleaved)
		                      : NULL;
		ir_value *cos =
		    mul_cos && x ? match_other_operand(&m, mul_cos, x) : NULL;
		int64_t d = x ? match_dim(x, 3) : -1;
		angle_source ac, as;
		bool sources = cos && sin &&
		               angle_source_of(model, cos, "Cos", interleaved,
		                               &ac) &&
		               angle_source_of(model, sin, "Sin", interleaved,
		                               &as);
		bool tables = sources && ac.table && as.table &&
		              ac.position_ids == as.position_ids &&
		              ac.rows == as.rows &&
		              ids_fit(model, ac.position_ids, x);
		bool runtime = sources && ac.freqs &&
		               ac.freqs == as.freqs &&
		               freqs_fit(model, ac.freqs, x, d);
		if (match_check(
		        &m, match_opset_at_least(&m, 23) && x &&
		                match_elem_type(model, x) == IR_FLOAT &&
		                (tables || runtime)) &&
		    match_private(&m)) {
			ir_value *inputs[4] = {x, NULL, NULL, NULL};
			int n_inputs = 3;
			if (tables) {
				inputs[1] = cache_from_table(
				    model, node->graph, ac.table, ac.rows, d,
				    interleaved, "cos_cache");
				inputs[2] =
				    inputs[1] ? cache_from_table(
				                    model, node->graph, as.table,
				                    as.rows, d, interleaved,
				                    "sin_cache")
				              : NULL;
				if (!inputs[2]) {
					if (inputs[1])
						ir_initializer_remove(inputs[1]);
					return 0;
				}
				inputs[3] = ac.position_ids;
				n_inputs = 4;
			} else {
				trig_of(cache, ac.freqs, &inputs[1], &inputs[2]);
			}
			ir_node *fused = match_emit(&m, "RotaryEmbedding",
			                            inputs, n_inputs, 1);
			if (interleaved)
				ir_node_set_attr_int(fused, "interleaved", 1);
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
	trig_cache cache = {0};
	return match_for_each_node(model, try_fuse, &cache);
}

const pass pass_fuse_rotary_embedding = {
    .name = "fuse_rotary_embedding",
    .group = "fuse",
    .summary = "fuse a rotate-half or interleaved rotary embedding, with "
               "cos/sin tables gathered by position ids or computed at "
               "run time, into RotaryEmbedding (opset >= 23)",
    .needs = ANALYSIS_TYPES,
    .run = run_fuse_rotary_embedding,
};
