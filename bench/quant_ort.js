// onnxruntime-node MatMulNBits timing for bench/quant.sh (one intra-op thread):
//   node quant_ort.js MODEL M REPS [NAME]
// MODEL has one or more MatMulNBits nodes on input x0 [M, 4096] (gemm.onnx: one; gemm_cold.onnx: 26
// with weights of their own, so each run reads them all from DRAM); the time of one run is divided by
// the number of nodes.  Each run is timed by the wall clock and by this process's CPU time (user +
// system, process.cpuUsage: the machine is shared); medians and best of REPS runs are printed as
//   NAME: wall median W ms best B ms, cpu median C ms best D ms
const ort = require('onnxruntime-node');
(async () => {
  const [file, M, reps] = [process.argv[2], +process.argv[3], +process.argv[4]];
  const name = process.argv[5] || `onnxruntime M=${M}`;
  const s = await ort.InferenceSession.create(file, {intraOpNumThreads: 1, interOpNumThreads: 1,
                                                     executionMode: 'sequential'});
  const nodes = s.outputNames.length;
  const x = new Float32Array(M * 4096);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i);
  const feed = {x0: new ort.Tensor('float32', x, [M, 4096])};
  for (let i = 0; i < 3; i++) await s.run(feed);
  const wall = [], cpu = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage(), a = process.hrtime.bigint();
    await s.run(feed);
    const w = Number(process.hrtime.bigint() - a) / 1e6, c = process.cpuUsage(c0);
    wall.push(w / nodes);
    cpu.push((c.user + c.system) / 1e3 / nodes);
  }
  const med = v => v.slice().sort((p, q) => p - q)[v.length >> 1], best = v => Math.min(...v);
  console.log(`${name}: wall median ${med(wall).toFixed(3)} ms best ${best(wall).toFixed(3)} ms, ` +
              `cpu median ${med(cpu).toFixed(3)} ms best ${best(cpu).toFixed(3)} ms ` +
              `(onnxruntime-node ${require('onnxruntime-node/package.json').version}, ${nodes} node(s) a run)`);
})();
