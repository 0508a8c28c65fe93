"""Hypothesis settings for the property tests: deterministic, modest, no deadline.

``derandomize`` makes every run try the same examples, so a failure in CI is reproducible locally and the
suite's duration does not vary; ``database=None`` keeps the runs from writing a ``.hypothesis`` folder.
Set ``HYPOTHESIS_PROFILE=thorough`` for a longer, randomised local search.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "azbatch",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "azbatch"))
