"""Helpers for test files, yours included: `from sr_model.testing import asserts`.

* `asserts`    - assert helpers whose messages say what, got, expected and the case
                 (`assert_conforms` for an engine case result, `assert_parity`, `assert_graph_conforms`);
* `strategies` - Hypothesis strategies (float32 scales, shapes, content): the only hypothesis import;
* `recording`  - where the asserts report each result, for the conformance report to listen to;
* `broken`     - deliberately broken exporters, each a regression the checks must catch;
* `mutations`  - graph edits that break a good file in one known way (negative controls);
* `tensorrt`   - what onnx-tensorrt's importer source says about a file (static findings; no TensorRT run).

The checks themselves (graph contract, comparison, tolerance, cases, deviations) live in the engine,
`sr_model.engine`, which every entry point drives; the pytest plugin is `sr_model.pytest_plugin`.
"""
