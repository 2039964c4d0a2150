/*
 * eval.c - running one kernel: finding it, decoding inputs, making
 * outputs under the size limit, and the helpers every kernel shares
 * (attributes, axes, broadcasting, gathers by offset).
 *
 * Invariants: a call owns one scratch arena; everything a kernel
 * allocates lives there and dies in eval_call_end. Inputs are never
 * written. The size limit is enforced before an output's memory is
 * allocated, so a refused Expand never allocates its result.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "eval.h"
#include "ir_arena.h"
#include "ops.h"

/* Kernels and randomness come from the operator table (analysis/ops.def
 * joined with kernels.def), the one place that knows each op. */
op_eval_fn eval_find_kernel(const char *op_type)
{
	const op_info *op = op_lookup("", op_type);
	return op ? op->eval : NULL;
}

bool eval_op_is_random(const char *op_type)
{
	const op_info *op = op_lookup("", op_type);
	return op && (op->flags & OP_RANDOM);
}

/* ------------------------------------------------------------- reasons */

static int vreport(eval_call *call, int code, const char *prefix,
                   const char *format, va_list args)
{
	call->failure = code;
	int n = snprintf(call->reason, sizeof call->reason, "%s%s-%lld ",
	                 prefix, call->node->op_type, (long long)call->opset);
	if (n > 0 && (size_t)n < sizeof call->reason)
		vsnprintf(call->reason + n, sizeof call->reason - (size_t)n,
		          format, args);
	return code;
}

int eval_unsupported(eval_call *call, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	int code =
	    vreport(call, EVAL_UNSUPPORTED, "unsupported: ", format, args);
	va_end(args);
	return code;
}

int eval_error(eval_call *call, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	int code = vreport(call, EVAL_ERROR, "invalid: ", format, args);
	va_end(args);
	return code;
}

void *eval_alloc(eval_call *call, size_t size)
{
	return ir_arena_alloc(call->scratch, size ? size : 1);
}

/* --------------------------------------------------------------- calls */

bool eval_extent_fits(const int64_t *dims, int rank)
{
	bool empty = false;
	int64_t extent = 1;
	for (int i = 0; i < rank; i++) {
		if (dims[i] < 0)
			return false;
		empty = empty || dims[i] == 0;
		if (dims[i] > 0 &&
		    __builtin_mul_overflow(extent, dims[i], &extent))
			return false;
	}
	return !empty || extent <= EVAL_MAX_EMPTY_EXTENT;
}

bool eval_decode(eval_call *call, const ir_tensor *t, eval_tensor *out)
{
	memset(out, 0, sizeof *out);
	if (!t || t->rank < 0 || t->rank > EVAL_MAX_RANK)
		return false;
	size_t elem_size = eval_elem_size(t->elem_type);
	int64_t numel = ir_tensor_numel(t);
	if (!elem_size || numel < 0 || !eval_extent_fits(t->dims, t->rank))
		return false;
	out->present = true;
	out->elem_type = t->elem_type;
	out->rank = t->rank;
	if (t->rank)
		memcpy(out->dims, t->dims, sizeof(int64_t) * (size_t)t->rank);
	out->numel = numel;
	out->elem_size = elem_size;
	if (t->elem_type == IR_STRING) {
		ProtobufCBinaryData *s =
		    eval_alloc(call, sizeof *s * (size_t)numel);
		for (int64_t i = 0; i < numel; i++)
			if (!ir_tensor_string(t, i, &s[i]))
				return false;
		out->data = s;
		return true;
	}
	/* Kernels read elements as typed arrays; a payload borrowed from
	 * the file at an odd offset is copied for this call only (into
	 * scratch, not the model's store: it is read once, by this call). */
	size_t size;
	if (!ir_tensor_bytes(call->model, t, &out->data, &size))
		return false;
	if ((uintptr_t)out->data % 16 != 0) {
		void *copy = ir_arena_alloc_uninit(call->scratch, size);
		memcpy(copy, out->data, size);
		out->data = copy;
	}
	return size == (size_t)numel * elem_size;
}

void eval_call_begin(eval_call *call, ir_model *model, const ir_node *node,
                     ir_tensor *const *inputs, int n_inputs,
                     long long size_limit)
{
	memset(call, 0, sizeof *call);
	call->model = model;
	call->node = node;
	call->opset = ir_model_opset(model, node->domain);
	call->size_limit = size_limit;
	call->memory_left = -1;
	call->scratch = ir_arena_create_scratch();
	call->n_inputs = n_inputs;
	call->in = eval_alloc(call, sizeof *call->in * (size_t)(n_inputs + 1));
	call->n_outputs = node->n_outputs;
	call->outputs = eval_alloc(call, sizeof *call->outputs *
	                                     (size_t)(node->n_outputs + 1));
	call->rooms = eval_alloc(call, sizeof *call->rooms *
	                                   (size_t)(node->n_outputs + 1));
	for (int i = 0; i < n_inputs; i++) {
		if (!inputs[i])
			continue;
		if (!eval_decode(call, inputs[i], &call->in[i])) {
			eval_unsupported(call,
			                 "input %d: %s data that cannot "
			                 "be read",
			                 i, ir_elem_name(inputs[i]->elem_type));
			return;
		}
		call->input_bytes +=
		    (long long)(call->in[i].numel *
		                (int64_t)call->in[i].elem_size);
	}
}

int eval_run(eval_call *call)
{
	if (call->reason[0])
		return EVAL_UNSUPPORTED;
	if (!ir_is_onnx_domain(call->node->domain))
		return eval_unsupported(call, "in domain '%s'",
		                        call->node->domain);
	if (eval_op_is_random(call->node->op_type))
		return eval_unsupported(call, "is random");
	const ir_attr *mistyped = op_node_mistyped_attribute(call->node);
	if (mistyped)
		return eval_unsupported(call,
		                        "with attribute '%s' of a type its "
		                        "schema does not allow",
		                        mistyped->name);
	op_eval_fn fn = eval_find_kernel(call->node->op_type);
	if (!fn)
		return eval_unsupported(call, "has no kernel");
	int code = fn(call);
	if (code != EVAL_OK)
		return code;
	for (int i = 0; i < call->n_outputs; i++)
		if (eval_wants_output(call, i) && !call->outputs[i])
			return eval_unsupported(call,
			                        "did not compute output "
			                        "%d",
			                        i);
	return EVAL_OK;
}

void eval_output_taken(eval_call *call, int index)
{
	call->rooms[index] = NULL;
}

static void release_room(eval_call *call, int index)
{
	const ir_tensor *t = call->outputs[index];
	if (call->rooms[index])
		ir_tensor_room_release(call->model, call->rooms[index],
		                       t ? t->raw_size : 0);
	call->rooms[index] = NULL;
}

void eval_call_end(eval_call *call)
{
	for (int i = 0; call->rooms && i < call->n_outputs; i++)
		release_room(call, i);
	ir_arena_free(call->scratch);
	call->scratch = NULL;
	call->outputs = NULL;
	call->in = NULL;
}

bool eval_has_input(const eval_call *call, int index)
{
	return index >= 0 && index < call->n_inputs && call->in[index].present;
}

bool eval_wants_output(const eval_call *call, int index)
{
	return index >= 0 && index < call->node->n_outputs &&
	       call->node->outputs[index];
}

/* ------------------------------------------------------------- outputs */

bool eval_output_size_allowed(eval_call *call, int index, long long bytes)
{
	if (call->size_limit >= 0 && bytes > call->size_limit &&
	    bytes > call->input_bytes) {
		eval_unsupported(call,
		                 "output %d of %lld bytes is over the "
		                 "fold size limit (%lld)",
		                 index, bytes, call->size_limit);
		return false;
	}
	return true;
}

/* 2^32 multiply-adds: a few seconds of one core. */
#define EVAL_MAX_WORK 0x1p32

bool eval_work_allowed(eval_call *call, double multiply_adds)
{
	if (multiply_adds > EVAL_MAX_WORK) {
		eval_unsupported(call,
		                 "with %g multiply-adds, over the %g one fold "
		                 "may do",
		                 multiply_adds, EVAL_MAX_WORK);
		return false;
	}
	return true;
}

static void *make_output(eval_call *call, int index, int elem_type, int rank,
                         const int64_t *dims, bool zeroed)
{
	if (index < 0 || index >= call->n_outputs) {
		eval_unsupported(call, "has no output slot %d", index);
		return NULL;
	}
	size_t elem_size = eval_elem_size(elem_type);
	if (!elem_size || rank < 0 || rank > EVAL_MAX_RANK) {
		eval_unsupported(call, "output %d of type %s, rank %d", index,
		                 ir_elem_name(elem_type), rank);
		return NULL;
	}
	int64_t numel = 1;
	for (int i = 0; i < rank; i++) {
		if (dims[i] < 0 ||
		    (dims[i] && numel > (INT64_MAX >> 8) / dims[i])) {
			eval_error(call,
			           "output %d has an invalid or huge "
			           "shape",
			           index);
			return NULL;
		}
		numel *= dims[i];
	}
	if (!eval_extent_fits(dims, rank)) {
		eval_unsupported(call,
		                 "output %d is empty, with other dims that "
		                 "multiply past %lld",
		                 index, (long long)EVAL_MAX_EMPTY_EXTENT);
		return NULL;
	}
	long long bytes = (long long)(numel * (int64_t)elem_size);
	if (!eval_output_size_allowed(call, index, bytes))
		return NULL;
	if (call->memory_left >= 0 && bytes > call->memory_left) {
		call->over_memory_limit = true;
		eval_unsupported(call,
		                 "output %d of %lld bytes is over what is left "
		                 "of the fold memory limit (%lld)",
		                 index, bytes, call->memory_left);
		return NULL;
	}
	if (call->memory_left >= 0)
		call->memory_left -= bytes;
	ir_tensor *t = eval_alloc(call, sizeof *t);
	t->elem_type = elem_type;
	t->rank = rank;
	t->dims = eval_alloc(call, sizeof(int64_t) * (size_t)(rank + 1));
	if (rank)
		memcpy(t->dims, dims, sizeof(int64_t) * (size_t)rank);
	/* A store room starts zeroed: its file blocks are new. */
	release_room(call, index);
	void *room = call->outputs_in_store && elem_type != IR_STRING
	                 ? ir_tensor_room(call->model, (size_t)bytes)
	                 : NULL;
	call->rooms[index] = room;
	void *data = room ? room
	             : zeroed || elem_type == IR_STRING
	                 ? eval_alloc(call, (size_t)bytes)
	                 : ir_arena_alloc_uninit(call->scratch,
	                                         bytes ? (size_t)bytes : 1);
	if (elem_type == IR_STRING) {
		t->strings = data;
	} else {
		t->raw = data;
		t->raw_size = (size_t)bytes;
	}
	t->modified = true;
	call->outputs[index] = t;
	return data;
}

void *eval_output(eval_call *call, int index, int elem_type, int rank,
                  const int64_t *dims)
{
	return make_output(call, index, elem_type, rank, dims, true);
}

void *eval_output_filled(eval_call *call, int index, int elem_type, int rank,
                         const int64_t *dims)
{
	return make_output(call, index, elem_type, rank, dims, false);
}

void *eval_output_like(eval_call *call, int index, const eval_tensor *like,
                       int elem_type)
{
	return eval_output(call, index, elem_type, like->rank, like->dims);
}

/* ---------------------------------------------------------- attributes */

static const Onnx__AttributeProto *attr_proto(const eval_call *call,
                                              const char *name)
{
	const ir_attr *a = ir_node_attr(call->node, name);
	return a ? a->proto : NULL;
}

bool eval_has_attr(const eval_call *call, const char *name)
{
	return attr_proto(call, name) != NULL;
}

int eval_attr_ints(const eval_call *call, const char *name,
                   const int64_t **values)
{
	int count = ir_attr_ints(call->node, name, values);
	return count < 0 ? -1 : count;
}

int eval_attr_floats(const eval_call *call, const char *name,
                     const float **values)
{
	const Onnx__AttributeProto *p = attr_proto(call, name);
	if (!p)
		return -1;
	*values = p->floats;
	return (int)p->n_floats;
}

int eval_attr_strings(const eval_call *call, const char *name,
                      const ProtobufCBinaryData **values)
{
	const Onnx__AttributeProto *p = attr_proto(call, name);
	if (!p)
		return -1;
	*values = p->strings;
	return (int)p->n_strings;
}

int64_t eval_attr_int(const eval_call *call, const char *name, int64_t fallback)
{
	return ir_attr_int(call->node, name, fallback);
}

float eval_attr_float(const eval_call *call, const char *name, float fallback)
{
	return ir_attr_float(call->node, name, fallback);
}

const char *eval_attr_string(eval_call *call, const char *name,
                             const char *fallback)
{
	const Onnx__AttributeProto *p = attr_proto(call, name);
	if (!p || !p->has_s)
		return fallback;
	char *s = eval_alloc(call, p->s.len + 1);
	memcpy(s, p->s.data, p->s.len);
	return s;
}

/* -------------------------------------------------------- input values */

bool eval_input_ints(eval_call *call, int index, const int64_t **values,
                     int64_t *n)
{
	if (!eval_has_input(call, index)) {
		eval_unsupported(call, "input %d is absent", index);
		return false;
	}
	const eval_tensor *t = &call->in[index];
	if (!eval_is_integer(t->elem_type)) {
		eval_error(call, "input %d must be integer, not %s", index,
		           ir_elem_name(t->elem_type));
		return false;
	}
	*values = t->elem_type == IR_INT64 ? t->data : eval_int64s(call, t);
	*n = t->numel;
	return true;
}

bool eval_input_scalar(eval_call *call, int index, double *value)
{
	if (!eval_has_input(call, index) || call->in[index].numel != 1 ||
	    eval_kind_of(call->in[index].elem_type) == EVAL_KIND_STRING) {
		eval_error(call, "input %d must be a numeric scalar", index);
		return false;
	}
	*value = eval_doubles(call, &call->in[index])[0];
	return true;
}

/* -------------------------------------------------------------- shapes */

bool eval_axis(eval_call *call, int64_t axis, int rank, int *out)
{
	if (axis < -rank || axis >= rank || (rank == 0 && axis != 0)) {
		eval_error(call, "axis %lld is out of range for rank %d",
		           (long long)axis, rank);
		return false;
	}
	*out = (int)(axis < 0 ? axis + rank : axis);
	return true;
}

void eval_strides(const int64_t *dims, int rank, int64_t *strides)
{
	/* Saturating, like eval_numel: the callers' tensors are checked
	 * (eval_extent_fits), but a kernel may ask about dims it made. */
	int64_t s = 1;
	for (int i = rank - 1; i >= 0; i--) {
		strides[i] = s;
		if (__builtin_mul_overflow(s, dims[i], &s))
			s = INT64_MAX;
	}
}

int64_t eval_numel(const int64_t *dims, int rank)
{
	/* Saturate rather than overflow: dims can come from a model's data,
	 * and a saturated count is then refused by the size checks. */
	int64_t n = 1;
	for (int i = 0; i < rank; i++)
		if (__builtin_mul_overflow(n, dims[i], &n))
			return INT64_MAX;
	return n;
}

bool eval_broadcast_shape(eval_call *call, const eval_tensor *const *ins, int n,
                          int *rank, int64_t *dims)
{
	int r = 0;
	for (int k = 0; k < n; k++)
		if (ins[k]->rank > r)
			r = ins[k]->rank;
	for (int i = 0; i < r; i++)
		dims[i] = 1;
	for (int k = 0; k < n; k++) {
		const eval_tensor *t = ins[k];
		for (int i = 0; i < t->rank; i++) {
			int64_t d = t->dims[i];
			int64_t *o = &dims[r - t->rank + i];
			if (d == *o || d == 1)
				continue;
			if (*o != 1) {
				eval_error(call,
				           "input %d (dim %lld) does not "
				           "broadcast with %lld",
				           k, (long long)d, (long long)*o);
				return false;
			}
			*o = d;
		}
	}
	/* A zero-sized dim wins over 1 (numpy). */
	for (int k = 0; k < n; k++)
		for (int i = 0; i < ins[k]->rank; i++)
			if (ins[k]->dims[i] == 0)
				dims[r - ins[k]->rank + i] = 0;
	*rank = r;
	return true;
}

int64_t *eval_broadcast_offsets(eval_call *call, const eval_tensor *t, int rank,
                                const int64_t *dims)
{
	int64_t numel = eval_numel(dims, rank);
	int64_t *offsets = eval_alloc(call, sizeof *offsets * (size_t)numel);
	eval_broadcast_offsets_range(t, rank, dims, 0, numel, offsets);
	return offsets;
}

void eval_broadcast_offsets_range(const eval_tensor *t, int rank,
                                  const int64_t *dims, int64_t start,
                                  int64_t count, int64_t *offsets)
{
	if (count <= 0)
		return;
	if (rank == 0) {
		offsets[0] = 0;
		return;
	}
	int64_t own[EVAL_MAX_RANK], stride[EVAL_MAX_RANK];
	eval_strides(t->dims, t->rank, own);
	for (int i = 0; i < rank; i++) {
		int j = i - (rank - t->rank);
		stride[i] = (j < 0 || t->dims[j] == 1) ? 0 : own[j];
	}
	/* The odometer starts at element `start` (count > 0, so no dim is
	 * 0); then a tight loop runs along the last dim. */
	int64_t index[EVAL_MAX_RANK], rest = start, base = 0;
	for (int i = rank - 1; i >= 0; i--) {
		index[i] = rest % dims[i];
		rest /= dims[i];
		base += index[i] * stride[i];
	}
	int last = rank - 1;
	int64_t inner_stride = stride[last];
	for (int64_t k = 0;;) {
		int64_t run = dims[last] - index[last];
		if (run > count - k)
			run = count - k;
		for (int64_t j = 0; j < run; j++)
			offsets[k + j] = base + j * inner_stride;
		if ((k += run) == count)
			return;
		base -= index[last] * inner_stride;
		index[last] = 0;
		for (int i = last - 1; i >= 0; i--) {
			base += stride[i];
			if (++index[i] < dims[i])
				break;
			base -= stride[i] * dims[i];
			index[i] = 0;
		}
	}
}

void eval_gather_bytes(void *dst, const void *src, const int64_t *offsets,
                       int64_t n, size_t elem_size)
{
	switch (elem_size) {
#define GATHER(T)                                                              \
	{                                                                      \
		T *d = dst;                                                    \
		const T *s = src;                                              \
		for (int64_t i = 0; i < n; i++)                                \
			d[i] = s[offsets[i]];                                  \
		return;                                                        \
	}
	case 1: GATHER(uint8_t)
	case 2: GATHER(uint16_t)
	case 4: GATHER(uint32_t)
	case 8: GATHER(uint64_t)
	case sizeof(ProtobufCBinaryData): GATHER(ProtobufCBinaryData)
#undef GATHER
	default:
		for (int64_t i = 0; i < n; i++)
			memcpy((char *)dst + (size_t)i * elem_size,
			       (const char *)src +
			           (size_t)offsets[i] * elem_size,
			       elem_size);
	}
}
