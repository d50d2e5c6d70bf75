// The page webgpu_judge.js opens in Chromium: judges /models/NAME.onnx, from
// ?start=K on, with the release served under /dist/, and POSTs each verdict.
const logs = [];
// onnxruntime's C++ logger writes through emscripten's print/printErr, bound
// to console when the wasm module loads: wrap console before importing it.
for (const k of ['log', 'info', 'warn', 'error', 'debug']) {
  const orig = console[k].bind(console);
  console[k] = (...a) => { logs.push(a.map(String).join(' ')); orig(...a); };
}
const post = (what, body) => fetch('/' + what, {method: 'POST', body: JSON.stringify(body)});

// ---- the graph's inputs, read from the protobuf (no library: the few fields needed)
function fields(buf, from, to, cb) {
  let p = from;
  const varint = () => {
    let v = 0, mul = 1, b;
    do { b = buf[p++]; v += (b & 0x7f) * mul; mul *= 128; } while (b & 0x80);
    return v;
  };
  while (p < to) {
    const key = varint(), f = Math.floor(key / 8), wt = key & 7;
    if (wt === 0) cb(f, 0, varint());
    else if (wt === 2) { const n = varint(); cb(f, 2, p, p + n); p += n; }
    else if (wt === 1) p += 8;
    else if (wt === 5) p += 4;
    else throw new Error('protobuf wire type ' + wt);
  }
}
const str = (buf, a, b) => new TextDecoder().decode(buf.subarray(a, b));

// ModelProto.graph(7) -> GraphProto.input(11) minus initializer(5) names;
// ValueInfoProto name(1) type(2) -> TypeProto.tensor_type(1) -> elem_type(1), shape(2) -> dim(1) -> value(1)|param(2)
function graphInputs(buf) {
  const inputs = [], inits = new Set();
  fields(buf, 0, buf.length, (f, wt, a, b) => {
    if (f !== 7 || wt !== 2) return;
    fields(buf, a, b, (gf, gwt, ga, gb) => {
      if (gwt !== 2) return;
      if (gf === 5) fields(buf, ga, gb, (tf, twt, ta, tb) => { if (tf === 8 && twt === 2) inits.add(str(buf, ta, tb)); });
      if (gf !== 11) return;
      const vi = {name: '', elem: 1, dims: []};
      fields(buf, ga, gb, (vf, vwt, va, vb) => {
        if (vf === 1 && vwt === 2) vi.name = str(buf, va, vb);
        if (vf !== 2 || vwt !== 2) return;
        fields(buf, va, vb, (tf, twt, ta, tb) => {
          if (tf !== 1 || twt !== 2) return;
          fields(buf, ta, tb, (xf, xwt, xa, xb) => {
            if (xf === 1 && xwt === 0) vi.elem = xa;
            if (xf !== 2 || xwt !== 2) return;
            fields(buf, xa, xb, (sf, swt, sa, sb) => {
              if (sf !== 1 || swt !== 2) return;
              let d = null;
              fields(buf, sa, sb, (df, dwt, da, db) => {
                if (df === 1 && dwt === 0) d = da;
                if (df === 2 && dwt === 2) d = str(buf, da, db);
              });
              vi.dims.push(d);
            });
          });
        });
      });
      inputs.push(vi);
    });
  });
  return inputs.filter((i) => !inits.has(i.name));
}

// Zero-filled feeds of one new token after one past one: a symbolic dimension
// is 1 (its past too: "p", "past_*").  Inputs that must agree with those sizes:
// total_sequence_length (GroupQueryAttention) is 2, seqlens_k (total - 1) is 1,
// an attention_mask is ones.  (A past of length 0 makes 1.20.1's JSEP
// GroupQueryAttention throw on the valid case, which would hide the attributes' effect.)
const F16 = globalThis.Float16Array; // a release that sees it wants it for float16 data
const TYPES = {1: ['float32', Float32Array], 6: ['int32', Int32Array], 7: ['int64', BigInt64Array],
               9: ['bool', Uint8Array], 10: ['float16', F16 || Uint16Array], 2: ['uint8', Uint8Array]};
const VALUES = {total_sequence_length: 2, seqlens_k: 1, attention_mask: 1};
function feeds(ort, inputs) {
  const f = {};
  for (const i of inputs) {
    const t = TYPES[i.elem];
    if (!t) throw new Error(`input ${i.name}: element type ${i.elem}`);
    const dims = i.dims.map((d) => typeof d === 'number' ? d : 1);
    const data = new t[1](dims.reduce((a, b) => a * b, 1));
    const v = VALUES[i.name];
    if (v) data.fill(t[0] === 'int64' ? BigInt(v) : t[0] === 'float16' && !F16 ? 0x3c00 : v);
    f[i.name] = new ort.Tensor(t[0], data, dims);
  }
  return f;
}

function withTimeout(p, s, what) {
  return Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(what + ': timeout')), s * 1000))]);
}

async function main() {
  const adapter = await navigator.gpu?.requestAdapter();
  const info = adapter?.info || {};
  await post('adapter', adapter ? {vendor: info.vendor, architecture: info.architecture, description: info.description,
                                   features: [...adapter.features].sort()} : {none: true});
  const ort = await import('/dist/ort.webgpu.min.mjs');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = '/dist/';
  ort.env.logLevel = 'verbose';
  const names = await (await fetch('/list')).json();
  const q = new URLSearchParams(location.search), start = +q.get('start') || 0, debug = q.has('debug');
  for (const name of names.slice(start)) {
    logs.length = 0;
    const r = {name, create: 'fail', run: '-', error: ''};
    let s = null;
    try {
      const bytes = new Uint8Array(await (await fetch('/models/' + encodeURIComponent(name) + '.onnx')).arrayBuffer());
      s = await withTimeout(ort.InferenceSession.create(bytes, {executionProviders: ['webgpu'], logSeverityLevel: 0,
                                                                  logVerbosityLevel: 0}), 20, 'create');
      r.create = 'ok';
      r.run = 'fail';
      await withTimeout(s.run(feeds(ort, graphInputs(bytes))), 20, 'run');
      r.run = 'ok';
    } catch (e) {
      r.error = String(e && e.message !== undefined ? e.message : e);
    }
    // a log of verbose severity is long: keep what the judge reads, and errors
    r.logs = debug ? logs.slice(0, 2000) : logs.filter((l) => /VerifyEachNodeIsAssignedToAnEp|kernel not found|Force fallback|rror|fail/.test(l)).slice(0, 400);
    try { if (s) await s.release(); } catch (e) { /* the verdict is taken */ }
    await post('result', r);
    // A failed create leaves 1.23's and 1.30's WebGPU provider "being created"
    // for good (every later session: "another WebGPU EP inference session is
    // being created"): after any failure, the next model gets a fresh page.
    if (r.run !== 'ok') {
      const i = names.indexOf(name) + 1;
      if (i < names.length) location.replace('/?start=' + i + (debug ? '&debug' : ''));
      return;
    }
  }
}
main().catch((e) => post('result', {name: '?', error: String(e)}));
