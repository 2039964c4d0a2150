#!/usr/bin/env node
// paired_latency.mjs - ONNX Runtime latency of two versions of a model,
// measured side by side: runs alternate A, B, B, A, A, B, ... on the same
// inputs, so that machine noise hits both alike.
//
//   node tests/bench/paired_latency.mjs A.onnx B.onnx [--level disabled|all]
//        [--runs N] [--dim NAME=SIZE ...]
//   node tests/bench/paired_latency.mjs --save LEVEL IN.onnx OUT.onnx
//
// Prints "ms_a MEDIAN_A ms_b MEDIAN_B ratio R": the medians over --runs
// pairs (default 200, after 10 warm-up pairs), and R the median of the
// pairs' B/A ratios (robust to the machine slowing down mid-run). ORT runs single-threaded,
// at --level (default disabled). Inputs: dims from --dim, else 1 for a
// dim named like a batch and 8 otherwise; floats in [-1, 1); position_ids
// count up from past_sequence; other integer inputs are 1 (masks, ids).
// --save writes ORT's own optimized model at LEVEL (basic, extended, all).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../oracle/package.json'));
const ort = require('onnxruntime-node');

const args = process.argv.slice(2);
if (args[0] === '--save') {
  const [, level, input, output] = args;
  const s = await ort.InferenceSession.create(input, {
    graphOptimizationLevel: level, optimizedModelFilePath: path.resolve(output),
    logSeverityLevel: 4, intraOpNumThreads: 1, interOpNumThreads: 1,
  });
  await s.release();
  process.exit(0);
}

const files = [];
const dims = {};
let level = 'disabled';
let runs = 200;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--level') level = args[++i];
  else if (args[i] === '--runs') runs = Number(args[++i]);
  else if (args[i] === '--dim') {
    const [k, v] = args[++i].split('=');
    dims[k] = Number(v);
  } else files.push(args[i]);
}
if (files.length !== 2) {
  console.error('usage: paired_latency.mjs A.onnx B.onnx [--level L] [--runs N] [--dim NAME=SIZE]');
  process.exit(2);
}

const options = { graphOptimizationLevel: level, logSeverityLevel: 4,
  intraOpNumThreads: 1, interOpNumThreads: 1 };
const sessions = [];
for (const f of files) sessions.push(await ort.InferenceSession.create(f, options));

let seed = 1;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648 * 2 - 1;
};
const sizeOf = (d) => {
  if (typeof d === 'number' && d > 0) return d;
  if (typeof d === 'string' && d in dims) return dims[d];
  return typeof d === 'string' && /batch/i.test(d) ? 1 : 8;
};
const feeds = {};
sessions[0].inputNames.forEach((name, i) => {
  const meta = sessions[0].inputMetadata[i];
  const shape = meta.shape.map(sizeOf);
  const n = shape.reduce((a, b) => a * b, 1);
  let data;
  if (meta.type === 'float' || meta.type === 'float32') data = Float32Array.from({ length: n }, random);
  else if (meta.type === 'int64') {
    const past = dims.past_sequence ?? 8;
    const last = shape[shape.length - 1] || 1;
    data = BigInt64Array.from({ length: n }, (_, k) =>
      BigInt(name === 'position_ids' ? past + (k % last) : 1));
  } else if (meta.type === 'int32') data = new Int32Array(n).fill(1);
  else if (meta.type === 'bool') data = new Uint8Array(n).fill(1);
  else throw new Error(`input ${name}: type ${meta.type} not handled`);
  feeds[name] = new ort.Tensor(meta.type, data, shape);
});

const times = [[], []];
for (let i = 0; i < runs + 10; i++) {
  // Alternate which goes first, so that running second is no handicap.
  for (const k of i % 2 ? [1, 0] : [0, 1]) {
    const start = process.hrtime.bigint();
    await sessions[k].run(feeds);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (i >= 10) times[k].push(ms);
  }
}
const median = (t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
const ratios = times[1].map((t, i) => t / times[0][i]);
const a = median([...times[0]]);
const b = median([...times[1]]);
console.log(`ms_a ${a.toFixed(3)} ms_b ${b.toFixed(3)} ratio ${median(ratios).toFixed(3)}`);
for (const s of sessions) await s.release();
