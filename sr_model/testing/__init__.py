"""The conformance checks as a library: import them into your own suite.

* `contract`  - graph checks: names, dtypes, dynamic axes, the upsample fed by `factor`, opset;
* `tolerance` - the tolerance model, one function with the measured reason for every term;
* `compare`   - error statistics between two outputs (max/mean/p99, argmax, histogram, min tol);
* `asserts`   - assert helpers with messages that say what, got, expected and the case;
* `cases`     - the named parity grid as small NamedTuple cases with identifier-safe ids;
* `parity`    - run one case through PyTorch and ONNX Runtime;
* `mutations` - graph edits that break a good file in one known way (negative controls);
* `recording` - where `assert_parity` reports each comparison, for whoever listens;
* `report_plugin` - pytest plugin: the conformance matrix and `--conformance-report DIR`;
* `strategies` - Hypothesis strategies (float32 scales, shapes, content): the only hypothesis import;
* `oracle`    - onnx.reference as a third oracle, on a file's upsampling subgraph or the whole file;
* `golden`    - normalised JSON graph snapshots and their diffs;
* `broken`    - deliberately broken exporters, each a regression the checks must catch;
* `conformance` - graph checks plus a quick parity sweep on one file, as a list of failures;
* `tensorrt`  - ops whose inputs TensorRT's ONNX parser needs as constants (static check).
"""
