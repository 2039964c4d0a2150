/*
 * rnn.c - recurrent layers: RNN, GRU, LSTM.
 *
 * One driver walks time steps for each direction and batch entry and
 * calls the layer's cell; cells share the gate arithmetic (x W^T + h R^T
 * + biases, clipped, through the named activation). Everything computes
 * in double. sequence_lens stops a batch entry early: its outputs past
 * the end are zero and its final state is the one at its last step
 * (or first, running in reverse). layout=1 puts batch first.
 */
#include <math.h>
#include <string.h>

#include "eval.h"

enum layer { LAYER_RNN, LAYER_GRU, LAYER_LSTM };

typedef struct activation {
	int kind;
	double alpha, beta;
} activation;

enum {
	ACT_SIGMOID,
	ACT_TANH,
	ACT_RELU,
	ACT_AFFINE,
	ACT_LEAKY_RELU,
	ACT_THRESHOLDED_RELU,
	ACT_SCALED_TANH,
	ACT_HARD_SIGMOID,
	ACT_ELU,
	ACT_SOFTSIGN,
	ACT_SOFTPLUS,
};

static const struct {
	const char *name;
	int alphas, betas; /* how many of each the function consumes */
} activation_names[] = {
    {"Sigmoid", 0, 0},    {"Tanh", 0, 0},        {"Relu", 0, 0},
    {"Affine", 1, 1},     {"LeakyRelu", 1, 0},   {"ThresholdedRelu", 1, 0},
    {"ScaledTanh", 1, 1}, {"HardSigmoid", 1, 1}, {"Elu", 1, 0},
    {"Softsign", 0, 0},   {"Softplus", 0, 0},
};

static double activate(const activation *a, double x)
{
	switch (a->kind) {
	case ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
	case ACT_TANH: return tanh(x);
	case ACT_RELU: return x > 0 ? x : 0;
	case ACT_AFFINE: return a->alpha * x + a->beta;
	case ACT_LEAKY_RELU: return x < 0 ? a->alpha * x : x;
	case ACT_THRESHOLDED_RELU: return x > a->alpha ? x : 0;
	case ACT_SCALED_TANH: return a->alpha * tanh(a->beta * x);
	case ACT_HARD_SIGMOID: return fmax(0, fmin(1, a->alpha * x + a->beta));
	case ACT_ELU: return x < 0 ? a->alpha * (exp(x) - 1) : x;
	case ACT_SOFTSIGN: return x / (1 + fabs(x));
	default: return log1p(exp(x));
	}
}

typedef struct rnn {
	enum layer layer;
	int64_t seq, batch, input, hidden, dirs, gates;
	bool batch_first, linear_before_reset, input_forget;
	bool reverse;         /* a single direction, run backwards */
	double clip;          /* 0: none */
	activation act[2][3]; /* per direction: f, g, h */
	const double *x, *w, *r, *b, *p, *h0, *c0;
	const int64_t *lens;
	double *y, *yh, *yc;
} rnn;

static bool read_activations(eval_call *c, rnn *s)
{
	int per_dir = s->layer == LAYER_RNN ? 1 : s->layer == LAYER_GRU ? 2 : 3;
	static const int defaults[3] = {ACT_SIGMOID, ACT_TANH, ACT_TANH};
	const ProtobufCBinaryData *names;
	const float *alphas, *betas;
	int n = eval_attr_strings(c, "activations", &names);
	int n_alpha = eval_attr_floats(c, "activation_alpha", &alphas);
	int n_beta = eval_attr_floats(c, "activation_beta", &betas);
	int used_alpha = 0, used_beta = 0;
	if (n >= 0 && n != per_dir * s->dirs) {
		eval_error(c, "has %d activations for %lld directions", n,
		           (long long)s->dirs);
		return false;
	}
	for (int d = 0; d < s->dirs; d++)
		for (int k = 0; k < per_dir; k++) {
			activation *a = &s->act[d][k];
			a->kind =
			    s->layer == LAYER_RNN ? ACT_TANH : defaults[k];
			a->alpha = a->beta = 0;
			if (n < 0)
				continue;
			const ProtobufCBinaryData *name =
			    &names[d * per_dir + k];
			a->kind = -1;
			for (int i = 0; i < 11; i++)
				if (strlen(activation_names[i].name) ==
				        name->len &&
				    !memcmp(activation_names[i].name,
				            name->data, name->len))
					a->kind = i;
			if (a->kind < 0) {
				eval_unsupported(c, "activation '%.*s'",
				                 (int)name->len,
				                 (const char *)name->data);
				return false;
			}
			if (activation_names[a->kind].alphas) {
				if (used_alpha >= n_alpha) {
					eval_unsupported(c,
					                 "activation without "
					                 "its alpha");
					return false;
				}
				a->alpha = alphas[used_alpha++];
			}
			if (activation_names[a->kind].betas) {
				if (used_beta >= n_beta) {
					eval_unsupported(c,
					                 "activation without "
					                 "its beta");
					return false;
				}
				a->beta = betas[used_beta++];
			}
		}
	return true;
}

static double clipped(const rnn *s, double v)
{
	if (s->clip > 0)
		v = v < -s->clip ? -s->clip : (v > s->clip ? s->clip : v);
	return v;
}

/* gate[k] = x W_k^T + h R_k^T + Wb_k + Rb_k for gate rows of block k. */
static double dot(const double *a, const double *b, int64_t n)
{
	double sum = 0;
	for (int64_t i = 0; i < n; i++)
		sum += a[i] * b[i];
	return sum;
}

/* One step of one direction for one batch entry: h (and c) in place. */
static void cell(const rnn *s, int64_t d, const double *xt, double *h,
                 double *c, double *scratch)
{
	int64_t H = s->hidden, I = s->input, G = s->gates;
	const double *w = s->w + d * G * H * I, *r = s->r + d * G * H * H;
	const double *wb = s->b ? s->b + d * 2 * G * H : NULL;
	const double *rb = wb ? wb + G * H : NULL;
	const activation *f = s->act[d];
	/* xw[j] and hr[j] for every gate row j. */
	double *xw = scratch, *hr = scratch + G * H, *nh = hr + G * H;
	for (int64_t j = 0; j < G * H; j++) {
		xw[j] = dot(xt, w + j * I, I) + (wb ? wb[j] : 0);
		hr[j] = dot(h, r + j * H, H) + (rb ? rb[j] : 0);
	}
	switch (s->layer) {
	case LAYER_RNN:
		for (int64_t j = 0; j < H; j++)
			nh[j] = activate(&f[0], clipped(s, xw[j] + hr[j]));
		break;
	case LAYER_GRU:
		/* Gate blocks z, r, h. */
		for (int64_t j = 0; j < H; j++) {
			double z = activate(&f[0], clipped(s, xw[j] + hr[j]));
			double rr =
			    activate(&f[0], clipped(s, xw[H + j] + hr[H + j]));
			double cand;
			if (s->linear_before_reset) {
				cand = xw[2 * H + j] + rr * hr[2 * H + j];
			} else {
				/* (r . h) R_h^T: recompute with the reset h. */
				const double *rh = r + (2 * H + j) * H;
				double sum = rb ? rb[2 * H + j] : 0;
				for (int64_t k = 0; k < H; k++) {
					double rk = activate(
					    &f[0],
					    clipped(s, xw[H + k] + hr[H + k]));
					sum += rk * h[k] * rh[k];
				}
				cand = xw[2 * H + j] + sum;
			}
			double hh = activate(&f[1], clipped(s, cand));
			nh[j] = (1 - z) * hh + z * h[j];
		}
		break;
	case LAYER_LSTM: {
		/* Gate blocks i, o, f, c; peepholes i, o, f. */
		const double *p = s->p ? s->p + d * 3 * H : NULL;
		for (int64_t j = 0; j < H; j++) {
			double gi = xw[j] + hr[j] + (p ? p[j] * c[j] : 0);
			double gf = xw[2 * H + j] + hr[2 * H + j] +
			            (p ? p[2 * H + j] * c[j] : 0);
			double i = activate(&f[0], clipped(s, gi));
			double fg = s->input_forget
			                ? 1 - i
			                : activate(&f[0], clipped(s, gf));
			double cand = activate(
			    &f[1], clipped(s, xw[3 * H + j] + hr[3 * H + j]));
			double cn = fg * c[j] + i * cand;
			double go =
			    xw[H + j] + hr[H + j] + (p ? p[H + j] * cn : 0);
			double o = activate(&f[0], clipped(s, go));
			nh[j] = o * activate(&f[2], cn);
			c[j] = cn;
		}
		break;
	}
	}
	memcpy(h, nh, sizeof *h * (size_t)H);
}

static void run_layer(eval_call *c, rnn *s)
{
	int64_t H = s->hidden, B = s->batch, T = s->seq, I = s->input;
	double *h = eval_alloc(c, 8 * (size_t)H),
	       *cs = eval_alloc(c, 8 * (size_t)H);
	double *scratch = eval_alloc(c, 8 * (size_t)(3 * s->gates * H));
	for (int64_t d = 0; d < s->dirs; d++) {
		bool reverse = d == 1 || s->reverse;
		for (int64_t b = 0; b < B; b++) {
			int64_t len = s->lens ? s->lens[b] : T;
			for (int64_t j = 0; j < H; j++) {
				h[j] = s->h0 ? s->h0[(d * B + b) * H + j] : 0;
				cs[j] = s->c0 ? s->c0[(d * B + b) * H + j] : 0;
			}
			for (int64_t step = 0; step < len; step++) {
				int64_t t = reverse ? len - 1 - step : step;
				const double *xt =
				    s->x +
				    (s->batch_first ? b * T + t : t * B + b) *
				        I;
				cell(s, d, xt, h, cs, scratch);
				if (!s->y)
					continue;
				double *yt =
				    s->y + (s->batch_first
				                ? ((b * T + t) * s->dirs + d)
				                : ((t * s->dirs + d) * B + b)) *
				               H;
				memcpy(yt, h, sizeof *h * (size_t)H);
			}
			double *final_h =
			    s->yh +
			    (s->batch_first ? b * s->dirs + d : d * B + b) * H;
			memcpy(final_h, h, sizeof *h * (size_t)H);
			if (s->yc)
				memcpy(s->yc + (s->batch_first ? b * s->dirs + d
				                               : d * B + b) *
				                   H,
				       cs, sizeof *cs * (size_t)H);
		}
	}
}

static const double *optional_doubles(eval_call *c, int k, int64_t numel,
                                      bool *bad)
{
	if (!eval_has_input(c, k) || c->in[k].numel == 0)
		return NULL;
	if (c->in[k].numel != numel || !eval_is_float(c->in[k].elem_type))
		*bad = true;
	return eval_doubles(c, &c->in[k]);
}

static int recurrent(eval_call *c, enum layer layer)
{
	rnn s;
	memset(&s, 0, sizeof s);
	s.layer = layer;
	s.gates = layer == LAYER_RNN ? 1 : layer == LAYER_GRU ? 3 : 4;
	if (!eval_has_input(c, 0) || !eval_has_input(c, 1) ||
	    !eval_has_input(c, 2))
		return eval_error(c, "needs X, W and R");
	const eval_tensor *x = &c->in[0], *w = &c->in[1];
	int type = x->elem_type;
	if (!eval_is_float(type) || x->rank != 3 || w->rank != 3)
		return eval_error(c, "needs float X and W of rank 3");
	s.batch_first = c->opset >= 14 && eval_attr_int(c, "layout", 0);
	s.seq = x->dims[s.batch_first ? 1 : 0];
	s.batch = x->dims[s.batch_first ? 0 : 1];
	s.input = x->dims[2];
	s.hidden = eval_attr_int(c, "hidden_size", w->dims[1] / s.gates);
	const char *direction = eval_attr_string(c, "direction", "forward");
	s.dirs = !strcmp(direction, "bidirectional") ? 2 : 1;
	s.reverse = !strcmp(direction, "reverse");
	if (!s.reverse && s.dirs == 1 && strcmp(direction, "forward"))
		return eval_error(c, "direction '%s'", direction);
	s.clip = eval_has_attr(c, "clip") ? eval_attr_float(c, "clip", 0) : 0;
	s.linear_before_reset = eval_attr_int(c, "linear_before_reset", 0);
	s.input_forget = eval_attr_int(c, "input_forget", 0);
	int64_t H = s.hidden, G = s.gates, gh, r_count;
	/* hidden_size is an attribute: a huge one must not wrap to the
	 * dims of an empty W and R. */
	if (H < 0 || __builtin_mul_overflow(G, H, &gh) ||
	    __builtin_mul_overflow(s.dirs, gh, &r_count) ||
	    __builtin_mul_overflow(r_count, H, &r_count) ||
	    w->dims[0] != s.dirs || w->dims[1] != gh ||
	    w->dims[2] != s.input || c->in[2].numel != r_count)
		return eval_error(c, "W or R has the wrong shape");
	/* An empty X has no data to bound its sequence and batch: bound
	 * the steps of the recurrence by the fold work limit. */
	double work = (double)s.seq * (double)s.batch * (double)s.dirs *
	              (double)gh * ((double)s.input + (double)H + 1);
	if (!eval_work_allowed(c, work))
		return EVAL_UNSUPPORTED;
	if (!read_activations(c, &s))
		return c->failure;
	bool bad = false;
	s.x = eval_doubles(c, x);
	s.w = eval_doubles(c, w);
	s.r = eval_doubles(c, &c->in[2]);
	s.b = optional_doubles(c, 3, s.dirs * 2 * G * H, &bad);
	s.h0 = optional_doubles(c, 5, s.dirs * s.batch * H, &bad);
	if (layer == LAYER_LSTM) {
		s.c0 = optional_doubles(c, 6, s.dirs * s.batch * H, &bad);
		s.p = optional_doubles(c, 7, s.dirs * 3 * H, &bad);
	}
	if (bad)
		return eval_error(c, "an optional input has the wrong shape");
	if (eval_has_input(c, 4)) {
		int64_t n;
		if (!eval_input_ints(c, 4, &s.lens, &n) || n != s.batch)
			return eval_error(c, "sequence_lens must have batch "
			                     "entries");
		for (int64_t b = 0; b < n; b++)
			if (s.lens[b] < 0 || s.lens[b] > s.seq)
				return eval_error(c, "sequence length out of "
				                     "range");
	}
	int64_t ydims[4], hdims[3];
	if (s.batch_first) {
		int64_t yd[4] = {s.batch, s.seq, s.dirs, H};
		int64_t hd[3] = {s.batch, s.dirs, H};
		memcpy(ydims, yd, sizeof yd);
		memcpy(hdims, hd, sizeof hd);
	} else {
		int64_t yd[4] = {s.seq, s.dirs, s.batch, H};
		int64_t hd[3] = {s.dirs, s.batch, H};
		memcpy(ydims, yd, sizeof yd);
		memcpy(hdims, hd, sizeof hd);
	}
	/* The outputs first: their size check bounds the scratch below. Y
	 * is kept only when wanted (run_layer skips a NULL one); Y_h and Y_c
	 * are as small as one step of it. */
	void *outs[3] = {NULL, NULL, NULL};
	for (int k = 0; k < 3; k++) {
		if (!eval_wants_output(c, k))
			continue;
		if (k == 2 && layer != LAYER_LSTM)
			return eval_error(c, "has no output %d", k);
		outs[k] = k == 0 ? eval_output(c, 0, type, 4, ydims)
		                 : eval_output(c, k, type, 3, hdims);
		if (!outs[k])
			return EVAL_UNSUPPORTED;
	}
	int64_t y_count = eval_numel(ydims, 4), h_count = eval_numel(hdims, 3);
	if (outs[0])
		s.y = eval_alloc(c, 8 * (size_t)y_count);
	s.yh = eval_alloc(c, 8 * (size_t)h_count);
	if (layer == LAYER_LSTM)
		s.yc = eval_alloc(c, 8 * (size_t)h_count);
	run_layer(c, &s);
	const double *results[3] = {s.y, s.yh, s.yc};
	for (int k = 0; k < 3; k++)
		if (outs[k])
			eval_store_doubles(outs[k], type, results[k],
			                   k == 0 ? y_count : h_count);
	return EVAL_OK;
}

int eval_rnn(eval_call *c)
{
	return recurrent(c, LAYER_RNN);
}

int eval_gru(eval_call *c)
{
	return recurrent(c, LAYER_GRU);
}

int eval_lstm(eval_call *c)
{
	return recurrent(c, LAYER_LSTM);
}
