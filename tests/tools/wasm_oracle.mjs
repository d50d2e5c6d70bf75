// Independent view of a WebAssembly library for tests/cli/wasm_corpus.sh:
// node's own compiler lists imports and exports; the _metadata JSON is found
// by its first key and read with JSON's own parser (raw prefix, no length).
import { readFileSync } from "node:fs";
const buf = readFileSync(process.argv[2]);
const mod = new WebAssembly.Module(buf);
const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`);
const exports = WebAssembly.Module.exports(mod).map((e) => e.name);
const text = buf.toString("latin1");
const at = text.indexOf('{"model_type"');
let meta = null;
if (at >= 0) {
  // grow the candidate until JSON.parse accepts it (the object ends at a '}')
  for (let end = text.indexOf("}", at); end > 0; end = text.indexOf("}", end + 1)) {
    try {
      meta = JSON.parse(buf.subarray(at, end + 1).toString("utf8"));
      break;
    } catch (e) {}
  }
}
const out = { imports, exports, offset: at };
if (meta) {
  out.model_type = meta.model_type;
  out.quantization = meta.quantization;
  out.context_window_size = meta.context_window_size;
  out.prefill_chunk_size = meta.prefill_chunk_size;
  out.params = meta.params.map((p) => ({ name: p.name, shape: p.shape, dtype: p.dtype }));
}
console.log(JSON.stringify(out));
