#!/usr/bin/env bash
# Conformance run of onnx-opt over Debian's libonnx-testdata, checked with
# ONNX Runtime (tests/oracle/oracle.mjs, graph optimizations disabled).
#
# usage: tests/conformance.sh ONNX_OPT_BINARY PIPELINE [PIPELINE...]
#
# Each PIPELINE is passed as `onnx-opt -p PIPELINE in.onnx out.onnx`; the
# special pipeline `default` runs `onnx-opt in.onnx out.onnx`. A PIPELINE may
# carry further options after a space: 'none --target-opset 23' runs
# `onnx-opt -p none --target-opset 23 in.onnx out.onnx`.
#
# Every case that ORT passes on the original model must still pass on the
# optimized model, and onnx-opt must succeed on every case. The last line is
#   conformance: N passed, M failed
# (summed over pipelines; N = must-pass cases that pass, M = regressions +
# optimizer errors); the exit status is non-zero iff M > 0.
#
# Environment:
#   ONNX_TESTDATA       test data root (default /usr/share/libonnx-testdata/data)
#   CONFORMANCE_CASES   only run cases whose "group/name" matches this ERE
#   CONFORMANCE_JOBS    parallel jobs (default 2)
#   OPT_TIMEOUT         seconds allowed per onnx-opt invocation (default 60)
#   ORACLE_TIMEOUT      seconds allowed per ORT case (default 120)
#   KEEP_TMP=1          keep the temporary directory (path is printed)
set -u

usage() { echo "usage: $0 ONNX_OPT_BINARY PIPELINE [PIPELINE...]" >&2; exit 2; }
[ $# -ge 2 ] || usage

OPT_BIN=$1; shift
case $OPT_BIN in /*) ;; *) OPT_BIN=$PWD/$OPT_BIN ;; esac
if [ ! -x "$OPT_BIN" ]; then echo "conformance: onnx-opt binary not executable: $OPT_BIN" >&2; exit 2; fi

HERE=$(cd "$(dirname "$0")" && pwd)
ORACLE_DIR=$HERE/oracle
ORACLE=$ORACLE_DIR/oracle.mjs
DATA=${ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}
JOBS=${CONFORMANCE_JOBS:-2}
OPT_TIMEOUT=${OPT_TIMEOUT:-60}
GROUPS_LIST="node pytorch-converted pytorch-operator simple"

command -v node >/dev/null 2>&1 || { echo "conformance: node is not installed" >&2; exit 2; }
if [ ! -d "$DATA/node" ]; then
  echo "conformance: test data not found at $DATA (apt-get install -y libonnx-testdata)" >&2
  exit 2
fi
if [ ! -d "$ORACLE_DIR/node_modules/onnxruntime-node" ]; then
  echo "conformance: installing onnxruntime-node into $ORACLE_DIR" >&2
  (cd "$ORACLE_DIR" && npm ci --no-audit --no-fund --onnxruntime-node-install=skip >&2) || {
    echo "conformance: npm ci failed in $ORACLE_DIR" >&2; exit 2; }
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/onnx-conformance.XXXXXX")
cleanup() {
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "conformance: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$(date +%s)

# ---- collect cases -------------------------------------------------------
: >"$TMP/cases"
for g in $GROUPS_LIST; do
  for d in "$DATA/$g"/*/; do
    d=${d%/}
    [ -f "$d/model.onnx" ] || continue
    key=$g/$(basename "$d")
    if [ -n "${CONFORMANCE_CASES:-}" ] && ! printf '%s\n' "$key" | grep -Eq -- "$CONFORMANCE_CASES"; then
      continue
    fi
    printf '%s\n' "$key" >>"$TMP/cases"
  done
done
ncases=$(wc -l <"$TMP/cases")
if [ "$ncases" -eq 0 ]; then echo "conformance: no cases found" >&2; exit 2; fi

# backend-batch output: CASE_DIR<TAB>STATUS<TAB>DETAIL -> key<TAB>STATUS<TAB>DETAIL
run_oracle() { # LIST OUT
  node "$ORACLE" backend-batch "$1" --jobs "$JOBS" >"$2.raw" 2>"$2.err"
  local rc=$?
  if [ $rc -ne 0 ]; then
    echo "conformance: oracle failed (exit $rc):" >&2; tail -5 "$2.err" >&2; exit 2
  fi
  awk -F'\t' -v OFS='\t' -v pre="$DATA/" '{ k=$1; if (index(k, pre) == 1) k = substr(k, length(pre) + 1); print k, $2, $3 }' \
    "$2.raw" | sort -t "$(printf '\t')" -k1,1 >"$2"
}

# ---- ORT on the original models ------------------------------------------
awk -v d="$DATA" '{ print d "/" $0 " " d "/" $0 "/model.onnx" }' "$TMP/cases" >"$TMP/orig.list"
run_oracle "$TMP/orig.list" "$TMP/orig.tsv"
if [ "$(wc -l <"$TMP/orig.tsv")" -ne "$ncases" ]; then
  echo "conformance: oracle returned $(wc -l <"$TMP/orig.tsv") results for $ncases cases" >&2; exit 2
fi
orig_pass=$(awk -F'\t' '$2 == "PASS"' "$TMP/orig.tsv" | wc -l)
echo "original: cases=$ncases ort_pass=$orig_pass ort_fail=$(awk -F'\t' '$2 == "FAIL"' "$TMP/orig.tsv" | wc -l) ort_unsupported=$(awk -F'\t' '$2 == "ORT_ERROR"' "$TMP/orig.tsv" | wc -l)"

# ---- one onnx-opt invocation (run through xargs -P) ----------------------
run_opt() { # KEY; uses OPT_BIN PIPE OUTDIR DATA OPT_TIMEOUT
  local key=$1 name out rc
  name=${key//\//__}
  out=$OUTDIR/$name.onnx
  if [ "$PIPE" = default ]; then
    timeout -k 5 "$OPT_TIMEOUT" "$OPT_BIN" "$DATA/$key/model.onnx" "$out" >"$OUTDIR/$name.log" 2>&1 </dev/null
  else
    # shellcheck disable=SC2086  # PIPE may carry options (see usage)
    timeout -k 5 "$OPT_TIMEOUT" "$OPT_BIN" -p $PIPE "$DATA/$key/model.onnx" "$out" >"$OUTDIR/$name.log" 2>&1 </dev/null
  fi
  rc=$?
  if [ $rc -eq 0 ] && [ ! -s "$out" ]; then rc=no-output; fi
  if [ "$rc" = 0 ]; then
    printf '%s\tOK\t\n' "$key"
  else
    [ "$rc" = 124 ] && rc="124(timeout)"
    printf '%s\tERR\texit=%s %s\n' "$key" "$rc" "$(head -c 300 "$OUTDIR/$name.log" | tr '\t\n\r' '   ')"
  fi
}
export -f run_opt
export OPT_BIN DATA OPT_TIMEOUT

total_pass=0
total_fail=0
pi=0
for PIPE in "$@"; do
  pi=$((pi + 1))
  OUTDIR=$TMP/p$pi
  mkdir -p "$OUTDIR"
  export PIPE OUTDIR
  # shellcheck disable=SC2016  # $1 is expanded by the inner bash
  xargs -P "$JOBS" -n 1 -d '\n' bash -c 'run_opt "$1"' _ <"$TMP/cases" \
    | sort -t "$(printf '\t')" -k1,1 >"$OUTDIR/opt.tsv"

  awk -F'\t' -v d="$DATA" -v o="$OUTDIR" '$2 == "OK" { n = $1; gsub("/", "__", n); print d "/" $1 " " o "/" n ".onnx" }' \
    "$OUTDIR/opt.tsv" >"$OUTDIR/ort.list"
  if [ -s "$OUTDIR/ort.list" ]; then
    run_oracle "$OUTDIR/ort.list" "$OUTDIR/ort.tsv"
  else
    : >"$OUTDIR/ort.tsv"
  fi

  # key, original status, optimizer status, optimized status, details
  report=$(awk -F'\t' -v pipe="$PIPE" -v OFS='\t' '
    FILENAME == ARGV[1] { orig[$1] = $2; next }
    FILENAME == ARGV[2] { opt[$1] = $2; optd[$1] = $3; next }
    { ort[$1] = $2; ortd[$1] = $3 }
    END {
      n = 0; op = 0; pass = 0; fail = 0; unsup = 0; oerr = 0; keep = 0; reg = 0; fixed = 0
      for (k in orig) {
        n++
        if (orig[k] == "PASS") op++
        if (opt[k] != "OK") {
          oerr++
          lines[++nl] = "OPTIMIZER_ERROR pipeline=" pipe " case=" k " " optd[k]
          continue
        }
        s = (k in ort) ? ort[k] : "MISSING"
        if (s == "PASS") pass++; else if (s == "FAIL") fail++; else unsup++
        if (orig[k] == "PASS") {
          if (s == "PASS") keep++
          else { reg++; lines[++nl] = "REGRESSION pipeline=" pipe " case=" k " optimized=" s " " ortd[k] }
        } else if (s == "PASS") fixed++
      }
      printf "pipeline=%s cases=%d ort_pass_original=%d pass=%d fail=%d ort_unsupported=%d optimizer_errors=%d regressions=%d newly_passing=%d\n", pipe, n, op, pass, fail, unsup, oerr, reg, fixed
      fflush()
      for (i = 1; i <= nl; i++) print "  " lines[i] | "sort"
      close("sort")
      printf "#COUNTS %d %d\n", keep, reg + oerr
    }' "$TMP/orig.tsv" "$OUTDIR/opt.tsv" "$OUTDIR/ort.tsv")
  printf '%s\n' "$report" | grep -v '^#COUNTS'
  read -r _ keep bad <<<"$(printf '%s\n' "$report" | grep '^#COUNTS')"
  total_pass=$((total_pass + keep))
  total_fail=$((total_fail + bad))
  rm -f "$OUTDIR"/*.onnx
done

echo "runtime: $(( $(date +%s) - start ))s for $# pipeline(s)"
echo "conformance: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
