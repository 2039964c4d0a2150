#!/usr/bin/env bash
# Conformance after opset conversion (--target-opset), under ONNX Runtime.
#
# usage: tests/convert_conformance.sh ONNX_OPT_BINARY
#
# 1. Upgrades: every backend node test (libonnx-testdata node/, all below
#    opset 23) converted with `-p none --target-opset 23`, and again with
#    17, must still produce the recorded outputs in ORT wherever ORT
#    passes the original (tests/conformance.sh does the comparing).
# 2. Downgrades, on a documented subset: each case of opsets 7 to 16 is
#    upgraded to 23 and converted back down to its own opset; the result
#    must pass wherever ORT passes the upgraded model.
#
# A case may fail only if tests/convert_exclusions.txt lists it, with the
# reason (no conversion exists, or ORT cannot run the converted model);
# a listed case that passes is reported too, so the list stays exact.
# Prints the counts; exits non-zero on an unlisted failure or a stale
# entry. ONNX_TESTDATA and CONFORMANCE_JOBS are passed through.
set -u

[ $# -eq 1 ] || { echo "usage: $0 ONNX_OPT_BINARY" >&2; exit 2; }
OPT_BIN=$1
case $OPT_BIN in /*) ;; *) OPT_BIN=$PWD/$OPT_BIN ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}
EXCLUSIONS=$HERE/convert_exclusions.txt

TMP=$(mktemp -d "${TMPDIR:-/tmp}/onnx-convert.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

# "<direction> <case>" of every failure in conformance.sh's report.
failures() { # PIPELINE-LABEL < report
  sed -n 's/^  \(OPTIMIZER_ERROR\|REGRESSION\) pipeline=.* case=\([^ ]*\) .*/\2/p' |
    sed "s|^|$1 |"
}

# ---- 1. upgrades -----------------------------------------------------------
for target in 23 17; do
  CONFORMANCE_CASES='^node/' "$HERE/conformance.sh" "$OPT_BIN" \
    "none --target-opset $target" >"$TMP/up$target.txt" 2>"$TMP/up$target.err"
  if ! grep -q '^pipeline=' "$TMP/up$target.txt"; then
    echo "convert-conformance: conformance.sh failed:" >&2
    tail -5 "$TMP/up$target.err" >&2
    exit 2
  fi
  sed -n "s/^pipeline=none --target-opset $target /up to opset $target: /p" "$TMP/up$target.txt"
  failures "up$target" <"$TMP/up$target.txt" >>"$TMP/failures"
done

# ---- 2. downgrades: up to 23, then back to the case's own opset ------------
opset_of() { # MODEL -> the default domain's opset, from the IR dump
  "$OPT_BIN" -p dce --print-after dce "$1" - 2>&1 >/dev/null |
    sed -n 's/^model .*ai\.onnx=\([0-9]*\).*/\1/p'
}
mkdir -p "$TMP/up/node"
for dir in "$DATA"/node/*/; do
  dir=${dir%/}
  name=$(basename "$dir")
  opset=$(opset_of "$dir/model.onnx")
  [ -n "$opset" ] && [ "$opset" -ge 7 ] && [ "$opset" -le 16 ] || continue
  mkdir -p "$TMP/up/node/$name"
  "$OPT_BIN" -p none --target-opset 23 "$dir/model.onnx" \
    "$TMP/up/node/$name/model.onnx" 2>/dev/null || { rmdir "$TMP/up/node/$name"; continue; }
  for set in "$dir"/test_data_set_*; do ln -s "$set" "$TMP/up/node/$name/"; done
  echo "$name" >>"$TMP/down.$opset"
done
down_pass=0
down_cases=0
for list in "$TMP"/down.*; do
  opset=${list##*.}
  pattern="^node/($(paste -sd '|' "$list"))\$"
  ONNX_TESTDATA=$TMP/up CONFORMANCE_CASES=$pattern "$HERE/conformance.sh" \
    "$OPT_BIN" "none --target-opset $opset" >"$TMP/down$opset.txt" 2>"$TMP/down$opset.err"
  line=$(grep '^pipeline=' "$TMP/down$opset.txt")
  if [ -z "$line" ]; then
    echo "convert-conformance: conformance.sh failed (down to $opset):" >&2
    tail -5 "$TMP/down$opset.err" >&2
    exit 2
  fi
  read -r kept _ <<<"$(sed -n 's/^conformance: \([0-9]*\) passed, \([0-9]*\) failed/\1 \2/p' "$TMP/down$opset.txt")"
  must=$(printf '%s\n' "$line" | sed -n 's/.* ort_pass_original=\([0-9]*\) .*/\1/p')
  down_pass=$((down_pass + kept))
  down_cases=$((down_cases + must))
  failures down <"$TMP/down$opset.txt" >>"$TMP/failures"
done
echo "down from 23 to the case's own opset (7-16): $down_pass of $down_cases cases that ORT passes at 23 still pass"

# ---- compare with the exclusions -------------------------------------------
touch "$TMP/failures"
sort -u "$TMP/failures" >"$TMP/failed"
grep -v '^#' "$EXCLUSIONS" | awk 'NF { print $1, $2 }' | sort -u >"$TMP/listed"
unlisted=$(comm -23 "$TMP/failed" "$TMP/listed")
stale=$(comm -13 "$TMP/failed" "$TMP/listed")
echo "convert-conformance: $(wc -l <"$TMP/failed") failures, all listed in tests/convert_exclusions.txt: $([ -z "$unlisted" ] && echo yes || echo no)"
status=0
if [ -n "$unlisted" ]; then
  echo "unlisted failures:"
  printf '%s\n' "$unlisted" | while read -r dir case; do
    label=${dir#up}
    file=$TMP/$dir.txt
    [ "$dir" = down ] && file=$(grep -l "case=$case " "$TMP"/down*.txt | head -1)
    grep -h "case=$case " "$file" | head -1 | cut -c1-300
  done
  status=1
fi
if [ -n "$stale" ]; then
  echo "listed but passing now (remove from tests/convert_exclusions.txt):"
  printf '  %s\n' "$stale"
  status=1
fi
exit $status
