#!/usr/bin/env node
// ort_time.mjs - ONNX Runtime's time for the work `onnx-opt --check` does:
// load each model and run it once, single-threaded.
//
//   node tests/bench/ort_time.mjs MODEL.onnx... 
//
// Every input gets ones (int) or 0.5 (float) in the shape its graph input
// declares (the models must have fixed dims). Prints one line:
// "ort_ms TOTAL run_ms RUNS" (total = session creation + one run, summed
// over the models; run = the runs alone). ORT uses its default graph
// optimizations, its fastest configuration.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../oracle/package.json'));
const ort = require('onnxruntime-node');

const typed = {
  float: (n) => new Float32Array(n).fill(0.5),
  int64: (n) => new BigInt64Array(n).fill(1n),
  int32: (n) => new Int32Array(n).fill(1),
};

let total = 0, runs = 0;
for (const file of process.argv.slice(2)) {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 4,
  });
  // Input metadata: onnxruntime-node 1.30 exposes dims through inputMetadata.
  const feeds = {};
  session.inputNames.forEach((name, i) => {
    const meta = session.inputMetadata[i];
    const dims = meta.shape.map((d) => (typeof d === 'number' ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[name] = new ort.Tensor(meta.type, typed[meta.type](n), dims);
  });
  const t1 = performance.now();
  await session.run(feeds);
  const t2 = performance.now();
  total += t2 - t0;
  runs += t2 - t1;
}
console.log(`ort_ms ${total.toFixed(1)} run_ms ${runs.toFixed(1)}`);
