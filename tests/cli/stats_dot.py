#!/usr/bin/python3
"""stats_dot.py - --stats-json, the --stats table and --dot, checked against
the models themselves.

    stats_dot.py ONNX_OPT FIXTURES_DIR

With onnx (Debian python3-onnx) the test counts nodes, initializers and
their bytes in the input and the saved output, and compares them with the
JSON; the --stats table must show the same numbers; the DOT of the input
and of the output, rendered by Graphviz's `dot -Tsvg`, must have one SVG
node per graph node, graph input and graph output. Output is TAP.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

opt, fixtures = sys.argv[1], sys.argv[2]
count = failed = 0


def check(ok, name, detail=""):
    global count, failed
    count += 1
    if ok:
        print(f"ok {count} - {name}")
    else:
        failed += 1
        print(f"not ok {count} - {name}")
        for line in str(detail).splitlines():
            print(f"# {line}")


def graphs(graph):
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from graphs(attr.g)
            for sub in attr.graphs:
                yield from graphs(sub)


def sizes(path):
    model = onnx.load(path)
    nodes = inits = data = 0
    ops = {}
    for g in graphs(model.graph):
        nodes += len(g.node)
        for node in g.node:
            domain = node.domain or "ai.onnx"
            ops.setdefault(domain, {})
            ops[domain][node.op_type] = ops[domain].get(node.op_type, 0) + 1
        for t in g.initializer:
            inits += 1
            data += numpy_helper.to_array(t).nbytes
    return model, {"nodes": nodes, "initializers": inits,
                   "initializer_bytes": data,
                   "file_bytes": os.path.getsize(path)}, ops


def interface_count(model):
    inits = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    return len(inputs) + len(model.graph.output)


work = tempfile.mkdtemp(prefix="onnxopt-stats-")
try:
    src = os.path.join(fixtures, "bert_opset17.onnx")
    out = os.path.join(work, "out.onnx")
    stats = os.path.join(work, "stats.json")
    after_dot = os.path.join(work, "after.dot")
    before_dot = os.path.join(work, "before.dot")
    run = subprocess.run(
        [opt, "--stats", "--stats-json", stats, "--check=2", "--dot",
         after_dot, "--dot-before", before_dot, src, out],
        capture_output=True, text=True)
    check(run.returncode == 0, "onnx-opt --stats-json --dot runs",
          run.stderr)
    report = json.load(open(stats))
    model_in, want_before, ops_before = sizes(src)
    model_out, want_after, ops_after = sizes(out)
    for key in want_before:
        check(report["before"][key] == want_before[key],
              f"before.{key} = {want_before[key]}",
              f"json says {report['before'][key]}")
        check(report["after"][key] == want_after[key],
              f"after.{key} = {want_after[key]}",
              f"json says {report['after'][key]}")
    check(report["before"]["ops"] == ops_before,
          "before.ops: every op of the input, per domain",
          f"{report['before']['ops']} != {ops_before}")
    check(report["after"]["ops"] == ops_after,
          "after.ops: every op of the output, per domain",
          f"{report['after']['ops']} != {ops_after}")
    check(want_after["nodes"] < want_before["nodes"],
          "the pipeline removed nodes")
    listed = subprocess.run([opt, "--list-passes"], capture_output=True,
                            text=True).stdout
    passes = report["passes"]
    check(passes and all(re.search(r"\b" + re.escape(p["pass"]) + r"\b",
                                   listed) for p in passes),
          "passes: each named pass exists")
    check(sum(p["changes"] for p in passes) > 0 and
          all(p["ms"] >= 0 and p["iteration"] >= 1 for p in passes),
          "passes: changes, iteration and time")
    check(all(report["ms"][k] > 0 for k in ("load", "passes", "save")),
          "load, passes and save times", report["ms"])
    c = report["check"]
    check(c and c["runs"] == 2 and c["passed"] and
          [o["name"] for o in c["outputs"]] ==
          [o.name for o in model_in.graph.output] and
          all(o["max_abs_diff"] <= 1e-3 for o in c["outputs"]),
          "check: 2 runs, every output, small differences", c)
    # The human table carries the same numbers.
    for row, key in (("nodes", "nodes"), ("initializers", "initializers"),
                     ("initializer bytes", "initializer_bytes"),
                     ("file bytes", "file_bytes")):
        m = re.search(r"^" + row + r"\s+(\d+)\s+(\d+)$", run.stderr, re.M)
        check(m and int(m.group(1)) == want_before[key] and
              int(m.group(2)) == want_after[key],
              f"--stats table row '{row}' matches", run.stderr[-600:])
    # '-' writes to standard output; both on stdout is a usage error.
    to_stdout = subprocess.run([opt, "--stats-json", "-", src, out],
                               capture_output=True, text=True)
    check(to_stdout.returncode == 0 and
          json.loads(to_stdout.stdout)["after"]["nodes"] ==
          want_after["nodes"], "--stats-json - writes JSON on stdout")
    both = subprocess.run([opt, "--stats-json", "-", src, "-"],
                          capture_output=True, text=True)
    check(both.returncode == 2 and "standard output" in both.stderr,
          "--stats-json - with OUT - is a usage error", both.stderr)
    # DOT rendered by Graphviz: one SVG node per graph node, input and
    # output (initializers are collapsed).
    dot = shutil.which("dot")
    for path, model, name in ((before_dot, model_in, "input"),
                              (after_dot, model_out, "output")):
        if not dot:
            check(False, f"DOT of the {name}: graphviz 'dot' not found")
            continue
        svg = subprocess.run([dot, "-Tsvg", path], capture_output=True,
                             text=True)
        drawn = len(re.findall(r'<g id="node\d+" class="node">', svg.stdout))
        want = len(model.graph.node) + interface_count(model)
        check(svg.returncode == 0 and drawn == want,
              f"dot -Tsvg of the {name} has {want} nodes",
              f"svg has {drawn}; {svg.stderr}")
    text = open(after_dot).read()
    check(re.search(r'label="float \[batch,sequence,32\]"', text) is not None,
          "DOT edges are labelled with known shapes")
    check("constant" in text, "DOT collapses initializers into their reader")
finally:
    shutil.rmtree(work)
print(f"1..{count}")
sys.exit(1 if failed else 0)
