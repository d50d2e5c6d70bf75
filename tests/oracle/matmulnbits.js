// onnxruntime's own MatMulNBits on the models of tests/reference/quant_oracle_cases.py:
// node matmulnbits.js DIR  -> DIR/NAME.ort (float32 raw Y) for each line of DIR/cases.tsv,
// or DIR/NAME.err with onnxruntime's error.  One intra-op thread.
const fs = require('fs');
const ort = require('onnxruntime-node');
(async () => {
  const dir = process.argv[2];
  const lines = fs.readFileSync(`${dir}/cases.tsv`, 'utf8').trim().split('\n');
  for (const line of lines) {
    const [name, M, K, N, dtype] = line.split('\t');
    try {
      const s = await ort.InferenceSession.create(`${dir}/${name}.onnx`, {intraOpNumThreads: 1, logSeverityLevel: 3});
      const xb = fs.readFileSync(`${dir}/${name}.x`);
      const x32 = new Float32Array(xb.buffer.slice(xb.byteOffset, xb.byteOffset + xb.length));
      let a;
      if (dtype === 'float16') {
        const h = new Uint16Array(x32.length);
        const f = new Float32Array(1), u = new Uint32Array(f.buffer);
        for (let i = 0; i < x32.length; i++) { // fp16-exact values: truncation is exact
          f[0] = x32[i];
          const b = u[0], sign = (b >>> 16) & 0x8000, e = ((b >>> 23) & 0xff) - 127 + 15, m = b & 0x7fffff;
          h[i] = x32[i] === 0 ? sign : e <= 0 ? sign | ((m | 0x800000) >>> (14 - e)) : sign | (e << 10) | (m >>> 13);
        }
        a = new ort.Tensor('float16', h, [+M, +K]);
      } else {
        a = new ort.Tensor('float32', x32, [+M, +K]);
      }
      const r = await s.run({A: a});
      let y = r.Y.data;
      if (dtype === 'float16') { // to float32
        const o = new Float32Array(y.length);
        for (let i = 0; i < y.length; i++) {
          const v = y[i], s = v & 0x8000 ? -1 : 1, e = (v >> 10) & 0x1f, m = v & 0x3ff;
          o[i] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
        }
        y = o;
      }
      fs.writeFileSync(`${dir}/${name}.ort`, Buffer.from(new Float32Array(y).buffer));
    } catch (e) {
      fs.writeFileSync(`${dir}/${name}.err`, String(e));
    }
  }
})();
