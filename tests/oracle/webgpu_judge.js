// onnxruntime-web's WebGPU provider as a judge, live in headless Chromium:
//   node webgpu_judge.js PACKAGE DIR
// PACKAGE: an ortwebNNN alias of tests/oracle/package.json; DIR: *.onnx models.
// A local http server serves the release's dist/ and DIR's models to a page
// (webgpu_page.mjs) that, per model, creates an InferenceSession on
// ['webgpu'] with verbose logging, runs it once on zero-filled inputs
// (webgpu_feeds.js), and POSTs back what it saw; the placement of each node is
// read from onnxruntime's own "Node placements" log (VerifyEachNodeIsAssignedToAnEp).
// Prints one line per model, sorted by name:
//   name  create  run  ep  nokernel  cpu_preferred  message
// create/run: ok | fail (run: - when create failed); ep: the GPU provider's
// name in this release (JsExecutionProvider or WebGpuExecutionProvider);
// nokernel: "Op:count,..." the nodes onnxruntime placed on CPUExecutionProvider
// for want of a GPU kernel; cpu_preferred: those it kept on CPU by choice
// (shape computations); "-" if none; message: the first error.
// The adapter (vendor, architecture, features) goes to stderr, as "# adapter ...".
// One Chromium per release; a model that hangs or crashes the page costs that
// model only (verdict fail, "timeout"/"page crashed"): Chromium is restarted
// at the next model.  SLM_CHROMIUM: the browser (default chromium).
'use strict';
const fs = require('fs'), path = require('path'), http = require('http'), os = require('os'), cp = require('child_process');

const [pkg, dir] = process.argv.slice(2);
if (!pkg || !dir) {
  process.stderr.write('usage: node webgpu_judge.js ortwebNNN DIR\n');
  process.exit(2);
}
// the package's folder: tests/oracle/node_modules, or NODE_PATH's (the release
// packages export no ./package.json, so require.resolve cannot find it)
const roots = [path.join(__dirname, 'node_modules'), ...(process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean)];
const dist = roots.map((r) => path.join(r, pkg, 'dist')).find((d) => fs.existsSync(path.join(d, 'ort.webgpu.min.mjs')));
if (!dist) {
  process.stderr.write(`${pkg}: no dist/ort.webgpu.min.mjs under ${roots.join(', ')}\n`);
  process.exit(2);
}
const names = fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort().map((f) => f.slice(0, -5));
const MODEL_S = +(process.env.SLM_WEBGPU_MODEL_TIMEOUT || 60); // per model, from the previous answer
const START_S = 60; // Chromium's start, the page's import and the adapter
const TOTAL_S = +(process.env.SLM_WEBGPU_TIMEOUT || 900);
const MIME = {'.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm',
              '.onnx': 'application/octet-stream', '.html': 'text/html', '.json': 'application/json'};

const results = new Map(); // name -> line
let adapter = null;
let wake = null; // resolves the wait for the page's next answer

function send(res, code, type, body) {
  // COOP/COEP: cross-origin isolation, so a release may use SharedArrayBuffer if it wants to
  res.writeHead(code, {'Content-Type': type, 'Cross-Origin-Opener-Policy': 'same-origin',
                       'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store'});
  res.end(body);
}

// Files under ROOT only: a request never leaves it.
function serveFile(res, root, rel) {
  const p = path.resolve(root, rel);
  if (!p.startsWith(path.resolve(root) + path.sep) || !fs.existsSync(p) || !fs.statSync(p).isFile())
    return send(res, 404, 'text/plain', 'not found');
  send(res, 200, MIME[path.extname(p)] || 'application/octet-stream', fs.readFileSync(p));
}

const server = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (req.method === 'POST') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      send(res, 200, 'text/plain', 'ok');
      let m;
      try { m = JSON.parse(body); } catch (e) { return; }
      if (u.pathname === '/adapter') adapter = m;
      else if (u.pathname === '/result' && names.includes(m.name)) {
        if (process.env.SLM_WEBGPU_DEBUG) process.stderr.write(`## ${m.name}\n${(m.logs || []).join('\n')}\n`);
        results.set(m.name, verdict(m));
      }
      if (wake) wake();
    });
    return;
  }
  if (u.pathname === '/') return send(res, 200, 'text/html',
    '<!doctype html><meta charset="utf-8"><script type="module" src="/oracle/webgpu_page.mjs"></script>');
  if (u.pathname === '/list') return send(res, 200, 'application/json', JSON.stringify(names));
  if (u.pathname.startsWith('/dist/')) return serveFile(res, dist, u.pathname.slice(6));
  if (u.pathname.startsWith('/models/')) return serveFile(res, dir, decodeURIComponent(u.pathname.slice(8)));
  if (u.pathname.startsWith('/oracle/')) return serveFile(res, __dirname, u.pathname.slice(8));
  send(res, 404, 'text/plain', 'not found');
});

// Where onnxruntime put each node, from its verbose log (severity 0):
//   ...VerifyEachNodeIsAssignedToAnEp] Node placements
//   ...VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 1
//   ...VerifyEachNodeIsAssignedToAnEp]   GatherND (gathernd)
//   ...VerifyEachNodeIsAssignedToAnEp]  All nodes placed on [JsExecutionProvider]. Number of nodes: 1
// "All nodes placed on [X]" names no node; the nodes the GPU provider has no
// kernel for are named by its GetCapability ("webgpu kernel not found in
// registries for Op type: GatherND node name: gathernd"), and those onnxruntime
// keeps on CPU by choice (small shape computations, GetCpuPreferredNodes) by
// "Force fallback to CPU execution for node: NAME".
// -> {ep: the GPU provider's name, nokernel: {op: n}, preferred: {op: n}} over the CPU's nodes.
function placements(logs) {
  const lines = logs.join('\n').split('\n');
  const noKernel = new Map(), preferred = new Set(), cpuNodes = new Map();
  let ep = '', cur = null, allCpu = false;
  for (const l of lines) {
    let m = /kernel not found in registries for Op type: (\S+) node name: (.*)$/.exec(l);
    if (m) noKernel.set(m[2].trim(), m[1]);
    m = /Force fallback to CPU execution for node: (.*?)(?: because|$)/.exec(l);
    if (m) preferred.add(m[1].trim());
    const v = l.indexOf('VerifyEachNodeIsAssignedToAnEp] ');
    if (v < 0) continue;
    const t = l.slice(v + 32);
    if (/^Node placements/.test(t)) { cur = null; cpuNodes.clear(); allCpu = false; continue; }
    m = /^\s*(All nodes|Node\(s\)) placed on \[(\w+)\]/.exec(t);
    if (m) {
      cur = m[2];
      if (cur !== 'CPUExecutionProvider') ep = cur;
      else if (m[1] === 'All nodes') allCpu = true;
      continue;
    }
    m = /^\s+([\w.]+) \((.*)\)$/.exec(t);
    if (m && cur === 'CPUExecutionProvider') cpuNodes.set(m[2], m[1]);
  }
  if (allCpu) for (const [n, op] of noKernel) cpuNodes.set(n, op);
  const out = {ep, nokernel: {}, preferred: {}};
  for (const [n, op] of cpuNodes) {
    const k = preferred.has(n) && !noKernel.has(n) ? 'preferred' : 'nokernel';
    out[k][op] = (out[k][op] || 0) + 1;
  }
  return out;
}

const counts = (o) => Object.keys(o).sort().map((k) => k + ':' + o[k]).join(',') || '-';

// A JSEP kernel's C++ exception reaches JavaScript as a bare number (a pointer): not a message.
function clean(m) {
  m = String(m || '').replace(/\s+/g, ' ').trim();
  if (/^\d+$/.test(m)) return 'a C++ exception without a message';
  return m.replace(/^failed to call OrtRun\(\)\. ERROR_CODE: \d+, ERROR_MESSAGE: /, '').slice(0, 200);
}

function verdict(m) {
  const p = placements(m.logs || []);
  return [m.name, m.create, m.run, p.ep || '-', counts(p.nokernel), counts(p.preferred), clean(m.error)].join('\t');
}

function launch(start, profile) {
  const chrome = process.env.SLM_CHROMIUM || 'chromium';
  const url = `http://127.0.0.1:${server.address().port}/?start=${start}${process.env.SLM_WEBGPU_DEBUG ? '&debug' : ''}`;
  return cp.spawn(chrome, ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu',
    '--enable-features=Vulkan,WebGPUService', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader',
    '--disable-vulkan-surface', '--no-first-run', '--no-default-browser-check', '--disable-extensions',
    '--user-data-dir=' + profile, url], {stdio: 'ignore', detached: true});
}

function kill(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  try { process.kill(-proc.pid, 'SIGKILL'); } catch (e) { /* gone already */ }
}

async function main() {
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-webgpu-'));
  const deadline = Date.now() + TOTAL_S * 1000;
  let proc = null;
  const tries = new Map();
  const cleanup = () => { if (proc) kill(proc); fs.rmSync(profile, {recursive: true, force: true}); };
  process.on('exit', cleanup);
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(1));
  while (results.size < names.length && Date.now() < deadline) {
    const next = names.findIndex((n) => !results.has(n));
    proc = launch(next, profile);
    let exited = false;
    proc.on('exit', () => { exited = true; if (wake) wake(); });
    // wait for answers: each restarts the clock (the first may take Chromium's start too)
    let last = Date.now(), seen = results.size, limit = (START_S + MODEL_S) * 1000;
    while (results.size < names.length && !exited && Date.now() < deadline) {
      await new Promise((r) => { wake = r; setTimeout(r, 1000); });
      wake = null;
      if (results.size > seen) { seen = results.size; last = Date.now(); limit = MODEL_S * 1000; }
      else if (Date.now() - last > limit) break; // this model hangs
    }
    kill(proc);
    // a model that hangs or crashes the page gets a second try in a fresh Chromium (a loaded
    // machine can stall SwiftShader past the limit) before its verdict is "timeout"
    const stuck = names.find((n) => !results.has(n));
    if (stuck !== undefined && (tries.set(stuck, (tries.get(stuck) || 0) + 1), tries.get(stuck) >= 2))
      results.set(stuck, [stuck, 'fail', '-', '-', '-', '-', exited ? 'page crashed' : 'timeout'].join('\t'));
  }
  if (adapter) process.stderr.write(`# adapter ${pkg}: ${JSON.stringify(adapter)}\n`);
  for (const n of names) process.stdout.write((results.get(n) || [n, 'fail', '-', '-', '-', '-', 'not judged'].join('\t')) + '\n');
  server.close();
  process.exit(0);
}

main();
