#!/usr/bin/env node
// Numerical oracle for onnx-opt, built on ONNX Runtime (onnxruntime-node).
//
// Subcommands (see README.md in this directory):
//   compare ORIG.onnx OPT.onnx [--rtol R] [--atol A] [--dim NAME=N ...] [--seed N]
//           [--int-range INPUT=LO:HI ...] [--inputs DIR]
//   backend CASE_DIR [MODEL.onnx]
//   backend-batch LISTFILE [--jobs N] [--timeout SEC]
//   ort-basic IN.onnx OUT.onnx
//   selftest
//
// ORT always runs with graph optimizations disabled, except in `ort-basic`,
// so that ORT cannot hide mistakes of the optimizer under test.
//
// Only node builtins and onnxruntime-node are used. The protobuf wire format
// is decoded (and, for the selftest, encoded) by the small codec below.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fork, spawnSync } from 'node:child_process';

const require = createRequire(import.meta.url);
const THIS_FILE = fileURLToPath(import.meta.url);

let ortModule = null;
function getOrt() {
  if (!ortModule) ortModule = require('onnxruntime-node');
  return ortModule;
}

// ---------------------------------------------------------------------------
// Protobuf wire reader
// ---------------------------------------------------------------------------

class OracleError extends Error {}

// Reads a varint at buf[pos]; returns [value(BigInt, unsigned 64-bit), newPos].
function readVarintBig(buf, pos) {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new OracleError('truncated varint');
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7n;
    if (shift > 63n) throw new OracleError('varint too long');
  }
  return [result, pos];
}

// Fast varint reader for tags and lengths (values < 2^53).
function readVarintNum(buf, pos) {
  let result = 0;
  let mul = 1;
  for (;;) {
    if (pos >= buf.length) throw new OracleError('truncated varint');
    const b = buf[pos++];
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) break;
    mul *= 128;
    if (mul > 2 ** 63) throw new OracleError('varint too long');
  }
  return [result, pos];
}

// Iterates over the fields of the message stored in buf[start, end).
// Each field: {fno, wt, v (BigInt, for wt 0), start, end (payload range)}.
function* fields(buf, start = 0, end = buf.length) {
  let p = start;
  while (p < end) {
    let tag;
    [tag, p] = readVarintNum(buf, p);
    const fno = Math.floor(tag / 8);
    const wt = tag % 8;
    if (wt === 0) {
      const s = p;
      let v;
      [v, p] = readVarintBig(buf, p);
      yield { fno, wt, v, start: s, end: p };
    } else if (wt === 1) {
      if (p + 8 > end) throw new OracleError('truncated fixed64');
      yield { fno, wt, start: p, end: p + 8 };
      p += 8;
    } else if (wt === 2) {
      let len;
      [len, p] = readVarintNum(buf, p);
      if (p + len > end) throw new OracleError('truncated length-delimited field');
      yield { fno, wt, start: p, end: p + len };
      p += len;
    } else if (wt === 5) {
      if (p + 4 > end) throw new OracleError('truncated fixed32');
      yield { fno, wt, start: p, end: p + 4 };
      p += 4;
    } else {
      throw new OracleError(`unsupported wire type ${wt}`);
    }
  }
  if (p !== end) throw new OracleError('message overruns its bounds');
}

const utf8 = new TextDecoder('utf-8');
function fieldString(buf, f) {
  return utf8.decode(buf.subarray(f.start, f.end));
}

// Collects the varint values of a repeated (packed or unpacked) integer field.
function pushVarints(out, buf, f) {
  if (f.wt === 0) {
    out.push(f.v);
  } else if (f.wt === 2) {
    let p = f.start;
    while (p < f.end) {
      let v;
      [v, p] = readVarintBig(buf, p);
      out.push(v);
    }
  } else {
    throw new OracleError(`bad wire type ${f.wt} for varint field ${f.fno}`);
  }
}

// Collects fixed-width values (size 4 or 8) of a repeated field as byte slices.
function pushFixed(out, buf, f, size, reader) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (f.wt === 2) {
    if ((f.end - f.start) % size !== 0) throw new OracleError('packed fixed field has bad length');
    for (let p = f.start; p < f.end; p += size) out.push(reader(dv, p));
  } else if ((size === 4 && f.wt === 5) || (size === 8 && f.wt === 1)) {
    out.push(reader(dv, f.start));
  } else {
    throw new OracleError(`bad wire type ${f.wt} for fixed field ${f.fno}`);
  }
}

const toInt64 = (v) => BigInt.asIntN(64, v);
const toInt32 = (v) => Number(BigInt.asIntN(32, v));

// ---------------------------------------------------------------------------
// ONNX data types
// ---------------------------------------------------------------------------

const DT = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8,
  BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14,
  COMPLEX128: 15, BFLOAT16: 16,
};
const DT_NAME = {
  1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64',
  8: 'string', 9: 'bool', 10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64',
  14: 'complex64', 15: 'complex128', 16: 'bfloat16', 17: 'float8e4m3fn',
  18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4',
  23: 'float4e2m1',
};
// ONNX elem type -> onnxruntime-node tensor type (only those the node binding accepts).
const ORT_TYPE = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64',
  8: 'string', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
};
const TYPED = {
  float32: Float32Array, float64: Float64Array, uint8: Uint8Array, int8: Int8Array,
  uint16: Uint16Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  uint32: Uint32Array, uint64: BigUint64Array, bool: Uint8Array, float16: Uint16Array,
};
const FLOAT_TYPES = new Set(['float32', 'float64', 'float16']);

function dtName(t) {
  return DT_NAME[t] || `type${t}`;
}

// float16 / bfloat16 bit patterns <-> numbers.
function f16ToNumber(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);
function numberToF16(v) {
  f32Scratch[0] = v;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp8 = (x >>> 23) & 0xff;
  let m = x & 0x7fffff;
  if (exp8 === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  const e = exp8 - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    m |= 0x800000;
    const shift = 14 - e;
    let r = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (r & 1))) r++;
    return sign | r;
  }
  let r = (e << 10) | (m >>> 13);
  const rem = m & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1))) r++;
  return sign | r;
}

// ---------------------------------------------------------------------------
// TensorProto decoding
// ---------------------------------------------------------------------------

function sliceTyped(Ctor, buf, start, end) {
  const bytes = end - start;
  if (bytes % Ctor.BYTES_PER_ELEMENT !== 0) throw new OracleError('raw_data length is not a multiple of the element size');
  // slice() copies, which also guarantees alignment.
  return new Ctor(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + end));
}

// Decodes a TensorProto into {name, dataType, dims, type (ORT type or null), data}.
// For types ORT-node cannot represent, data is null and `unsupported` explains why.
function decodeTensor(buf, start = 0, end = buf.length) {
  const dims = [];
  let dataType = 0;
  let name = '';
  let raw = null;
  let external = false;
  const floatData = [];
  const doubleData = [];
  const int32Data = [];
  const int64Data = [];
  const uint64Data = [];
  const stringData = [];
  let segment = false;
  for (const f of fields(buf, start, end)) {
    switch (f.fno) {
      case 1: { const tmp = []; pushVarints(tmp, buf, f); for (const d of tmp) dims.push(Number(toInt64(d))); break; }
      case 2: dataType = Number(f.v); break;
      case 3: segment = true; break;
      case 4: pushFixed(floatData, buf, f, 4, (dv, p) => dv.getFloat32(p, true)); break;
      case 5: pushVarints(int32Data, buf, f); break;
      case 6: stringData.push(buf.subarray(f.start, f.end)); break;
      case 7: pushVarints(int64Data, buf, f); break;
      case 8: name = fieldString(buf, f); break;
      case 9: raw = [f.start, f.end]; break;
      case 10: pushFixed(doubleData, buf, f, 8, (dv, p) => dv.getFloat64(p, true)); break;
      case 11: pushVarints(uint64Data, buf, f); break;
      case 13: external = true; break; // external_data entries
      case 14: if (Number(f.v) === 1) external = true; break;
      default: break;
    }
  }
  const out = { name, dataType, dims, type: ORT_TYPE[dataType] || null, data: null, unsupported: null };
  if (!out.type) {
    out.unsupported = `tensor '${name}' has data type ${dtName(dataType)} which onnxruntime-node cannot represent`;
    return out;
  }
  if (external) { out.unsupported = `tensor '${name}' uses external data`; return out; }
  if (segment) { out.unsupported = `tensor '${name}' is segmented`; return out; }
  const count = dims.reduce((a, b) => a * b, 1);
  const t = out.type;
  if (t === 'string') {
    out.data = stringData.map((b) => utf8.decode(b));
  } else if (raw) {
    out.data = sliceTyped(TYPED[t], buf, raw[0], raw[1]);
  } else {
    const Ctor = TYPED[t];
    switch (dataType) {
      case DT.FLOAT: out.data = Float32Array.from(floatData); break;
      case DT.DOUBLE: out.data = Float64Array.from(doubleData); break;
      case DT.INT64: out.data = BigInt64Array.from(int64Data.map(toInt64)); break;
      case DT.UINT32: out.data = Uint32Array.from(uint64Data.map((v) => Number(BigInt.asUintN(32, v)))); break;
      case DT.UINT64: out.data = BigUint64Array.from(uint64Data.map((v) => BigInt.asUintN(64, v))); break;
      default: // int32_data holds int32/int16/int8/uint16/uint8/bool/float16 (bit patterns)
        out.data = Ctor.from(int32Data.map(toInt32));
        break;
    }
  }
  if (out.data.length !== count) {
    throw new OracleError(`tensor '${name}': ${out.data.length} elements for dims [${dims}]`);
  }
  return out;
}

// ---------------------------------------------------------------------------
// ModelProto decoding (just what the oracle needs: graph inputs/outputs)
// ---------------------------------------------------------------------------

function decodeDim(buf, f) {
  const d = {};
  for (const g of fields(buf, f.start, f.end)) {
    if (g.fno === 1 && g.wt === 0) d.value = Number(toInt64(g.v));
    else if (g.fno === 2 && g.wt === 2) d.param = fieldString(buf, g);
  }
  return d;
}

function decodeType(buf, start, end) {
  for (const f of fields(buf, start, end)) {
    if (f.wt !== 2) continue;
    if (f.fno === 1) {
      const t = { kind: 'tensor', elemType: 0, shape: null };
      for (const g of fields(buf, f.start, f.end)) {
        if (g.fno === 1 && g.wt === 0) t.elemType = Number(g.v);
        else if (g.fno === 2 && g.wt === 2) {
          t.shape = [];
          for (const h of fields(buf, g.start, g.end)) if (h.fno === 1 && h.wt === 2) t.shape.push(decodeDim(buf, h));
        }
      }
      return t;
    }
    if (f.fno === 4) return { kind: 'sequence' };
    if (f.fno === 5) return { kind: 'map' };
    if (f.fno === 8) return { kind: 'sparse_tensor' };
    if (f.fno === 9) return { kind: 'optional' };
  }
  return { kind: 'unknown' };
}

function decodeValueInfo(buf, f) {
  const vi = { name: '', type: { kind: 'unknown' } };
  for (const g of fields(buf, f.start, f.end)) {
    if (g.fno === 1 && g.wt === 2) vi.name = fieldString(buf, g);
    else if (g.fno === 2 && g.wt === 2) vi.type = decodeType(buf, g.start, g.end);
  }
  return vi;
}

function tensorNameOnly(buf, start, end) {
  for (const g of fields(buf, start, end)) if (g.fno === 8 && g.wt === 2) return fieldString(buf, g);
  return '';
}

// Returns {inputs: [ValueInfo] (non-initializer graph inputs), allInputs, outputs, initializers:Set}.
function decodeModel(buf) {
  let graph = null;
  for (const f of fields(buf)) if (f.fno === 7 && f.wt === 2) graph = f;
  if (!graph) throw new OracleError('model has no graph');
  const allInputs = [];
  const outputs = [];
  const initializers = new Set();
  for (const f of fields(buf, graph.start, graph.end)) {
    if (f.wt !== 2) continue;
    if (f.fno === 11) allInputs.push(decodeValueInfo(buf, f));
    else if (f.fno === 12) outputs.push(decodeValueInfo(buf, f));
    else if (f.fno === 5) initializers.add(tensorNameOnly(buf, f.start, f.end));
    else if (f.fno === 15) { // SparseTensorProto: values (1) carries the name
      for (const g of fields(buf, f.start, f.end)) if (g.fno === 1 && g.wt === 2) initializers.add(tensorNameOnly(buf, g.start, g.end));
    }
  }
  const inputs = allInputs.filter((vi) => !initializers.has(vi.name));
  return { inputs, allInputs, outputs, initializers };
}

function loadModelInfo(file) {
  return decodeModel(fs.readFileSync(file));
}

// ---------------------------------------------------------------------------
// Protobuf writer (used to build models and .pb files for the selftest)
// ---------------------------------------------------------------------------

function encVarint(v) {
  let x = BigInt.asUintN(64, BigInt(v));
  const out = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x !== 0n) b |= 0x80;
    out.push(b);
  } while (x !== 0n);
  return Buffer.from(out);
}
const pbVarint = (fno, v) => Buffer.concat([encVarint(fno * 8), encVarint(v)]);
const pbBytes = (fno, bytes) => {
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  return Buffer.concat([encVarint(fno * 8 + 2), encVarint(b.length), b]);
};
const pbMsg = (fno, parts) => pbBytes(fno, Buffer.concat(parts));

function encTensor(name, dataType, dims, typedArray) {
  return Buffer.concat([
    ...dims.map((d) => pbVarint(1, d)),
    pbVarint(2, dataType),
    pbBytes(8, name),
    pbBytes(9, Buffer.from(typedArray.buffer, typedArray.byteOffset, typedArray.byteLength)),
  ]);
}
function encValueInfo(name, elemType, dims) {
  const dimMsgs = dims.map((d) => pbMsg(1, [typeof d === 'string' ? pbBytes(2, d) : pbVarint(1, d)]));
  const tensorType = pbMsg(1, [pbVarint(1, elemType), pbMsg(2, dimMsgs)]);
  return Buffer.concat([pbBytes(1, name), pbMsg(2, [tensorType])]);
}
function encNode(opType, inputs, outputs) {
  return Buffer.concat([...inputs.map((i) => pbBytes(1, i)), ...outputs.map((o) => pbBytes(2, o)), pbBytes(4, opType)]);
}
function encModel({ nodes, initializers, inputs, outputs, opset = 13 }) {
  const graph = Buffer.concat([
    ...nodes.map((n) => pbBytes(1, n)),
    pbBytes(2, 'oracle_selftest'),
    ...initializers.map((t) => pbBytes(5, t)),
    ...inputs.map((v) => pbBytes(11, v)),
    ...outputs.map((v) => pbBytes(12, v)),
  ]);
  return Buffer.concat([
    pbVarint(1, 8), // ir_version
    pbBytes(2, 'onnx-opt-oracle'),
    pbBytes(7, graph),
    pbMsg(8, [pbBytes(1, ''), pbVarint(2, opset)]),
  ]);
}

// ---------------------------------------------------------------------------
// Input generation and comparison
// ---------------------------------------------------------------------------

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeTensor(type, data, dims) {
  const ort = getOrt();
  return new ort.Tensor(type, data, dims);
}

function resolveDims(vi, opts) {
  const shape = vi.type.shape;
  if (!shape) return []; // rank unknown: feed a scalar
  return shape.map((d) => {
    if (d.value !== undefined && d.value >= 0) return d.value;
    if (d.param) {
      if (opts.dims.has(d.param)) return opts.dims.get(d.param);
      return /batch/i.test(d.param) ? 2 : 3;
    }
    return 2;
  });
}

// Numeric strings, so that string inputs also survive Cast(STRING -> number).
const STRING_POOL = ['0', '1', '-2', '0.5', '3.25', '-1.75', '10', '42', '7', '-0.125'];

function generateInput(vi, rng, opts) {
  if (vi.type.kind !== 'tensor') throw new OracleError(`input '${vi.name}' is a ${vi.type.kind}, not a tensor (unsupported by oracle)`);
  const et = vi.type.elemType;
  const type = ORT_TYPE[et];
  if (!type) throw new OracleError(`input '${vi.name}' has element type ${dtName(et)} which onnxruntime-node cannot feed`);
  const dims = resolveDims(vi, opts);
  const n = dims.reduce((a, b) => a * b, 1);
  let [lo, hi] = opts.intRanges.has(vi.name) ? opts.intRanges.get(vi.name)
    : /mask/i.test(vi.name) ? [0, 2]
      : /token_type|segment/i.test(vi.name) ? [0, 1] // BERT-style type vocabularies have 2 entries
        : [0, 4];
  if (type.startsWith('uint')) lo = Math.max(lo, 0);
  const randInt = () => lo + Math.floor(rng() * (hi - lo + 1));
  let data;
  switch (type) {
    case 'float32': data = new Float32Array(n); for (let i = 0; i < n; i++) data[i] = rng() * 2 - 1; break;
    case 'float64': data = new Float64Array(n); for (let i = 0; i < n; i++) data[i] = rng() * 2 - 1; break;
    case 'float16': data = new Uint16Array(n); for (let i = 0; i < n; i++) data[i] = numberToF16(rng() * 2 - 1); break;
    case 'bool': data = new Uint8Array(n); for (let i = 0; i < n; i++) data[i] = rng() < 0.5 ? 1 : 0; break;
    case 'string': data = []; for (let i = 0; i < n; i++) data.push(STRING_POOL[Math.floor(rng() * STRING_POOL.length)]); break;
    case 'int64': data = new BigInt64Array(n); for (let i = 0; i < n; i++) data[i] = BigInt(randInt()); break;
    case 'uint64': data = new BigUint64Array(n); for (let i = 0; i < n; i++) data[i] = BigInt(randInt()); break;
    default: data = new TYPED[type](n); for (let i = 0; i < n; i++) data[i] = randInt(); break;
  }
  return makeTensor(type, data, dims);
}

function fmtVal(v) {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' && Object.is(v, -0)) return '-0';
  return String(v);
}

// Compares tensor-like {type, dims, data}; returns null when equal, else
// {index, got, want} (index -1 for type/shape differences).
function compareTensors(got, want, rtol, atol) {
  if (got.type !== want.type) return { index: -1, got: `type:${got.type}`, want: `type:${want.type}` };
  const gd = Array.from(got.dims, Number);
  const wd = Array.from(want.dims, Number);
  if (gd.length !== wd.length || gd.some((d, i) => d !== wd[i])) {
    return { index: -1, got: `shape:[${gd}]`, want: `shape:[${wd}]` };
  }
  const a = got.data;
  const b = want.data;
  if (a.length !== b.length) return { index: -1, got: `count:${a.length}`, want: `count:${b.length}` };
  if (FLOAT_TYPES.has(got.type)) {
    const half = got.type === 'float16';
    // float16 keeps ~3 decimal digits; never demand more than that.
    const rt = half ? Math.max(rtol, 1e-3) : rtol;
    const at = half ? Math.max(atol, 1e-3) : atol;
    for (let i = 0; i < a.length; i++) {
      const x = half ? f16ToNumber(a[i]) : a[i];
      const y = half ? f16ToNumber(b[i]) : b[i];
      if (x === y) continue;
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      if (!(Math.abs(x - y) <= at + rt * Math.abs(y))) return { index: i, got: fmtVal(x), want: fmtVal(y) };
    }
    return null;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return { index: i, got: fmtVal(a[i]), want: fmtVal(b[i]) };
  }
  return null;
}

function oneLine(msg, max = 400) {
  let s = String(msg).replace(/[\t\r\n]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (s.length > max) s = s.slice(0, max) + '...';
  return s;
}

function sessionOptions(extra = {}) {
  return { graphOptimizationLevel: 'disabled', logSeverityLevel: 4, ...extra };
}

async function createSession(file, extra) {
  const ort = getOrt();
  return ort.InferenceSession.create(file, sessionOptions(extra));
}

// ---------------------------------------------------------------------------
// compare
// ---------------------------------------------------------------------------

function parseCompareArgs(args) {
  const opts = { rtol: 1e-4, atol: 1e-5, seed: 1, dims: new Map(), intRanges: new Map(), files: [], inputsDir: null };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = () => {
      if (i + 1 >= args.length) throw new OracleError(`missing value for ${a}`);
      return args[++i];
    };
    if (a === '--rtol') opts.rtol = Number(next());
    else if (a === '--atol') opts.atol = Number(next());
    else if (a === '--seed') opts.seed = Number(next());
    else if (a === '--inputs') opts.inputsDir = next();
    else if (a === '--dim') {
      const m = /^(.*)=(\d+)$/.exec(next());
      if (!m) throw new OracleError('--dim expects NAME=N');
      opts.dims.set(m[1], Number(m[2]));
    } else if (a === '--int-range') {
      const m = /^(.*)=(-?\d+):(-?\d+)$/.exec(next());
      if (!m) throw new OracleError('--int-range expects INPUT=LO:HI');
      opts.intRanges.set(m[1], [Number(m[2]), Number(m[3])]);
    } else if (a.startsWith('--')) throw new OracleError(`unknown option ${a}`);
    else opts.files.push(a);
  }
  if (opts.files.length !== 2) throw new OracleError('usage: compare ORIG.onnx OPT.onnx [options]');
  if (!(opts.rtol >= 0) || !(opts.atol >= 0)) throw new OracleError('bad --rtol/--atol');
  return opts;
}

// Returns {code, line}.
async function compareModels(opts) {
  const [origFile, optFile] = opts.files;
  let origInfo, optInfo;
  try { origInfo = loadModelInfo(origFile); } catch (e) { return { code: 2, line: `ERROR cannot decode original model: ${oneLine(e.message)}` }; }
  try { optInfo = loadModelInfo(optFile); } catch (e) { return { code: 2, line: `ERROR cannot decode optimized model: ${oneLine(e.message)}` }; }

  const rng = mulberry32(opts.seed);
  let feeds = {};
  try {
    if (opts.inputsDir) feeds = loadFeeds(opts.inputsDir, origInfo.inputs.map((v) => v.name));
    // Inputs not given by --inputs (or all of them) are generated.
    for (const vi of origInfo.inputs) if (!(vi.name in feeds)) feeds[vi.name] = generateInput(vi, rng, opts);
  } catch (e) {
    return { code: 2, line: `ERROR ${oneLine(e.message)}` };
  }
  for (const vi of optInfo.inputs) {
    if (!(vi.name in feeds)) return { code: 2, line: `ERROR optimized model has input '${vi.name}' that the original does not have` };
  }
  const optNames = new Set(optInfo.inputs.map((v) => v.name));
  const dropped = origInfo.inputs.filter((v) => !optNames.has(v.name)).map((v) => v.name);
  if (dropped.length) process.stderr.write(`oracle: note: optimized model dropped input(s) ${dropped.join(', ')}\n`);

  let s1, s2;
  try { s1 = await createSession(origFile); } catch (e) { return { code: 2, line: `ERROR original model fails to load: ${oneLine(e.message)}` }; }
  try { s2 = await createSession(optFile); } catch (e) { return { code: 2, line: `ERROR optimized model fails to load: ${oneLine(e.message)}` }; }

  const outNames1 = s1.outputNames;
  const outNames2 = s2.outputNames;
  if (outNames1.length !== outNames2.length || outNames1.some((n, i) => n !== outNames2[i])) {
    return { code: 1, line: `MISMATCH output=${outNames1.join(',')} index=-1 got=outputs:[${outNames2.join(',')}] want=outputs:[${outNames1.join(',')}]` };
  }
  let r1, r2;
  try { r1 = await s1.run(feeds); } catch (e) { return { code: 2, line: `ERROR original model fails to run: ${oneLine(e.message)}` }; }
  const feeds2 = {};
  for (const vi of optInfo.inputs) feeds2[vi.name] = feeds[vi.name];
  try { r2 = await s2.run(feeds2); } catch (e) { return { code: 2, line: `ERROR optimized model fails to run: ${oneLine(e.message)}` }; }
  for (const name of outNames1) {
    const d = compareTensors(r2[name], r1[name], opts.rtol, opts.atol);
    if (d) return { code: 1, line: `MISMATCH output=${name} index=${d.index} got=${d.got} want=${d.want}` };
  }
  await s1.release();
  await s2.release();
  return { code: 0, line: 'MATCH' };
}

// ---------------------------------------------------------------------------
// latency (for the bench scripts; ORT optimizations disabled)
// ---------------------------------------------------------------------------

// Median wall time of one run over --runs runs after --warmup runs, on the
// same generated inputs as `compare` would use.
async function latency(args) {
  let runs = 50;
  let warmup = 5;
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--runs') runs = Number(args[++i]);
    else if (args[i] === '--warmup') warmup = Number(args[++i]);
    else rest.push(args[i]);
  }
  const opts = parseCompareArgs([...rest, rest[0]]);
  const info = loadModelInfo(opts.files[0]);
  const rng = mulberry32(opts.seed);
  const feeds = {};
  for (const vi of info.inputs) feeds[vi.name] = generateInput(vi, rng, opts);
  // One thread: on a small shared machine, thread scheduling noise would
  // otherwise swamp the differences between graph versions.
  const session = await createSession(opts.files[0], { intraOpNumThreads: 1, interOpNumThreads: 1 });
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  await session.release();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

// ---------------------------------------------------------------------------
// backend (ONNX backend-test case directories)
// ---------------------------------------------------------------------------

const BACKEND_RTOL = 1e-3;
const BACKEND_ATOL = 1e-7;

function numberedFiles(dir, prefix) {
  const re = new RegExp(`^${prefix}_(\\d+)\\.pb$`);
  return fs.readdirSync(dir)
    .map((f) => [f, re.exec(f)])
    .filter(([, m]) => m)
    .sort((x, y) => Number(x[1][1]) - Number(y[1][1]))
    .map(([f]) => path.join(dir, f));
}

class FeedCountError extends OracleError {}

// Reads DIR/input_*.pb and binds them to the given (non-initializer) graph
// input names: by the tensor's own name when it matches an input, else by
// position. Throws FeedCountError when there are more files than inputs.
function loadFeeds(dir, inputNames) {
  const feeds = {};
  const inFiles = numberedFiles(dir, 'input');
  if (inFiles.length > inputNames.length) {
    throw new FeedCountError(`${inFiles.length} input files but model has ${inputNames.length} inputs`);
  }
  for (let i = 0; i < inFiles.length; i++) {
    let t;
    try { t = decodeTensor(fs.readFileSync(inFiles[i])); } catch (e) { throw new OracleError(`${path.basename(inFiles[i])}: ${e.message}`); }
    if (t.unsupported) throw new OracleError(t.unsupported);
    const name = t.name && inputNames.includes(t.name) && !(t.name in feeds) ? t.name : inputNames[i];
    feeds[name] = makeTensor(t.type, t.data, t.dims);
  }
  return feeds;
}

function describeIoProblem(vi, what) {
  if (vi.type.kind !== 'tensor') return `${what} '${vi.name}' is a ${vi.type.kind}`;
  if (!ORT_TYPE[vi.type.elemType]) return `${what} '${vi.name}' has element type ${dtName(vi.type.elemType)}`;
  return null;
}

// Returns {status: 'PASS'|'FAIL'|'ORT_ERROR', detail}.
async function backendCase(caseDir, modelFile, sessionExtra = {}) {
  modelFile = modelFile || path.join(caseDir, 'model.onnx');
  let info;
  try { info = loadModelInfo(modelFile); } catch (e) { return { status: 'ORT_ERROR', detail: `oracle cannot decode model: ${oneLine(e.message)}` }; }
  for (const vi of info.inputs) {
    const p = describeIoProblem(vi, 'input');
    if (p) return { status: 'ORT_ERROR', detail: `UNSUPPORTED by oracle: ${p}` };
  }
  for (const vi of info.outputs) {
    const p = describeIoProblem(vi, 'output');
    if (p) return { status: 'ORT_ERROR', detail: `UNSUPPORTED by oracle: ${p}` };
  }
  const sets = fs.readdirSync(caseDir).filter((d) => /^test_data_set_\d+$/.test(d))
    .sort((a, b) => Number(a.split('_').pop()) - Number(b.split('_').pop()));
  if (sets.length === 0) return { status: 'ORT_ERROR', detail: 'UNSUPPORTED by oracle: no test_data_set_* directory' };

  let session;
  try { session = await createSession(modelFile, sessionExtra); } catch (e) { return { status: 'ORT_ERROR', detail: oneLine(e.message) }; }
  try {
    const inputNames = info.inputs.map((v) => v.name);
    for (const set of sets) {
      const dir = path.join(caseDir, set);
      let feeds;
      try { feeds = loadFeeds(dir, inputNames); } catch (e) {
        if (e instanceof FeedCountError) return { status: 'FAIL', detail: `${set}: ${e.message}` };
        return { status: 'ORT_ERROR', detail: `UNSUPPORTED by oracle: ${oneLine(e.message)}` };
      }
      let results;
      try { results = await session.run(feeds); } catch (e) { return { status: 'ORT_ERROR', detail: oneLine(e.message) }; }
      const outFiles = numberedFiles(dir, 'output');
      const outNames = session.outputNames;
      if (outFiles.length !== outNames.length) {
        return { status: 'FAIL', detail: `${set}: ${outFiles.length} output files but model has ${outNames.length} outputs` };
      }
      for (let i = 0; i < outFiles.length; i++) {
        let want;
        try { want = decodeTensor(fs.readFileSync(outFiles[i])); } catch (e) { return { status: 'ORT_ERROR', detail: `UNSUPPORTED by oracle: ${path.basename(outFiles[i])}: ${oneLine(e.message)}` }; }
        if (want.unsupported) return { status: 'ORT_ERROR', detail: `UNSUPPORTED by oracle: ${want.unsupported}` };
        const got = results[outNames[i]];
        const d = compareTensors(got, want, BACKEND_RTOL, BACKEND_ATOL);
        if (d) return { status: 'FAIL', detail: `${set} output=${outNames[i]} index=${d.index} got=${d.got} want=${d.want}` };
      }
    }
    return { status: 'PASS', detail: '' };
  } finally {
    try { await session.release(); } catch { /* ignore */ }
  }
}

// ---------------------------------------------------------------------------
// backend-batch: cases run in worker child processes so that a hang or a
// crash of ORT only costs one case; the worker is restarted after it.
// ---------------------------------------------------------------------------

async function workerMain() {
  // One process per core: keep ORT single-threaded inside each worker.
  const extra = { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 4 };
  process.on('message', async (msg) => {
    let r;
    try {
      r = await backendCase(msg.caseDir, msg.model, extra);
    } catch (e) {
      r = { status: 'ORT_ERROR', detail: `oracle exception: ${oneLine(e && e.message)}` };
    }
    process.send({ id: msg.id, status: r.status, detail: oneLine(r.detail || '') });
  });
  process.on('disconnect', () => process.exit(0));
}

function parseBatchArgs(args) {
  const opts = {
    jobs: Number(process.env.ORACLE_JOBS) || Math.max(1, Math.min(2, os.cpus().length)),
    timeout: Number(process.env.ORACLE_TIMEOUT) || 120,
    list: null,
  };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--jobs') opts.jobs = Math.max(1, Number(args[++i]) || 1);
    else if (args[i] === '--timeout') opts.timeout = Number(args[++i]) || opts.timeout;
    else if (!opts.list) opts.list = args[i];
    else throw new OracleError(`unexpected argument ${args[i]}`);
  }
  if (!opts.list) throw new OracleError('usage: backend-batch LISTFILE [--jobs N] [--timeout SEC]');
  return opts;
}

async function backendBatch(opts) {
  const lines = fs.readFileSync(opts.list, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const cases = lines.map((l) => {
    const parts = l.split(/\s+/);
    return { caseDir: parts[0], model: parts[1] || path.join(parts[0], 'model.onnx') };
  });
  const results = new Array(cases.length);
  let nextToPrint = 0;
  const flush = () => {
    while (nextToPrint < cases.length && results[nextToPrint]) {
      const r = results[nextToPrint];
      process.stdout.write(`${cases[nextToPrint].caseDir}\t${r.status}\t${r.detail}\n`);
      nextToPrint++;
    }
  };
  let nextCase = 0;
  let done = 0;
  const jobs = Math.min(opts.jobs, cases.length);
  if (jobs === 0) return;

  await new Promise((resolveAll) => {
    const finish = (slot, id, r) => {
      if (results[id]) return;
      results[id] = r;
      done++;
      flush();
      if (done === cases.length) resolveAll();
    };
    const startWorker = (slot) => {
      const child = fork(THIS_FILE, ['__worker'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      slot.child = child;
      slot.stderr = '';
      child.on('error', () => { /* reported through 'exit' */ });
      child.stderr.on('data', (d) => { slot.stderr = (slot.stderr + d.toString()).slice(-2000); });
      child.on('message', (msg) => {
        if (slot.child !== child || slot.current !== msg.id) return;
        clearTimeout(slot.timer);
        slot.current = null;
        finish(slot, msg.id, { status: msg.status, detail: msg.detail });
        dispatch(slot);
      });
      child.on('exit', (code, signal) => {
        if (slot.child !== child) return;
        clearTimeout(slot.timer);
        slot.child = null;
        if (slot.current !== null) {
          const id = slot.current;
          slot.current = null;
          const lastErr = oneLine(slot.stderr.split('\n').filter((l) => l.trim()).slice(-1)[0] || '', 200);
          finish(slot, id, { status: 'ORT_ERROR', detail: `crash: worker died (${signal || `exit ${code}`}) ${lastErr}`.trim() });
        }
        if (nextCase < cases.length) { startWorker(slot); dispatch(slot); }
      });
    };
    const dispatch = (slot) => {
      if (!slot.child || slot.current !== null) return;
      if (nextCase >= cases.length) { slot.child.disconnect(); return; }
      const id = nextCase++;
      slot.current = id;
      slot.timer = setTimeout(() => {
        if (slot.current !== id) return;
        slot.current = null;
        finish(slot, id, { status: 'ORT_ERROR', detail: `timeout after ${opts.timeout}s` });
        const c = slot.child;
        slot.child = null;
        if (c) c.kill('SIGKILL');
        if (nextCase < cases.length) { startWorker(slot); dispatch(slot); }
      }, opts.timeout * 1000);
      slot.child.send({ id, caseDir: cases[id].caseDir, model: cases[id].model });
    };
    for (let j = 0; j < jobs; j++) {
      const slot = { child: null, current: null, timer: null, stderr: '' };
      startWorker(slot);
      dispatch(slot);
    }
  });
}

// ---------------------------------------------------------------------------
// ort-basic
// ---------------------------------------------------------------------------

async function ortBasic(inFile, outFile) {
  const ort = getOrt();
  const s = await ort.InferenceSession.create(inFile, {
    graphOptimizationLevel: 'basic',
    optimizedModelFilePath: path.resolve(outFile),
    logSeverityLevel: 4,
  });
  await s.release();
  if (!fs.existsSync(outFile)) throw new OracleError(`ORT did not write ${outFile}`);
}

// ---------------------------------------------------------------------------
// selftest: proves that the oracle can fail
// ---------------------------------------------------------------------------

function selftest() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oracle-selftest-'));
  const results = [];
  const check = (name, ok, extra = '') => results.push({ name, ok, extra });
  const run = (...args) => {
    const r = spawnSync(process.execPath, [THIS_FILE, ...args], { encoding: 'utf8' });
    return { code: r.status, out: (r.stdout || '').trim(), err: (r.stderr || '').trim() };
  };
  try {
    const F = DT.FLOAT;
    // y = x + c, with c a float constant initializer; x has a symbolic batch dim.
    const addModel = (c) => encModel({
      nodes: [encNode('Add', ['x', 'c'], ['y'])],
      initializers: [encTensor('c', F, [], Float32Array.of(c))],
      inputs: [encValueInfo('x', F, ['batch', 3])],
      outputs: [encValueInfo('y', F, ['batch', 3])],
    });
    const a = path.join(dir, 'add1.onnx');
    const acopy = path.join(dir, 'add1_copy.onnx');
    const b = path.join(dir, 'add2.onnx');
    const tiny = path.join(dir, 'add1_tiny.onnx');
    fs.writeFileSync(a, addModel(1.0));
    fs.writeFileSync(acopy, addModel(1.0));
    fs.writeFileSync(b, addModel(2.0));
    fs.writeFileSync(tiny, addModel(1.0 + 1e-6)); // within default tolerance

    let r = run('compare', a, acopy);
    check('compare reports MATCH on an identical copy', r.code === 0 && r.out === 'MATCH', r.out || r.err);
    r = run('compare', a, b);
    check('compare reports MISMATCH when a constant changes 1.0 -> 2.0', r.code === 1 && r.out.startsWith('MISMATCH output=y '), r.out || r.err);
    r = run('compare', a, tiny);
    check('compare tolerates a 1e-6 change at default tolerances', r.code === 0 && r.out === 'MATCH', r.out || r.err);
    r = run('compare', a, tiny, '--rtol', '0', '--atol', '0');
    check('compare detects a 1e-6 change with zero tolerance', r.code === 1 && r.out.startsWith('MISMATCH'), r.out || r.err);

    // Byte-patch the raw_data of the constant in the serialized model.
    const bytes = fs.readFileSync(a);
    const one = Buffer.from(Float32Array.of(1.0).buffer);
    const at = bytes.indexOf(one);
    const patched = Buffer.from(bytes);
    Buffer.from(Float32Array.of(1.5).buffer).copy(patched, at);
    const pfile = path.join(dir, 'add1_patched.onnx');
    fs.writeFileSync(pfile, patched);
    r = run('compare', a, pfile);
    check('compare reports MISMATCH on a byte-patched raw_data constant', at >= 0 && r.code === 1 && r.out.startsWith('MISMATCH'), r.out || r.err);

    // Integer path: int64 "mask" input, values must stay in [0, 2] and be compared exactly.
    const I64 = DT.INT64;
    const intModel = (c) => encModel({
      nodes: [encNode('Add', ['attention_mask', 'k'], ['z'])],
      initializers: [encTensor('k', I64, [1], BigInt64Array.of(c))],
      inputs: [encValueInfo('attention_mask', I64, ['batch', 'seq'])],
      outputs: [encValueInfo('z', I64, ['batch', 'seq'])],
    });
    const i1 = path.join(dir, 'int1.onnx');
    const i2 = path.join(dir, 'int2.onnx');
    fs.writeFileSync(i1, intModel(5n));
    fs.writeFileSync(i2, intModel(6n));
    r = run('compare', i1, i1, '--dim', 'seq=7');
    check('compare MATCH on int64 model with --dim', r.code === 0 && r.out === 'MATCH', r.out || r.err);
    r = run('compare', i1, i2);
    check('compare reports MISMATCH on an int64 constant change', r.code === 1 && r.out.startsWith('MISMATCH output=z '), r.out || r.err);

    // Output signature change: different output name.
    const renamed = encModel({
      nodes: [encNode('Add', ['x', 'c'], ['y2'])],
      initializers: [encTensor('c', F, [], Float32Array.of(1.0))],
      inputs: [encValueInfo('x', F, ['batch', 3])],
      outputs: [encValueInfo('y2', F, ['batch', 3])],
    });
    const rn = path.join(dir, 'renamed.onnx');
    fs.writeFileSync(rn, renamed);
    r = run('compare', a, rn);
    check('compare reports MISMATCH on renamed outputs', r.code === 1 && r.out.startsWith('MISMATCH'), r.out || r.err);

    r = run('compare', a, path.join(dir, 'does_not_exist.onnx'));
    check('compare exits 2 on an unloadable model', r.code === 2 && r.out.startsWith('ERROR'), r.out || r.err);

    // backend: a synthesized case dir (x + 1) with .pb inputs/outputs.
    const caseDir = path.join(dir, 'test_add_case');
    const ds = path.join(caseDir, 'test_data_set_0');
    fs.mkdirSync(ds, { recursive: true });
    fs.copyFileSync(a, path.join(caseDir, 'model.onnx'));
    const xin = Float32Array.of(0.5, -1, 2, 3, 4.25, -6);
    fs.writeFileSync(path.join(ds, 'input_0.pb'), encTensor('x', F, [2, 3], xin));
    fs.writeFileSync(path.join(ds, 'output_0.pb'), encTensor('y', F, [2, 3], xin.map((v) => v + 1)));
    r = run('backend', caseDir);
    check('backend PASS on a correct model', r.out === 'PASS', r.out || r.err);
    r = run('backend', caseDir, b);
    check('backend FAIL on an altered model', r.out.startsWith('FAIL'), r.out || r.err);

    // backend-batch: PASS, FAIL and a broken model in one batch.
    const broken = path.join(dir, 'broken.onnx');
    fs.writeFileSync(broken, Buffer.from('this is not a model'));
    const list = path.join(dir, 'list.txt');
    fs.writeFileSync(list, `${caseDir} ${a}\n${caseDir} ${b}\n${caseDir} ${broken}\n${caseDir} ${acopy}\n`);
    r = run('backend-batch', list);
    const st = r.out.split('\n').map((l) => l.split('\t')[1]);
    check('backend-batch reports PASS/FAIL/ORT_ERROR/PASS in order', st.join(',') === 'PASS,FAIL,ORT_ERROR,PASS', r.out || r.err);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`1..${results.length}`);
  results.forEach((t, i) => {
    console.log(`${t.ok ? 'ok' : 'not ok'} ${i + 1} - ${t.name}${t.ok ? '' : ` # got: ${oneLine(t.extra)}`}`);
  });
  const failed = results.filter((t) => !t.ok).length;
  console.log(`selftest: ${results.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------

const USAGE = `usage:
  node oracle.mjs compare ORIG.onnx OPT.onnx [--rtol 1e-4] [--atol 1e-5] [--dim NAME=N ...] [--seed N] [--int-range INPUT=LO:HI ...] [--inputs DIR]
  node oracle.mjs backend CASE_DIR [MODEL.onnx]
  node oracle.mjs backend-batch LISTFILE [--jobs N] [--timeout SEC]
  node oracle.mjs ort-basic IN.onnx OUT.onnx
  node oracle.mjs latency MODEL.onnx [--runs 50] [--warmup 5] [--dim NAME=N ...] [--seed N]
  node oracle.mjs selftest`;

async function main(argv) {
  const [cmd, ...args] = argv;
  switch (cmd) {
    case 'compare': {
      let opts;
      try { opts = parseCompareArgs(args); } catch (e) { console.log(`ERROR ${e.message}`); return 2; }
      const r = await compareModels(opts);
      console.log(r.line);
      return r.code;
    }
    case 'backend': {
      if (args.length < 1 || args.length > 2) { console.error(USAGE); return 2; }
      const r = await backendCase(args[0], args[1]);
      console.log(r.detail ? `${r.status} ${r.detail}` : r.status);
      return r.status === 'PASS' ? 0 : 1;
    }
    case 'backend-batch': {
      let opts;
      try { opts = parseBatchArgs(args); } catch (e) { console.error(`ERROR ${e.message}`); return 2; }
      await backendBatch(opts);
      return 0;
    }
    case '__worker':
      await workerMain();
      return null; // keep running
    case 'ort-basic': {
      if (args.length !== 2) { console.error(USAGE); return 2; }
      try { await ortBasic(args[0], args[1]); } catch (e) { console.log(`ERROR ${oneLine(e.message)}`); return 2; }
      console.log('OK');
      return 0;
    }
    case 'latency': {
      try {
        const ms = await latency(args);
        console.log(`LATENCY_MS ${ms.toFixed(4)}`);
        return 0;
      } catch (e) { console.log(`ERROR ${oneLine(e.message)}`); return 2; }
    }
    case 'selftest':
      return selftest();
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { if (code !== null) process.exitCode = code; },
  (e) => { console.log(`ERROR ${oneLine(e && e.stack ? e.message : e)}`); process.exitCode = 2; },
);
