"""What is specific to this repository's own test run.

Options, fixtures, parametrization and the Hypothesis profiles come from the installed `sr_model`
pytest plugin (`sr_model.pytest_plugin`, entry point `pytest11`), so they work from any directory;
the repository adds pytester, for the tests that run the plugin itself, and keeps those nested runs
at a user's depth.
"""

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _nested_runs_at_the_dev_depth(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pytest run nested in a test (pytester) is a user's run: the `dev` Hypothesis depth, whatever
    depth the outer run uses (CI's `ci` profile would make each nested property test 8x longer)."""
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "dev")
