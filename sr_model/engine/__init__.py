"""The conformance engine: pytest-free, and the one owner of each decision.

* `reference`  - the eager model and its weights: `resolve_reference()` (one default everywhere);
* `target`     - a file under test, its form detected from the graph and its provenance read back;
* `selection`  - which targets a run checks, probed from the installed stack;
* `cases`      - the named case sets (grid, large, face, verify's sweep);
* `tolerance`  - the tolerance policy: `expect()` is the only place a case's bound is chosen;
* `deviations` - declared deviations, each passing only for the mismatch it declares;
* `graph`      - the graph contract checks; `golden` - normalised graph snapshots;
* `run`        - `TargetRun` / `check_target` / `verify_file`: graph, weights, then cases;
* `results`    - the result model (case, target, run) that every rendering reads;
* `oracle`     - onnx.reference as a third oracle; `compare` - error statistics;
* `repro`, `localise` - what a failing case leaves behind, and where the graph parts from the model.

The pytest plugin (`sr_model.pytest_plugin`), the CLI (`sr_model.commands`) and the renderings
(`sr_model.report`) sit above it; nothing here imports them (a layers contract in pyproject.toml,
checked in CI).
"""
