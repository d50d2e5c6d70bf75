// onnxruntime-node MatMulNBits timing for bench/quant.sh: node quant_ort.js gemm.onnx M REPS
const ort = require('onnxruntime-node');
(async () => {
  const [file, M, reps] = [process.argv[2], +process.argv[3], +process.argv[4]];
  const s = await ort.InferenceSession.create(file, {intraOpNumThreads: 1, interOpNumThreads: 1,
                                                     executionMode: 'sequential'});
  const x = new Float32Array(M * 4096);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i);
  const feed = {x0: new ort.Tensor('float32', x, [M, 4096])};
  for (let i = 0; i < 3; i++) await s.run(feed);
  const t = [];
  for (let i = 0; i < reps; i++) {
    const a = process.hrtime.bigint();
    await s.run(feed);
    t.push(Number(process.hrtime.bigint() - a) / 1e6);
  }
  t.sort((a, b) => a - b);
  console.log(`onnxruntime-node ${require('onnxruntime-node/package.json').version} M=${M}: median ${t[t.length >> 1].toFixed(3)} ms, best ${t[0].toFixed(3)} ms`);
})();
