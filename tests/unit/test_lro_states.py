"""Which job states end, continue or fail each state change; poller continuation tokens."""

from __future__ import annotations

import pytest

from azbatch._protocol import _lro


@pytest.mark.parametrize(
    ("operation", "state", "verdict"),
    [
        ("disable", "active", "InProgress"),
        ("disable", "disabling", "InProgress"),
        ("disable", "disabled", "Succeeded"),
        ("disable", "terminating", "Failed"),
        ("disable", None, "Failed"),
        ("enable", "disabled", "InProgress"),
        ("enable", "enabling", "InProgress"),
        ("enable", "active", "Succeeded"),
        ("enable", "completed", "Failed"),
        ("terminate", "active", "InProgress"),
        ("terminate", "terminating", "InProgress"),
        ("terminate", "completed", "Succeeded"),
        ("terminate", "deleting", "Failed"),
        ("delete", "active", "InProgress"),
        ("delete", "deleting", "InProgress"),
        ("delete", None, "Succeeded"),
        ("disable", "hibernating", "Failed"),
    ],
)
def test_assess(operation: str, state: str | None, verdict: str) -> None:
    assert _lro.CHANGES[operation].assess(state) == verdict


def test_token_round_trip_and_checks() -> None:
    token = _lro.encode_token("terminate", "job 1")
    assert _lro.decode_token(token, "terminate") == "job 1"
    with pytest.raises(ValueError, match="terminate poller, not delete"):
        _lro.decode_token(token, "delete")
    with pytest.raises(ValueError, match="damaged"):
        _lro.decode_token(token[:-4] + "!!!!", "terminate")
    with pytest.raises(ValueError, match="not made by an azbatch"):
        _lro.decode_token("https://x/jobs?$skiptoken=1", "terminate")
    with pytest.raises(TypeError, match="continuation_token"):
        _lro.decode_token(42, "terminate")
