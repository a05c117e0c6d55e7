"""What is specific to this repository's own test run: the Hypothesis depth.

Options, fixtures and parametrization come from the installed `sr_model` pytest plugin
(`sr_model.pytest_plugin`, entry point `pytest11`), so they work from any directory.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Profiles: `dev` for quick local runs, `ci` (hypothesis' own ci profile: derandomized, no
# database, plus >= 200 examples) and `thorough`. Export and ORT runs are too uneven for deadlines.
_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=_SUPPRESS)
settings.register_profile(
    "ci", parent=settings.get_profile("ci"), max_examples=200, deadline=None, suppress_health_check=_SUPPRESS
)
settings.register_profile("thorough", max_examples=2000, deadline=None, suppress_health_check=_SUPPRESS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
pytest_plugins = ["pytester"]
