// onnxruntime's verdict on every DIR/*.onnx: node ort_judge.js PACKAGE DIR
// PACKAGE: an alias of tests/oracle/package.json (ort120 ... ort130: onnxruntime-node;
// ortweb120 ... ortweb130: onnxruntime-web, its wasm build in Node, one thread).
// Prints "name<TAB>ok" or "name<TAB>fail<TAB>onnxruntime's message" per model,
// sorted by name.  One release per process (the node builds' shared libraries
// clash); the models are judged in a child process, restarted after a model
// that crashes the runtime (that model's verdict: fail, "crashed: SIGNAL").
const fs = require('fs'), path = require('path'), cp = require('child_process');
const args = process.argv.slice(2);

async function child(pkg, dir, start) {
  const ort = require(pkg);
  const web = pkg.startsWith('ortweb');
  if (web) {
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'fatal';
  }
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort();
  for (const f of names.slice(start)) {
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
    fs.writeSync(1, line + '\n');
  }
}

if (args[0] === '--child') {
  child(args[1], args[2], +args[3]);
} else {
  const [pkg, dir] = args;
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort();
  let done = 0;
  while (done < names.length) {
    const r = cp.spawnSync(process.execPath, [__filename, '--child', pkg, dir, String(done)],
                           {encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'ignore']});
    const lines = r.stdout.split('\n').filter((l) => l);
    for (const l of lines) process.stdout.write(l + '\n');
    done += lines.length;
    if (done < names.length && (r.signal || r.status !== 0 || !lines.length)) {
      process.stdout.write(names[done].slice(0, -5) + '\tfail\tcrashed: ' + (r.signal || 'exit ' + r.status) + '\n');
      done++;
    }
  }
}
