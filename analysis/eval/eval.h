/*
 * eval.h - the reference evaluator: C kernels that compute standard ONNX
 * operators on constant tensors, for `fold` and for any pass that needs to
 * know a value.
 *
 * A caller describes one node and its constant inputs in an eval_call,
 * runs it with eval_run(), reads the outputs, and ends the call:
 *
 *     eval_call call;
 *     eval_call_begin(&call, model, node, inputs, n_inputs, size_limit);
 *     if (eval_run(&call) == EVAL_OK)
 *             use(call.outputs[0]);        (scratch-owned)
 *     else
 *             log(call.reason);            ("unsupported: Op-13 why")
 *     eval_call_end(&call);
 *
 * Invariants:
 *  - Kernels never change the IR: they read call->in[] (and, for Loop,
 *    Scan and If, the body graph) and create outputs with eval_output(),
 *    in a scratch arena that eval_call_end() frees. A caller that keeps
 *    an output copies it into the model (ir_tensor_create /
 *    ir_tensor_create_strings).
 *  - A kernel that is unsure of the semantics (an opset it does not know,
 *    an attribute value it does not handle) returns EVAL_UNSUPPORTED with
 *    a reason; it never guesses. EVAL_ERROR means the node is invalid for
 *    these inputs (a shape mismatch, an index out of range).
 *  - Every kernel is written once for all element types: either over a
 *    wide type (double, int64_t, uint64_t; see eval_kind) or over element
 *    bytes (data movement: elem_size bytes per element, and for STRING
 *    tensors one ProtobufCBinaryData per element).
 *  - Randomness is never evaluated (eval_op_is_random), nor a node in a
 *    domain other than the default ONNX one.
 *  - Kernels are found through the operator table (analysis/ops.h), which
 *    joins analysis/eval/kernels.def with the rest of each op's facts.
 */
#ifndef ONNXOPT_EVAL_H
#define ONNXOPT_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir.h"

enum { EVAL_OK = 0, EVAL_UNSUPPORTED = 1, EVAL_ERROR = 2 };

/* Ranks above this are refused (ONNX models stay far below it). */
#define EVAL_MAX_RANK 16

/* The most an empty tensor's non-zero dims may multiply to. [0, 2^40,
 * 2^40] takes no bytes, but kernels loop over the dims before and after
 * an axis, and size offsets and scratch by them. A tensor with elements
 * has data (or an output budget) for each, which bounds its dims. Empty
 * inputs and outputs past it are not folded. */
#define EVAL_MAX_EMPTY_EXTENT ((int64_t)1 << 24)
/* Are dims (each >= 0) those of a tensor with elements, or of an empty
 * one within EVAL_MAX_EMPTY_EXTENT? */
bool eval_extent_fits(const int64_t *dims, int rank);

/* A constant seen as contiguous, little-endian elements. For STRING
 * tensors, data is an array of ProtobufCBinaryData. */
typedef struct eval_tensor {
	bool present; /* false: absent optional input */
	int elem_type;
	int rank;
	int64_t dims[EVAL_MAX_RANK];
	int64_t numel;
	size_t elem_size; /* bytes per element in `data` */
	const void *data;
} eval_tensor;

/* The tensor an enclosing graph computed for `value`, or NULL. */
typedef const ir_tensor *(*eval_outer_fn)(void *ctx, const ir_value *value);

typedef struct eval_call {
	/* Set by eval_call_begin. */
	ir_model *model;
	const ir_node *node;
	int64_t opset; /* the model's opset for the node's domain */
	int n_inputs;
	eval_tensor *in; /* n_inputs entries */
	int n_outputs;
	/* Outputs above this many bytes that also outgrow the inputs are
	 * refused; negative means no limit. */
	long long size_limit;
	long long input_bytes;
	/* Bytes all outputs together may take (what is left of the fold
	 * memory limit); negative means no limit. An output past it is
	 * refused and sets over_memory_limit. */
	long long memory_left;
	bool over_memory_limit;
	/* Set by a caller that keeps the outputs as the model's tensors
	 * (fold): big outputs are then made in the model's file-backed store
	 * (ir_tensor_room), and rooms[i] is output i's room there, which
	 * ir_tensor_create takes without a copy, or NULL. */
	bool outputs_in_store;
	void **rooms;
	/* Set by the kernel: one tensor per output slot, scratch-owned. */
	ir_tensor **outputs;
	char reason[256];
	/* The code of the last eval_unsupported/eval_error, so a helper
	 * that returns false lets its caller return the right code. */
	int failure;
	/* Values bound by an enclosing Loop/Scan/If body being interpreted
	 * (control.c); NULL at the top level. */
	const struct eval_scope *scope;
	/* Run-time values of enclosing graphs, for bodies that read them
	 * (set by eval_graph_run; NULL when only constants are known). */
	eval_outer_fn outer;
	void *outer_ctx;
	struct ir_arena *scratch;
} eval_call;

/* Also declared by the operator table (analysis/ops.h); C11 allows the
 * identical repeat. */
typedef int (*op_eval_fn)(eval_call *call);

/* Every kernel, declared from the one list of them, and the float unary
 * kernels that the operator table's FLOAT_UNARY rows define. */
#define KERNEL(op, fn) int fn(eval_call *call);
#include "kernels.def"
#undef KERNEL
#define OP(name, domain, infer, flags)
#define FLOAT_UNARY(name, flags, alpha, beta, gamma, expression)               \
	int eval_unary_##name(eval_call *call);
#include "ops.def"
#undef OP

/* A double that converts to int64 without undefined behaviour: finite
 * and within (-2^63, 2^63). Kernels check a computed size or index with it
 * before the cast. */
static inline bool eval_fits_int64(double v)
{
	return v > -9223372036854775808.0 && v < 9223372036854775808.0;
}

/* --------------------------------------------------------- running calls */

/* Decode the inputs (NULL entries are absent) and prepare the outputs. A
 * node whose inputs cannot be read is reported by eval_run. */
void eval_call_begin(eval_call *call, ir_model *model, const ir_node *node,
                     ir_tensor *const *inputs, int n_inputs,
                     long long size_limit);
/* Run the node's kernel; on EVAL_OK every output slot with a value in the
 * node holds a tensor. */
int eval_run(eval_call *call);
/* Frees the call's scratch, and gives back the store rooms of outputs no
 * caller took (eval_output_taken). */
void eval_call_end(eval_call *call);
/* The caller made output `index` a tensor of the model: its room in the
 * store (if any) now belongs to that tensor. */
void eval_output_taken(eval_call *call, int index);

op_eval_fn eval_find_kernel(const char *op_type);

/* ---------------------------------------------------------- whole graphs */

/* Interpret `graph` (a model's main graph) on run-time inputs: inputs[i]
 * binds graph->inputs[i]; a NULL entry takes the initializer of an
 * overridable input. Nodes run in order with no size limit; a value is
 * freed after its last reader. On EVAL_OK outputs[i] is graph output i,
 * allocated in `keep`. Otherwise `failure` names the node that failed
 * and why ("unsupported: Op-13 has no kernel"). Randomness and other domains
 * are refused like everywhere else in the evaluator. */
typedef struct eval_graph_failure {
	const ir_node *node; /* the node that failed, NULL if none did */
	int code;            /* EVAL_UNSUPPORTED or EVAL_ERROR */
	char reason[256];
} eval_graph_failure;
int eval_graph_run(ir_model *model, const ir_graph *graph,
                   const ir_tensor *const *inputs, struct ir_arena *keep,
                   ir_tensor **outputs, eval_graph_failure *failure);
/* Ops whose result is random (RandomNormal, Bernoulli, ...). */
bool eval_op_is_random(const char *op_type);

/* ------------------------------------------------------ kernel helpers */

int eval_unsupported(eval_call *call, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int eval_error(eval_call *call, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

void *eval_alloc(eval_call *call, size_t size); /* zeroed scratch */
bool eval_has_input(const eval_call *call, int index);
/* Would the fold size limit let output `index` have `bytes` bytes? When
 * not, says why (unsupported). Kernels whose scratch grows with an output
 * they only make at the end ask this first, so that scratch stays within
 * a few times the limit. */
bool eval_output_size_allowed(eval_call *call, int index, long long bytes);
/* Is `multiply_adds` (real multiply-adds, counted in double so that the
 * count itself cannot overflow) within the work one fold may do? When
 * not, says why (unsupported). The output size limit does not bound the
 * time of kernels whose work grows faster than their output and input
 * (DFT, Einsum, recurrences), so these ask before they compute. */
bool eval_work_allowed(eval_call *call, double multiply_adds);
/* The output tensor for slot `index`; NULL (with a reason) when the size
 * limit refuses it or the dims are invalid. Data is zeroed. */
void *eval_output(eval_call *call, int index, int elem_type, int rank,
                  const int64_t *dims);
/* The same, not zeroed, for kernels that write every element (a large
 * output then costs one pass over its memory instead of two). */
void *eval_output_filled(eval_call *call, int index, int elem_type, int rank,
                         const int64_t *dims);
/* An output with the same shape and type as input `like`. */
void *eval_output_like(eval_call *call, int index, const eval_tensor *like,
                       int elem_type);
/* Whether the node has a value in output slot `index`. */
bool eval_wants_output(const eval_call *call, int index);

/* Decode a tensor that is not a node input (a TENSOR attribute). */
bool eval_decode(eval_call *call, const ir_tensor *tensor, eval_tensor *out);

/* ---------------------------------------------------------- attributes */

/* Number of entries of an INTS/FLOATS/STRINGS attribute, -1 if absent. */
int eval_attr_ints(const eval_call *call, const char *name,
                   const int64_t **values);
int eval_attr_floats(const eval_call *call, const char *name,
                     const float **values);
int eval_attr_strings(const eval_call *call, const char *name,
                      const ProtobufCBinaryData **values);
int64_t eval_attr_int(const eval_call *call, const char *name,
                      int64_t fallback);
float eval_attr_float(const eval_call *call, const char *name, float fallback);
/* The attribute's string, NUL-terminated, or fallback. */
const char *eval_attr_string(eval_call *call, const char *name,
                             const char *fallback);
bool eval_has_attr(const eval_call *call, const char *name);

/* ------------------------------------------------------- element types */

/* How a kernel computes on an element type: in double, int64_t or
 * uint64_t. BOOL computes as unsigned 0/1. */
typedef enum {
	EVAL_KIND_NONE,
	EVAL_KIND_FLOAT,
	EVAL_KIND_SIGNED,
	EVAL_KIND_UNSIGNED,
	EVAL_KIND_STRING,
} eval_kind;

eval_kind eval_kind_of(int elem_type);
/* Bytes per element as the evaluator stores it; 0 if unsupported. */
size_t eval_elem_size(int elem_type);
bool eval_is_float(int elem_type);
bool eval_is_integer(int elem_type); /* not bool */

/* Widen a whole tensor into scratch (any numeric type, bool included). */
double *eval_doubles(eval_call *call, const eval_tensor *t);
int64_t *eval_int64s(eval_call *call, const eval_tensor *t);
uint64_t *eval_uint64s(eval_call *call, const eval_tensor *t);
/* Narrow into elements of `elem_type` with ONNX Cast semantics (round to
 * nearest even for floats, truncation toward zero for float -> int
 * (NaN and out-of-range values as ONNX Runtime on x86-64: see convert.c),
 * wrap-around for int -> narrower int, nonzero -> true for bool). */
void eval_store_doubles(void *dst, int elem_type, const double *src, int64_t n);
void eval_store_int64s(void *dst, int elem_type, const int64_t *src, int64_t n);
void eval_store_uint64s(void *dst, int elem_type, const uint64_t *src,
                        int64_t n);
/* Widen/narrow in the kind that suits `elem_type`: wide points at
 * numel doubles, int64_ts or uint64_ts. */
void *eval_widen(eval_call *call, const eval_tensor *t);
/* The same widenings into t->numel elements of 8 bytes at `wide`, for
 * kernels that work in blocks of a bigger tensor. */
void eval_doubles_into(double *wide, const eval_tensor *t);
void eval_int64s_into(int64_t *wide, const eval_tensor *t);
void eval_uint64s_into(uint64_t *wide, const eval_tensor *t);
void eval_widen_into(void *wide, const eval_tensor *t);
void eval_narrow(void *dst, int elem_type, const void *wide, int64_t n);

float eval_half_to_float(uint16_t h);
uint16_t eval_float_to_half(float f);
float eval_bfloat_to_float(uint16_t b);
uint16_t eval_float_to_bfloat(float f);

/* An input of integer type as int64 values (shapes, axes, indices). False
 * with a reason if absent or not integer. */
bool eval_input_ints(eval_call *call, int index, const int64_t **values,
                     int64_t *n);
/* A scalar (or one-element) input as double / int64. */
bool eval_input_scalar(eval_call *call, int index, double *value);

/* c[m x n] += a[m x k] * b[k x n], row-major doubles: the one matrix
 * product of the float kernels (cache-tiled, or BLAS's dgemm in builds
 * with -Dblas). */
void eval_matrix_product(double *c, const double *a, const double *b, int64_t m,
                         int64_t k, int64_t n);

/* -------------------------------------------------------------- shapes */

/* Normalize a possibly negative axis into [0, rank); false with a
 * reason otherwise. */
bool eval_axis(eval_call *call, int64_t axis, int rank, int *out);
void eval_strides(const int64_t *dims, int rank, int64_t *strides);
int64_t eval_numel(const int64_t *dims, int rank);

/* Multidirectional (numpy) broadcasting of n inputs. */
bool eval_broadcast_shape(eval_call *call, const eval_tensor *const *ins, int n,
                          int *rank, int64_t *dims);
/* For each element of the broadcast shape, the offset of the matching
 * element of `t` (numel entries, scratch). */
int64_t *eval_broadcast_offsets(eval_call *call, const eval_tensor *t, int rank,
                                const int64_t *dims);
/* The same for the elements [start, start + count) of the broadcast
 * shape, into offsets[0, count): kernels that work in blocks. */
void eval_broadcast_offsets_range(const eval_tensor *t, int rank,
                                  const int64_t *dims, int64_t start,
                                  int64_t count, int64_t *offsets);

/* dst[k] = src[offsets[k]] for elements of elem_size bytes. */
void eval_gather_bytes(void *dst, const void *src, const int64_t *offsets,
                       int64_t n, size_t elem_size);

#endif
