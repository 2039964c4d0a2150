#!/usr/bin/env node
// ONNX Runtime at its own optimization levels, for the bench scripts (the
// oracle, tests/oracle/oracle.mjs, always runs ORT with optimizations
// disabled so that ORT cannot hide our mistakes; here we measure what
// users get).
//
//   node ort_paired.mjs optimize IN.onnx OUT.onnx [--level all]
//       Save ORT's own optimized graph (optimizedModelFilePath).
//   node ort_paired.mjs paired A.onnx B.onnx [--level all] [--pairs 30]
//        [--runs 10] [--dim NAME=N ...] [--int-range INPUT=LO:HI ...]
//       Paired, interleaved latency: each pair times --runs runs of A and
//       of B back to back (alternating which goes first), on the same
//       inputs, one thread each. Prints
//         PAIRED speed=<median of A/B> ratio=<median of B/A> a_ms=<median>
//                b_ms=<median> pairs=N
//       (speed > 1: B is faster).
//
// Inputs: floats uniform in [-1, 1), integers 0..1 unless --int-range,
// bools false; a symbolic dim comes from --dim (default 1).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'oracle', 'oracle.mjs'));
const ort = require('onnxruntime-node');

function parse(args) {
  const o = { level: 'all', pairs: 30, runs: 10, dims: {}, ranges: {}, files: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = () => args[++i];
    if (a === '--level') o.level = next();
    else if (a === '--pairs') o.pairs = Number(next());
    else if (a === '--runs') o.runs = Number(next());
    else if (a === '--dim') { const [k, v] = next().split('='); o.dims[k] = Number(v); }
    else if (a === '--int-range') {
      const m = /^(.*)=(-?\d+):(-?\d+)$/.exec(next());
      if (!m) throw new Error('--int-range expects INPUT=LO:HI');
      o.ranges[m[1]] = [Number(m[2]), Number(m[3])];
    } else o.files.push(a);
  }
  return o;
}

function session(file, level, extra = {}) {
  return ort.InferenceSession.create(file, {
    graphOptimizationLevel: level, logSeverityLevel: 4,
    intraOpNumThreads: Number(process.env.ORT_THREADS || 1), interOpNumThreads: 1, ...extra,
  });
}

// A small deterministic generator (xorshift32).
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

function feedsFor(meta, o) {
  const rand = rng(7);
  const feeds = {};
  for (const m of meta) {
    const dims = m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : (o.dims[d] ?? 1)));
    const n = dims.reduce((a, b) => a * b, 1);
    let data;
    if (m.type === 'float32') data = Float32Array.from({ length: n }, () => rand() * 2 - 1);
    else if (m.type === 'int64' || m.type === 'int32') {
      const [lo, hi] = o.ranges[m.name] ?? [0, 1];
      const v = Array.from({ length: n }, () => lo + Math.floor(rand() * (hi - lo + 1)));
      data = m.type === 'int64' ? BigInt64Array.from(v.map(BigInt)) : Int32Array.from(v);
    } else if (m.type === 'bool') data = new Uint8Array(n);
    else throw new Error(`input ${m.name}: type ${m.type} not generated`);
    feeds[m.name] = new ort.Tensor(m.type, data, dims);
  }
  return feeds;
}

async function timeRuns(s, feeds, runs) {
  // One untimed run first: the first run after the other session ran is
  // slower (caches), and would favour whichever model goes second.
  await s.run(feeds);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await s.run(feeds);
  return Number(process.hrtime.bigint() - t0) / 1e6 / runs;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function paired(o) {
  const [fa, fb] = o.files;
  const a = await session(fa, o.level);
  const b = await session(fb, o.level);
  const feedsA = feedsFor(a.inputMetadata, o);
  const feedsB = {};
  for (const m of b.inputMetadata) feedsB[m.name] = feedsA[m.name];
  await timeRuns(a, feedsA, 3);
  await timeRuns(b, feedsB, 3);
  const ta = [], tb = [], ratios = [], speeds = [];
  for (let p = 0; p < o.pairs; p++) {
    let x, y;
    if (p % 2 === 0) { x = await timeRuns(a, feedsA, o.runs); y = await timeRuns(b, feedsB, o.runs); }
    else { y = await timeRuns(b, feedsB, o.runs); x = await timeRuns(a, feedsA, o.runs); }
    ta.push(x); tb.push(y); ratios.push(y / x); speeds.push(x / y);
  }
  console.log(`PAIRED speed=${median(speeds).toFixed(4)} ratio=${median(ratios).toFixed(4)} a_ms=${median(ta).toFixed(4)} b_ms=${median(tb).toFixed(4)} pairs=${o.pairs}`);
}

async function main(argv) {
  const [cmd, ...rest] = argv;
  const o = parse(rest);
  if (cmd === 'optimize' && o.files.length === 2) {
    const s = await session(o.files[0], o.level, { optimizedModelFilePath: path.resolve(o.files[1]) });
    await s.release();
    console.log('OK');
  } else if (cmd === 'paired' && o.files.length === 2) {
    await paired(o);
  } else {
    console.error('usage: ort_paired.mjs optimize IN OUT [--level L] | paired A B [--level L] [--pairs N] [--runs N] [--dim NAME=N] [--int-range IN=LO:HI]');
    return 2;
  }
  return 0;
}

main(process.argv.slice(2)).then((c) => { process.exitCode = c; },
  (e) => { console.log(`ERROR ${String(e.message).split('\n')[0]}`); process.exitCode = 2; });
