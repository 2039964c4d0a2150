/*
 * ir_tensor.c - reading and creating tensor constants.
 *
 * ONNX stores tensor data either as little-endian raw_data or in typed
 * repeated fields whose encoding depends on the element type (float16 bit
 * patterns in int32_data, uint32 in uint64_data, ...). Passes want one
 * form: contiguous little-endian bytes. This module produces it, once, and
 * owns the knowledge of which field holds which type.
 */
#include <stdio.h>
#include <string.h>

#include "ir_external.h"
#include "ir_impl.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "onnx-opt assumes a little-endian host (ONNX raw_data is little-endian)"
#endif

static size_t packed_size(int elem_type, int64_t numel)
{
	int bits = ir_elem_bits(elem_type);
	return (size_t)(((uint64_t)numel * (uint64_t)bits + 7) / 8);
}

/* A model-owned copy of the bytes `t` is to hold: a big one in the
 * file-backed store, whose pages (and the input pages it was read from)
 * are then let go of. Bytes already in a room of the store are taken as
 * they are. */
static void *tensor_copy(ir_model *model, ir_tensor *t, const void *data,
                         size_t size)
{
	if (ir_store_take(model, data, size, t)) {
		ir_memory_touched(model, size);
		return (void *)data;
	}
	void *copy = ir_store_alloc(model, size);
	if (!copy)
		return ir_memdup(model, data, size);
	ir_store_take(model, copy, size, t);
	memcpy(copy, data, size);
	ir_memory_touched(model, size);
	return copy;
}

void *ir_tensor_room(ir_model *model, size_t size)
{
	return ir_store_alloc(model, size);
}

void ir_tensor_room_release(ir_model *model, void *room, size_t size)
{
	ir_store_release(model, room, size);
}

/* An empty repeated field is a NULL pointer, and memcpy from NULL is
 * undefined even for zero bytes. */
static void copy_field(void *out, const void *field, size_t size)
{
	if (size)
		memcpy(out, field, size);
}

static bool tensor_bytes(ir_model *model, const ir_tensor *t, bool aligned,
                         const void **data, size_t *size)
{
	int64_t numel = ir_tensor_numel(t);
	int bits = ir_elem_bits(t->elem_type);
	if (numel < 0 || bits == 0 || t->external)
		return false;
	size_t want = packed_size(t->elem_type, numel);
	if (t->raw || t->modified || !t->origin) {
		if (t->raw_size != want)
			return false;
		/* Payloads borrowed from the file sit at any byte offset, but
		 * kernels read them as float/int64 arrays. Copy a misaligned
		 * payload once into the (16-byte aligned) arena and keep the
		 * copy: the bytes are the same, so export is unaffected. */
		if (aligned && t->raw && ((uintptr_t)t->raw % 16) != 0) {
			ir_tensor *mutable_tensor = (ir_tensor *)t;
			mutable_tensor->raw =
			    tensor_copy(model, mutable_tensor, t->raw, want);
		}
		*data = t->raw ? t->raw : "";
		*size = want;
		/* A reader walks these pages: count them towards the next
		 * trim, so that reading every weight (hashing, comparing)
		 * does not make them all resident at once. */
		if (t->raw && want >= IR_STORE_MIN &&
		    ir_memory_is_mapped(model, t->raw, want))
			ir_memory_touched(model, want);
		return true;
	}
	const Onnx__TensorProto *p = t->origin;
	uint8_t *out = ir_alloc(model, want ? want : 1);
	size_t n = (size_t)numel;
	switch (t->elem_type) {
	case IR_FLOAT:
	case IR_COMPLEX64:
		if (p->n_float_data * 32 != want * 8)
			return false;
		copy_field(out, p->float_data, want);
		break;
	case IR_DOUBLE:
	case IR_COMPLEX128:
		if (p->n_double_data * 64 != want * 8)
			return false;
		copy_field(out, p->double_data, want);
		break;
	case IR_INT64:
		if (p->n_int64_data != n)
			return false;
		copy_field(out, p->int64_data, want);
		break;
	case IR_UINT64:
		if (p->n_uint64_data != n)
			return false;
		copy_field(out, p->uint64_data, want);
		break;
	case IR_UINT32:
		/* uint32 values travel in uint64_data. */
		if (p->n_uint64_data != n)
			return false;
		for (size_t i = 0; i < n; i++) {
			uint32_t v = (uint32_t)p->uint64_data[i];
			memcpy(out + 4 * i, &v, 4);
		}
		break;
	case IR_INT32:
		if (p->n_int32_data != n)
			return false;
		copy_field(out, p->int32_data, want);
		break;
	case IR_INT4:
	case IR_UINT4:
	case IR_FLOAT4E2M1:
		/* Two 4-bit elements per int32_data entry, low nibble first. */
		if (p->n_int32_data != (n + 1) / 2)
			return false;
		for (size_t i = 0; i < want; i++)
			out[i] = (uint8_t)p->int32_data[i];
		break;
	default: {
		/* Every other type of 8 or 16 bits is one element per
		 * int32_data entry, holding its bit pattern. */
		if (p->n_int32_data != n || (bits != 8 && bits != 16))
			return false;
		for (size_t i = 0; i < n; i++) {
			uint32_t v = (uint32_t)p->int32_data[i];
			if (bits == 8) {
				out[i] = (uint8_t)v;
			} else {
				uint16_t h = (uint16_t)v;
				memcpy(out + 2 * i, &h, 2);
			}
		}
		break;
	}
	}
	*data = out;
	*size = want;
	return true;
}

bool ir_tensor_raw(ir_model *model, const ir_tensor *t, const void **data,
                   size_t *size)
{
	return tensor_bytes(model, t, true, data, size);
}

bool ir_tensor_bytes(ir_model *model, const ir_tensor *t, const void **data,
                     size_t *size)
{
	return tensor_bytes(model, t, false, data, size);
}

bool ir_tensor_string(const ir_tensor *t, int64_t index,
                      ProtobufCBinaryData *out)
{
	int64_t numel = ir_tensor_numel(t);
	if (t->elem_type != IR_STRING || index < 0 || index >= numel)
		return false;
	if (t->strings) {
		*out = t->strings[index];
		return true;
	}
	if (!t->origin || t->origin->n_string_data != (size_t)numel)
		return false;
	*out = t->origin->string_data[index];
	return true;
}

ir_tensor *ir_tensor_create(ir_model *model, int elem_type, int rank,
                            const int64_t *dims, const void *raw,
                            size_t raw_size)
{
	ir_tensor *t = ir_alloc(model, sizeof *t);
	t->elem_type = elem_type;
	t->rank = rank;
	t->dims = ir_memdup(model, dims, sizeof(int64_t) * (size_t)rank);
	t->raw = tensor_copy(model, t, raw, raw_size);
	t->raw_size = raw_size;
	t->modified = true;
	return t;
}

ir_tensor *ir_tensor_create_strings(ir_model *model, int rank,
                                    const int64_t *dims,
                                    const ProtobufCBinaryData *strings)
{
	ir_tensor *t = ir_alloc(model, sizeof *t);
	t->elem_type = IR_STRING;
	t->rank = rank;
	t->dims = ir_memdup(model, dims, sizeof(int64_t) * (size_t)rank);
	int64_t n = ir_tensor_numel(t);
	ProtobufCBinaryData *copy =
	    ir_alloc(model, sizeof *copy * (size_t)(n > 0 ? n : 1));
	for (int64_t i = 0; i < n; i++) {
		copy[i].len = strings[i].len;
		copy[i].data =
		    ir_memdup(model, strings[i].data, strings[i].len);
	}
	t->strings = copy;
	t->modified = true;
	return t;
}

/* Entries in the typed field that holds `elem_type`, or -1 for a type
 * with no typed field (undefined and unknown types); *want is how many
 * entries numel elements take there. */
static int64_t typed_entries(const Onnx__TensorProto *p, int elem_type,
                             int64_t numel, int64_t *want)
{
	switch (elem_type) {
	case IR_FLOAT: *want = numel; return (int64_t)p->n_float_data;
	case IR_COMPLEX64:
		*want = numel > INT64_MAX / 2 ? -1 : 2 * numel;
		return (int64_t)p->n_float_data;
	case IR_DOUBLE: *want = numel; return (int64_t)p->n_double_data;
	case IR_COMPLEX128:
		*want = numel > INT64_MAX / 2 ? -1 : 2 * numel;
		return (int64_t)p->n_double_data;
	case IR_INT64: *want = numel; return (int64_t)p->n_int64_data;
	case IR_UINT64:
	case IR_UINT32: *want = numel; return (int64_t)p->n_uint64_data;
	case IR_STRING: *want = numel; return (int64_t)p->n_string_data;
	case IR_INT4:
	case IR_UINT4:
	case IR_FLOAT4E2M1:
		*want = numel / 2 + numel % 2;
		return (int64_t)p->n_int32_data;
	default:
		if (ir_elem_bits(elem_type) == 0)
			return -1;
		*want = numel;
		return (int64_t)p->n_int32_data;
	}
}

bool ir_tensor_proto_check(const Onnx__TensorProto *p, char *problem,
                           size_t size)
{
	int64_t numel = 1;
	for (size_t i = 0; i < p->n_dims; i++) {
		int64_t d = p->dims[i];
		if (d < 0) {
			snprintf(problem, size, "has a negative dim (%lld)",
			         (long long)d);
			return false;
		}
		if (d && numel > INT64_MAX / d) {
			snprintf(problem, size,
			         "has more elements than fit in 64 bits");
			return false;
		}
		numel *= d;
	}
	int elem_type = p->has_data_type ? p->data_type : IR_UNDEFINED;
	int bits = ir_elem_bits(elem_type);
	if (bits && (uint64_t)numel > (UINT64_MAX - 7) / (uint64_t)bits) {
		snprintf(problem, size,
		         "claims more bytes than fit in 64 bits");
		return false;
	}
	/* External data is checked where it is read. */
	if (p->has_data_location &&
	    p->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
		return true;
	if (p->has_raw_data) {
		size_t want = bits ? packed_size(elem_type, numel) : 0;
		if (bits && p->raw_data.len != want) {
			snprintf(problem, size,
			         "holds %zu bytes of raw_data where its dims "
			         "need %zu",
			         p->raw_data.len, want);
			return false;
		}
		if (elem_type == IR_STRING) {
			snprintf(problem, size,
			         "is a string tensor with raw_data");
			return false;
		}
		return true;
	}
	int64_t want = 0;
	int64_t have = typed_entries(p, elem_type, numel, &want);
	if (have >= 0 && have != want) {
		snprintf(problem, size,
		         "holds %lld data entries where its dims need %lld",
		         (long long)have, (long long)want);
		return false;
	}
	return true;
}
