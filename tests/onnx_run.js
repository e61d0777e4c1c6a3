// onnx_run.js — runs an ONNX file in ONNX Runtime (npm onnxruntime-node, CPU) on the tensors of a
// safetensors file and writes its outputs as a safetensors file, for `lorat compare`; or times it.
//
//   node tests/onnx_run.js --ort DIR --model M.onnx --inputs in.safetensors --out out.safetensors
//        [--threads N] [--bench ITERS] [--batch B] [--spin 0|1]
//
// DIR holds node_modules/onnxruntime-node (scripts/install-deps.sh puts it in
// ~/.cache/lorat/onnxruntime-node-1.30.0). Every graph input is read from the file by name: float
// inputs as float32, the template mask (or any integer input) as int64. --bench ITERS: no output
// file; the median of ITERS runs after one warm-up, printed as one JSON line (--inputs optional:
// without it, random normal z and x and an all-zero mask of batch --batch, default 1).
// Session: graph optimisation "all", intra-op threads = --threads, one inter-op thread,
// sequential execution, memory arena and pattern on; worker threads spin while waiting for work
// unless --spin 0 (spinning is ONNX Runtime's default and usually its fastest at batch 1).
'use strict';
const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
  const a = {threads: 1, bench: 0, batch: 1, spin: 1};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    if (k === '--ort') a.ort = v;
    else if (k === '--model') a.model = v;
    else if (k === '--inputs') a.inputs = v;
    else if (k === '--out') a.out = v;
    else if (k === '--threads') a.threads = parseInt(v, 10);
    else if (k === '--bench') a.bench = parseInt(v, 10);
    else if (k === '--batch') a.batch = parseInt(v, 10);
    else if (k === '--spin') a.spin = parseInt(v, 10) ? 1 : 0;
    else throw new Error(`unknown argument '${k}'`);
    i++;
  }
  if (!a.ort || !a.model || (!a.bench && (!a.inputs || !a.out)))
    throw new Error('usage: onnx_run.js --ort DIR --model M.onnx (--inputs IN --out OUT | --bench N)');
  return a;
}

const DTYPES = {F32: [4, 'float32'], F64: [8, 'float64'], I64: [8, 'int64'], I32: [4, 'int32'],
                I16: [2, 'int16'], I8: [1, 'int8'], U8: [1, 'uint8'], BOOL: [1, 'bool']};

// The tensors of a safetensors file: {name: {dtype, shape, bytes}}.
function readSafetensors(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 8) throw new Error(`${file}: too short for a safetensors file`);
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) throw new Error(`${file}: header of ${n} bytes runs past the end`);
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const base = 8 + n, out = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [b, e] = t.data_offsets;
    if (base + e > buf.length || b > e) throw new Error(`${file}: tensor ${name} lies outside the file`);
    out[name] = {dtype: t.dtype, shape: t.shape, bytes: buf.subarray(base + b, base + e)};
  }
  return out;
}

function writeSafetensors(file, tensors) {
  const header = {}, parts = [];
  let off = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = {dtype: 'F32', shape: t.dims.map(Number), data_offsets: [off, off + bytes.length]};
    parts.push(bytes);
    off += bytes.length;
  }
  let json = JSON.stringify(header);
  while ((json.length + 8) % 8) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const tmp = `${file}.tmp.${process.pid}`;
  fs.writeFileSync(tmp, Buffer.concat([len, Buffer.from(json, 'utf8'), ...parts]));
  fs.renameSync(tmp, file);
}

// A file tensor as the typed array an input wants: floats as float32, integers as int64.
function asInput(ort, name, t) {
  const [size, kind] = DTYPES[t.dtype] || [];
  if (!size) throw new Error(`input ${name}: dtype ${t.dtype} is not supported`);
  const count = t.bytes.length / size;
  const aligned = Buffer.from(t.bytes); // a copy at offset 0: typed arrays need alignment
  const dv = new DataView(aligned.buffer, aligned.byteOffset, aligned.byteLength);
  if (kind === 'float32' || kind === 'float64') {
    const a = new Float32Array(count);
    for (let i = 0; i < count; i++) a[i] = size === 4 ? dv.getFloat32(4 * i, true) : dv.getFloat64(8 * i, true);
    return new ort.Tensor('float32', a, t.shape);
  }
  const a = new BigInt64Array(count);
  for (let i = 0; i < count; i++) {
    const o = i * size;
    a[i] = size === 8 ? dv.getBigInt64(o, true) : BigInt(size === 4 ? dv.getInt32(o, true)
                                                       : size === 2 ? dv.getInt16(o, true)
                                                       : kind === 'int8' ? dv.getInt8(o) : dv.getUint8(o));
  }
  return new ort.Tensor('int64', a, t.shape);
}

function randomFeeds(ort, session, batch) {
  // Shapes come from the model's own input metadata; the free batch dimension becomes --batch.
  const feeds = {};
  let seed = 12345;
  const uniform = () => ((seed = (seed * 1103515245 + 12345) >>> 0) + 0.5) / 4294967296;
  for (const meta of session.inputMetadata) {
    const dims = meta.shape.map((d) => (typeof d === 'number' ? d : batch));
    const count = dims.reduce((x, y) => x * y, 1);
    if (meta.type === 'int64') {
      feeds[meta.name] = new ort.Tensor('int64', new BigInt64Array(count), dims);
    } else {
      const a = new Float32Array(count);
      for (let i = 0; i < count; i++) a[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
      feeds[meta.name] = new ort.Tensor('float32', a, dims);
    }
  }
  return feeds;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const ort = require(path.join(path.resolve(a.ort), 'node_modules', 'onnxruntime-node'));
  const session = await ort.InferenceSession.create(a.model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableCpuMemArena: true,
    enableMemPattern: true,
    extra: {session: {intra_op: {allow_spinning: String(a.spin)}}},
  });
  let feeds;
  if (a.inputs) {
    const file = readSafetensors(a.inputs);
    feeds = {};
    for (const name of session.inputNames) {
      if (!file[name]) throw new Error(`${a.inputs}: no tensor ${name} (the model's input)`);
      feeds[name] = asInput(ort, name, file[name]);
    }
  } else {
    feeds = randomFeeds(ort, session, a.batch);
  }
  if (!a.bench) {
    const res = await session.run(feeds);
    const out = {};
    for (const name of session.outputNames) out[name] = res[name];
    writeSafetensors(a.out, out);
    return;
  }
  await session.run(feeds); // warm-up
  const times = [];
  for (let i = 0; i < a.bench; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((x, y) => x - y);
  const batch = Number(Object.values(feeds)[0].dims[0]);
  const perFrame = times[Math.floor(times.length / 2)] / batch;
  const pkg = require(path.join(path.resolve(a.ort), 'node_modules', 'onnxruntime-node', 'package.json'));
  console.log(JSON.stringify({framework: `onnxruntime ${pkg.version} (CPU, node)`, threads: a.threads, spin: a.spin, batch,
                              iters: a.bench, seconds_per_frame: perFrame, fps: 1 / perFrame}));
}

main().catch((e) => {
  console.error(`onnx_run: ${e.message}`);
  process.exit(1);
});
