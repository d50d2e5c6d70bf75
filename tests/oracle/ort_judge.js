// onnxruntime's verdict on every DIR/*.onnx: node ort_judge.js PACKAGE DIR
// PACKAGE: an alias of tests/oracle/package.json (ort120 ... ort130: onnxruntime-node;
// ortweb120 ... ortweb130: onnxruntime-web, its wasm build in Node, one thread).
// Prints "name<TAB>ok" or "name<TAB>fail<TAB>onnxruntime's message" per model,
// sorted by name.  One release per process: the node builds' shared libraries clash.
const fs = require('fs'), path = require('path');
const [pkg, dir] = process.argv.slice(2);
const ort = require(pkg);
const web = pkg.startsWith('ortweb');
if (web) {
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'fatal';
}
(async () => {
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort();
  for (const f of names) {
    const p = path.join(dir, f);
    let line = f.slice(0, -5) + '\tok';
    try {
      const s = await ort.InferenceSession.create(web ? new Uint8Array(fs.readFileSync(p)) : p, {logSeverityLevel: 4});
      if (s.release) await s.release();
    } catch (e) {
      let m = String(e && e.message !== undefined ? e.message : e);
      const i = m.indexOf(', Error ');
      if (i >= 0) m = m.slice(i + 8);
      m = m.replace(/^Can't create a session\. ERROR_CODE: \d+, ERROR_MESSAGE: /, '');
      line = f.slice(0, -5) + '\tfail\t' + m.replace(/\s+/g, ' ').slice(0, 300);
    }
    process.stdout.write(line + '\n');
  }
})();
