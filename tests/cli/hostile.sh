#!/bin/bash
# hostile.sh - onnx-opt on hostile models: lies about tensor sizes,
# explosive folding, deep nesting. Nothing may crash, abort or run away
# with memory.
#
#     hostile.sh ONNX_OPT MAKE_HOSTILE_MODELS [SANITIZERS]
#
# The models are generated at test time by make_hostile_models (see its
# header for each one). Every case asserts its exact exit status (never a
# signal), a phrase of its message on stderr, that a failed run leaves no
# output file (nor OUT.tmp.*), and that peak RSS, measured by
# /usr/bin/time, stays under 256 MB. Under a sanitizer (SANITIZERS is
# meson's b_sanitize, e.g. "address,undefined") shadow memory and
# quarantine add to RSS, so the bound there is 768 MB.
#
# Explosive folding runs with the default limits (a fold memory limit of
# 256 MiB of new tensors, for these small models) and the same 256 MB
# bound: new tensors of 1 MiB or more are written once, into the
# file-backed store whose pages are dropped as the run goes, and the
# arithmetic kernels work in blocks, so resident memory is about the one
# fold being computed, not the sum of them. Output is TAP.

set -u
opt=$1
make_hostile_models=$2
sanitizers=${3:-none}
base_limit_kb=$((256 * 1000))
[ "$sanitizers" = none ] || [ -z "$sanitizers" ] ||
	base_limit_kb=$((768 * 1000))
limit_kb=$base_limit_kb
vm_limit_kb=
# OpenBLAS starts threads at load; one thread keeps it out of the way of
# the address-space limit below.
export OPENBLAS_NUM_THREADS=1

work=$(mktemp -d /tmp/onnxopt-hostile-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$make_hostile_models" "$work" ||
	{ echo "Bail out! make_hostile_models failed"; exit 1; }
[ -x /usr/bin/time ] ||
	{ echo "Bail out! /usr/bin/time is missing (tools/install-deps.sh --test)"; exit 1; }

n=0
failed=0

# run_case NAME STATUS PHRASE ARGS... -- runs onnx-opt ARGS MODEL OUT, where
# the last argument is the model; PHRASE must appear on stderr ("" for
# none).
run_case() {
	local name=$1 want=$2 phrase=$3
	shift 3
	local out=$work/out.onnx problems=() status rss
	rm -f "$out" "$out".tmp.*
	(
		[ -z "$vm_limit_kb" ] || ulimit -v "$vm_limit_kb"
		exec /usr/bin/time -f %M -o "$work/rss" "$opt" "$@" "$out"
	) >/dev/null 2>"$work/stderr"
	status=$?
	# time(1) reports a signal as "Command terminated by signal N" and
	# exits 128+N; the status line is the first of its file then.
	if grep -q 'terminated by signal' "$work/rss"; then
		problems+=("killed: $(head -1 "$work/rss")")
		rss=$(tail -1 "$work/rss")
	else
		rss=$(tail -1 "$work/rss")
	fi
	[ "$status" -eq "$want" ] || problems+=("exit status $status, want $want")
	if [ -n "$phrase" ]; then
		grep -qF -- "$phrase" "$work/stderr" ||
			problems+=("stderr lacks '$phrase'")
	fi
	if [ "$want" -ne 0 ]; then
		[ ! -e "$out" ] || problems+=("output file was created")
		[ "$(wc -l <"$work/stderr")" -eq 1 ] ||
			problems+=("$(wc -l <"$work/stderr") lines on stderr, want 1")
	else
		[ -s "$out" ] || problems+=("no output file")
	fi
	compgen -G "$out.tmp.*" >/dev/null && problems+=("left $out.tmp.* behind")
	[ "${rss:-0}" -lt "$limit_kb" ] 2>/dev/null ||
		problems+=("peak RSS ${rss} KB, want under $limit_kb KB")
	n=$((n + 1))
	if [ ${#problems[@]} -eq 0 ]; then
		echo "ok $n - $name: exit $status, peak RSS $rss KB"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name"
		for p in "${problems[@]}"; do echo "# $p"; done
		echo "# stderr: $(head -c 300 "$work/stderr")"
	fi
}

m=$work
limit="limit of 1024 levels"
for pipeline in default none; do
	args=()
	[ $pipeline = none ] && args=(-p none)
	run_case "deep TypeProto, 100,000 levels ($pipeline)" 2 "$limit" \
		"${args[@]}" "$m/deep_type.onnx"
	run_case "If nested 1,000 deep loads ($pipeline)" 0 "" \
		"${args[@]}" "$m/if_nested_1000.onnx"
	run_case "If nested 2,000 deep is refused ($pipeline)" 2 "$limit" \
		"${args[@]}" "$m/if_nested_2000.onnx"
	run_case "float dims wrap 64 bits ($pipeline)" 2 \
		"initializer 'w' claims more bytes than fit in 64 bits" \
		"${args[@]}" "$m/wrap_float.onnx"
	run_case "int64 dims wrap, feeding Expand ($pipeline)" 2 \
		"initializer 'shape' claims more bytes" \
		"${args[@]}" "$m/wrap_expand.onnx"
	run_case "int64 dims wrap, feeding Reshape ($pipeline)" 2 \
		"initializer 'shape' claims more bytes" \
		"${args[@]}" "$m/wrap_reshape.onnx"
	run_case "negative dim ($pipeline)" 2 \
		"initializer 'w' has a negative dim (-3)" \
		"${args[@]}" "$m/negative_dim.onnx"
	run_case "4 TiB claimed, no data ($pipeline)" 2 \
		"initializer 'w' holds 0 data entries where its dims need 1099511627776" \
		"${args[@]}" "$m/claim_4tib.onnx"
	run_case "1 GiB claimed, no data ($pipeline)" 2 \
		"initializer 'w' holds 0 data entries where its dims need 268435456" \
		"${args[@]}" "$m/claim_1gib.onnx"
	run_case "256M strings claimed, no data ($pipeline)" 2 \
		"initializer 'w' holds 0 data entries where its dims need 268435456" \
		"${args[@]}" "$m/claim_strings.onnx"
done

# Explosive folding: never an abort; the pipeline goes on past the limit.
note="folding stopped creating tensors at the fold memory limit"
small=(--fold-memory-limit 67108864)
run_case "Mul chain, x4 a step, no size limit, 64 MiB budget" 0 "$note" \
	--fold-size-limit -1 "${small[@]}" "$m/mul_chain.onnx"
run_case "Mul chain, x4 a step, default limits" 0 "" "$m/mul_chain.onnx"
run_case "Concat doubling chain, 64 MiB budget" 0 "$note" \
	"${small[@]}" "$m/concat_chain.onnx"
run_case "200 x 4 MB ConstantOfShape, 64 MiB budget" 0 "$note" \
	"${small[@]}" "$m/constant_of_shape.onnx"
run_case "Mul chain, no size limit, default budget" 0 "$note" \
	--fold-size-limit -1 "$m/mul_chain.onnx"
run_case "Concat doubling chain, default budget" 0 "$note" \
	"$m/concat_chain.onnx"
run_case "200 x 4 MB ConstantOfShape, default budget" 0 "$note" \
	"$m/constant_of_shape.onnx"
run_case "Unique over an empty [0, 2^24] constant" 0 "" \
	"$m/empty_unique.onnx"
run_case "negative --fold-memory-limit other than -1" 2 \
	"--fold-memory-limit must be a size in bytes or -1" \
	--fold-memory-limit -5 "$m/mul_chain.onnx"

# Out of memory is an error (exit 1), not an abort: folding without
# limits under a 240 MB address-space limit. ASan reserves terabytes of
# address space, so these run in plain builds only.
if [ "$sanitizers" = none ] || [ -z "$sanitizers" ]; then
	vm_limit_kb=240000
	run_case "Concat chain, no limits, 240 MB address space" 1 \
		"out of memory while running the passes" \
		--fold-memory-limit -1 "$m/concat_chain.onnx"
	run_case "Mul chain, no limits, 240 MB address space" 1 \
		"out of memory while running the passes" \
		--fold-memory-limit -1 --fold-size-limit -1 "$m/mul_chain.onnx"
	vm_limit_kb=
fi

# NUL bytes: in tensor strings, string attributes and doc strings (bytes
# in our schema) they survive -p none byte for byte and the default
# pipeline; in a name or any other string field (a C string once
# unpacked) they are refused, not cut short.
run_case "NUL bytes in strings, -p none" 0 "" -p none "$m/nul_strings.onnx"
n=$((n + 1))
if cmp -s "$m/nul_strings.onnx" "$work/out.onnx"; then
	echo "ok $n - NUL bytes in strings: -p none output is byte-identical"
else
	failed=$((failed + 1))
	echo "not ok $n - NUL bytes in strings: -p none output differs"
fi
run_case "NUL bytes in strings, default pipeline" 0 "" "$m/nul_strings.onnx"
n=$((n + 1))
# Both strings and the doc strings of the model, the graph and an output,
# NULs included, as they are on the wire.
if LC_ALL=C grep -qaP 'a\x00b' "$work/out.onnx" &&
	LC_ALL=C grep -qaP '\x00c\x00' "$work/out.onnx" &&
	LC_ALL=C grep -qaP 'model\x00doc' "$work/out.onnx" &&
	LC_ALL=C grep -qaP 'graph\x00doc' "$work/out.onnx" &&
	LC_ALL=C grep -qaP 'out\x00doc' "$work/out.onnx"; then
	echo "ok $n - NUL bytes in strings survive the default pipeline"
else
	failed=$((failed + 1))
	echo "not ok $n - NUL bytes in strings lost by the default pipeline"
fi
run_case "NUL byte in a node input name" 2 \
	"a NodeProto.input string holds a NUL byte" "$m/nul_name.onnx"
for field in ModelProto.producer_name:producer_name \
	ModelProto.producer_version:producer_version \
	ModelProto.domain:model_domain \
	StringStringEntryProto.key:metadata_key \
	StringStringEntryProto.value:metadata_value \
	NodeProto.domain:node_domain GraphProto.name:graph_name; do
	run_case "NUL byte in ${field%%:*}" 2 \
		"a ${field%%:*} string holds a NUL byte" -p none \
		"$m/nul_${field#*:}.onnx"
done

# Inputs that once broke onnx-opt, found by the fuzzers or by reading for
# the same bug classes (tests/fuzz/regressions): any clean exit will do,
# never a signal or a sanitizer report, and never a pass that leaves
# invalid IR (--verify checks after each pass, in release builds too).
# NAME.args, when present, holds the options that reach the bug (a
# pipeline, a target opset).
for model in "$(dirname "$0")"/../fuzz/regressions/*.onnx; do
	[ -f "$model" ] || continue
	options=
	[ -f "${model%.onnx}.args" ] && options=$(cat "${model%.onnx}.args")
	# shellcheck disable=SC2086 # the options are words
	"$opt" --verify $options "$model" "$work/out.onnx" >/dev/null \
		2>"$work/stderr"
	status=$?
	n=$((n + 1))
	if [ $status -le 2 ] && ! grep -q "IR invalid" "$work/stderr"; then
		echo "ok $n - fuzz regression $(basename "$model") $options: exit $status"
	else
		failed=$((failed + 1))
		echo "not ok $n - fuzz regression $(basename "$model") $options: exit $status"
		echo "# stderr: $(head -c 300 "$work/stderr")"
	fi
	rm -f "$work/out.onnx"
done

echo "1..$n"
[ $failed -eq 0 ]
