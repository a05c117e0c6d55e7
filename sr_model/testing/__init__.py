"""The conformance checks as a library: import them into your own suite.

* `contract`  - graph checks: names, dtypes, dynamic axes, the one Resize fed by `factor`, opset;
* `tolerance` - the tolerance model, one function with the measured reason for every term;
* `compare`   - error statistics between two outputs (max/mean/p99, argmax, histogram, min tol);
* `asserts`   - assert helpers with messages that say what, got, expected and the case;
* `cases`     - the named parity grid as small NamedTuple cases with identifier-safe ids;
* `parity`    - run one case through PyTorch and ONNX Runtime;
* `mutations` - graph edits that break a good file in one known way (negative controls);
* `recording` - where `assert_parity` reports each comparison, for whoever listens;
* `report_plugin` - pytest plugin: the conformance matrix and `--conformance-report DIR`.
"""
