// onnxruntime's own graph optimizer on the repository's tiny checkpoint: the
// models of tests/corpus/ort/ (PROVENANCE.md).  Run from the repository root:
//   NODE_PATH=tests/oracle/node_modules node tests/corpus/tools/ort_optimize.js
// onnxruntime-node 1.30.0 (the ort130 alias of tests/oracle/package.json),
// CPU provider, graphOptimizationLevel 'extended', optimizedModelFilePath.
const ort = require('ort130');
const jobs = [
  ['examples/tiny-qwen2/onnx/model.onnx', 'tests/corpus/ort/tiny_qwen2_ort_extended.onnx'],
  ['examples/tiny-qwen2/onnx/model_q4.onnx', 'tests/corpus/ort/tiny_qwen2_q4_ort_extended.onnx'],
];
(async () => {
  for (const [src, dst] of jobs) {
    await ort.InferenceSession.create(src, {graphOptimizationLevel: 'extended', optimizedModelFilePath: dst,
                                            executionProviders: ['cpu'], intraOpNumThreads: 1});
    console.log(dst);
  }
})();
