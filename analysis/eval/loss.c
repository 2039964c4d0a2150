/*
 * loss.c - NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.
 *
 * Both pick, for each sample n and position d, the class target[n, d]
 * out of input[n, :, d], weight it, and reduce ("none", "sum", or "mean",
 * which divides by the total weight of the targets that count). A target
 * equal to ignore_index counts for nothing.
 */
#include <math.h>
#include <string.h>

#include "eval.h"

typedef struct nll_args {
	const double *log_prob; /* [N, C, D] flattened */
	int64_t batch, classes, positions;
	const int64_t *target; /* [N, D] */
	const double *weight;  /* [C] or NULL */
	bool has_ignore;
	int64_t ignore;
	int reduction; /* 0 none, 1 sum, 2 mean */
} nll_args;

static int reduction_of(eval_call *c)
{
	const char *r = eval_attr_string(c, "reduction", "mean");
	return !strcmp(r, "none")   ? 0
	       : !strcmp(r, "sum")  ? 1
	       : !strcmp(r, "mean") ? 2
	                            : -1;
}

/* Write the loss into output 0 (of the input's type). */
static int nll(eval_call *c, const nll_args *a, int type,
               const eval_tensor *target_shape)
{
	int64_t n = a->batch * a->positions;
	double *loss = eval_alloc(c, 8 * (size_t)n);
	double total = 0, weights = 0;
	for (int64_t b = 0; b < a->batch; b++)
		for (int64_t d = 0; d < a->positions; d++) {
			int64_t i = b * a->positions + d, t = a->target[i];
			if (a->has_ignore && t == a->ignore) {
				loss[i] = 0;
				continue;
			}
			if (t < 0 || t >= a->classes) {
				eval_error(c, "target %lld is not a class",
				           (long long)t);
				return EVAL_ERROR;
			}
			double w = a->weight ? a->weight[t] : 1.0;
			loss[i] =
			    -a->log_prob[(b * a->classes + t) * a->positions +
			                 d] *
			    w;
			total += loss[i];
			weights += w;
		}
	if (a->reduction == 0) {
		void *out = eval_output_like(c, 0, target_shape, type);
		if (!out)
			return EVAL_UNSUPPORTED;
		eval_store_doubles(out, type, loss, n);
		return EVAL_OK;
	}
	void *out = eval_output(c, 0, type, 0, NULL);
	if (!out)
		return EVAL_UNSUPPORTED;
	double r = a->reduction == 1 ? total : total / weights;
	eval_store_doubles(out, type, &r, 1);
	return EVAL_OK;
}

/* Shared checks: input [N, C, ...], target [N, ...], optional weight. */
static int loss_args(eval_call *c, const eval_tensor *input, nll_args *a)
{
	if (!eval_has_input(c, 0) || !eval_is_float(input->elem_type) ||
	    input->rank < 2 || !eval_has_input(c, 1)) {
		return eval_error(c, "needs a float input of rank >= 2 and a "
		                     "target");
	}
	const eval_tensor *target = &c->in[1];
	if (target->rank != input->rank - 1 ||
	    target->dims[0] != input->dims[0] ||
	    memcmp(target->dims + 1, input->dims + 2,
	           sizeof(int64_t) * (size_t)(target->rank - 1))) {
		return eval_error(c, "target does not match the input's "
		                     "shape");
	}
	int64_t n;
	if (!eval_input_ints(c, 1, &a->target, &n))
		return EVAL_ERROR;
	a->batch = input->dims[0];
	a->classes = input->dims[1];
	a->positions = eval_numel(input->dims + 2, input->rank - 2);
	a->weight = NULL;
	if (eval_has_input(c, 2)) {
		if (c->in[2].numel != a->classes) {
			return eval_error(c, "weight must have one entry per "
			                     "class");
		}
		a->weight = eval_doubles(c, &c->in[2]);
	}
	a->has_ignore = eval_has_attr(c, "ignore_index");
	a->ignore = eval_attr_int(c, "ignore_index", 0);
	a->reduction = reduction_of(c);
	if (a->reduction < 0) {
		return eval_unsupported(c, "with an unknown reduction");
	}
	return EVAL_OK;
}

int eval_nll_loss(eval_call *c)
{
	nll_args a;
	const eval_tensor *input = &c->in[0];
	int code = loss_args(c, input, &a);
	if (code != EVAL_OK)
		return code;
	a.log_prob = eval_doubles(c, input);
	return nll(c, &a, input->elem_type, &c->in[1]);
}

int eval_softmax_cross_entropy(eval_call *c)
{
	nll_args a;
	const eval_tensor *scores = &c->in[0];
	int code = loss_args(c, scores, &a);
	if (code != EVAL_OK)
		return code;
	/* log_softmax over the class axis (1). */
	double *lp = eval_doubles(c, scores);
	for (int64_t b = 0; b < a.batch; b++)
		for (int64_t d = 0; d < a.positions; d++) {
			double *x = lp + b * a.classes * a.positions + d;
			double peak = -INFINITY, sum = 0;
			for (int64_t k = 0; k < a.classes; k++)
				if (x[k * a.positions] > peak)
					peak = x[k * a.positions];
			for (int64_t k = 0; k < a.classes; k++)
				sum += exp(x[k * a.positions] - peak);
			double shift = peak + log(sum);
			for (int64_t k = 0; k < a.classes; k++)
				x[k * a.positions] -= shift;
		}
	a.log_prob = lp;
	code = nll(c, &a, scores->elem_type, &c->in[1]);
	if (code != EVAL_OK || !eval_wants_output(c, 1))
		return code;
	void *out = eval_output_like(c, 1, scores, scores->elem_type);
	if (!out)
		return EVAL_UNSUPPORTED;
	eval_store_doubles(out, scores->elem_type, lp, scores->numel);
	return EVAL_OK;
}
