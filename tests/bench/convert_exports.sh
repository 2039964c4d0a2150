#!/bin/sh
# Bench: what --target-opset does to real exports. tests/bench/hf_models.py
# exports BERT, GPT-2-style, Llama-style (past key/values, rotary: rotate-half
# and interleaved, with tables or computed at run time) and ViT
# with torch 1.13 at opsets 11, 12 and 14; each goes through the default
# pipeline without conversion and with --target-opset 17, 20 and 23.
#
#   tests/bench/convert_exports.sh ONNX_OPT [--size small|base] [--runs N]
#
# For each model and opset it prints the node counts, the fused ops found
# at each target (LayerNormalization, Gelu, RMSNormalization,
# RotaryEmbedding, Attention), whether ORT's outputs equal the original's
# (tests/oracle compare), and the ORT latency of the --target-opset 23
# model against the unconverted one, ORT optimizations disabled and at
# 'all' (tests/bench/paired_latency.mjs: paired, interleaved runs; the
# ratio is converted/unconverted, below 1 is faster). A first line runs
# the unconverted model against itself: the noise floor. For the Llama
# model it also prints how many nodes ORT's own 'extended' level leaves.
# Needs python3-torch (Debian) and the oracle's node_modules.
set -u
[ $# -ge 1 ] || { echo "usage: $0 ONNX_OPT [--size small|base] [--runs N]" >&2; exit 2; }
opt=$1
shift
size=base
runs=200
while [ $# -gt 0 ]; do
	case $1 in
	--size) size=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
done
here=$(cd "$(dirname "$0")/.." && pwd)
oracle="$here/oracle/oracle.mjs"
paired="$here/bench/paired_latency.mjs"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/convert-exports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 "$here/bench/hf_models.py" all --opset 11 --opset 12 \
	--opset 14 --size "$size" --out "$tmp" >/dev/null || exit 1

# Inputs: sequence 8 after a past of 8 (decoders), masks all ones.
dims="--dim batch=1 --dim sequence=8 --dim past_sequence=8 --dim total_sequence=16"
compare_dims="--dim batch=2 --dim sequence=3 --dim past_sequence=3 --dim total_sequence=6 --int-range attention_mask=1:1"

count() { # STATS-OUTPUT OP -> count after
	awk -v op="$2" '$1 == op { print $3; found = 1 } END { if (!found) print 0 }' "$1"
}

printf '%-25s %5s | %5s %5s %5s %5s %5s | %-15s %-15s %-15s | %-5s | %s\n' \
	model opset orig none t17 t20 t23 "t17 LN/Ge/RMS" "t20 LN/Ge/RMS" \
	"t23 LN/Ge/RMS/Ro/At" equal "latency t23/none: disabled, all"
suffix=
[ "$size" = small ] && suffix=_small
first=1
for model in bert gpt2 llama llama_interleaved llama_runtime \
	llama_interleaved_runtime vit; do
	for opset in 11 12 14; do
		in="$tmp/${model}_opset$opset$suffix.onnx"
		"$opt" --stats "$in" "$tmp/none.onnx" 2>"$tmp/none.txt" || { echo "$model $opset: onnx-opt failed"; continue; }
		equal=MATCH
		for t in 17 20 23; do
			"$opt" --target-opset $t --stats "$in" "$tmp/t$t.onnx" 2>"$tmp/t$t.txt" ||
				{ echo "$model $opset: --target-opset $t failed: $(tail -1 "$tmp/t$t.txt")"; continue 2; }
			# shellcheck disable=SC2086
			r=$(node "$oracle" compare "$in" "$tmp/t$t.onnx" --rtol 1e-3 --atol 1e-4 $compare_dims | head -1)
			[ "$r" = MATCH ] || equal="t$t: $r"
		done
		if [ $first = 1 ]; then
			# shellcheck disable=SC2086
			echo "noise floor (unconverted vs itself): $(node "$paired" "$tmp/none.onnx" "$tmp/none.onnx" --runs "$runs" $dims)"
			first=0
		fi
		# shellcheck disable=SC2086
		lat_off=$(node "$paired" "$tmp/none.onnx" "$tmp/t23.onnx" --runs "$runs" --level disabled $dims | awk '{print $6}')
		# shellcheck disable=SC2086
		lat_all=$(node "$paired" "$tmp/none.onnx" "$tmp/t23.onnx" --runs "$runs" --level all $dims | awk '{print $6}')
		f() { echo "$(count "$1" LayerNormalization)/$(count "$1" Gelu)/$(count "$1" RMSNormalization)"; }
		printf '%-25s %5s | %5s %5s %5s %5s %5s | %-15s %-15s %-15s | %-5s | %s, %s\n' \
			"$model" "$opset" "$(awk '$1 == "total" { print $2 }' "$tmp/none.txt")" \
			"$(count "$tmp/none.txt" total)" "$(count "$tmp/t17.txt" total)" \
			"$(count "$tmp/t20.txt" total)" "$(count "$tmp/t23.txt" total)" \
			"$(f "$tmp/t17.txt")" "$(f "$tmp/t20.txt")" \
			"$(f "$tmp/t23.txt")/$(count "$tmp/t23.txt" RotaryEmbedding)/$(count "$tmp/t23.txt" Attention)" \
			"$equal" "$lat_off" "$lat_all"
		if [ "$model" = llama ]; then
			node "$paired" --save extended "$in" "$tmp/ort_extended.onnx"
			"$opt" -p none --stats "$tmp/ort_extended.onnx" "$tmp/x.onnx" 2>"$tmp/ext.txt"
			echo "       llama opset $opset: ORT 'extended' leaves $(count "$tmp/ext.txt" total) nodes; --target-opset 23 leaves $(count "$tmp/t23.txt" total)"
		fi
	done
done
