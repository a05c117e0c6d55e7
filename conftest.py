"""What is specific to this repository's own test run.

Options, fixtures, parametrization and the Hypothesis profiles come from the installed `sr_model`
pytest plugin (`sr_model.pytest_plugin`, entry point `pytest11`), so they work from any directory;
the repository adds pytester, for the tests that run the plugin itself.
"""

pytest_plugins = ["pytester"]
