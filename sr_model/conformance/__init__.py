"""The conformance suite itself, shipped in the package so it travels to the user.

Run it on your own exported file, from any directory:

    pytest --pyargs sr_model.conformance --onnx-model m.onnx [--model MODULE:FACTORY] [--checkpoint PTH]

or, without `--onnx-model`, on files this package exports at every opset the installed stack
supports. Options, fixtures and parametrization come from the `sr_model` pytest plugin
(`sr_model.pytest_plugin`); these modules hold only the tests. Needs the `test` extra
(`pip install 'sr-model[test]'`: pytest and hypothesis).
"""
