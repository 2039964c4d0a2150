/*
 * ir_limits.h - every limit onnx-opt puts on the shape of a model, in one
 * place.
 *
 * Subgraphs (If/Loop/Scan bodies) and types (sequence, map and optional
 * types) are the only ways an ONNX model nests without end. Loading,
 * verifying, shape inference, folding, printing and saving all recurse
 * once per level of that nesting, and so does protobuf-c's unpack. Before
 * anything unpacks a model, ir_wire_check_nesting() walks its wire bytes
 * without recursion and refuses one whose nesting goes past
 * IR_MAX_NESTING, so every recursion after it is bounded by the limit.
 *
 * Stack: the deepest recursion is protobuf-c's unpack, about 1 KB per
 * message and 3 messages per level of If, so about 3 MiB at the limit;
 * ours (shape inference, folding, the verifier, print, save) take less,
 * because functions called from a recursion keep their large locals out
 * of its frames (IR_NOINLINE below, heap blocks). Measured with ulimit -s
 * on the default pipeline over 1,000 levels of If: the release build
 * runs in 4 MiB of stack (not in 2), the ASan build in 3 MiB; the default
 * main-thread stack is 8 MiB. A library user calling from a thread with a
 * smaller stack should allow 4 MiB. tests/cli/hostile.sh runs that model
 * in both builds.
 */
#ifndef ONNXOPT_IR_LIMITS_H
#define ONNXOPT_IR_LIMITS_H

/* Levels of GraphProto and TypeProto nesting, counting the main graph:
 * If inside If inside If ... 1,000 deep loads. */
#define IR_MAX_NESTING 1024

/* For a function called from one of those recursions whose large locals
 * (shape types, evaluator calls) must not sit in every level's frame. */
#if defined(__GNUC__)
#define IR_NOINLINE __attribute__((noinline))
#else
#define IR_NOINLINE
#endif

#endif
