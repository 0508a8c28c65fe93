"""State changes that finish later: what a poller waits for, decided without I/O.

delete, disable, enable and terminate are accepted with 202 and then move the job through transient
states (``disabling``, ``enabling``, ``terminating``, ``deleting``). This module says, for a job state
seen while polling, whether the change has finished, is still on its way, or went somewhere else
(another caller terminated the job being disabled, say). It also encodes the continuation token that
lets a poller be resumed from another process.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Literal

from . import _validation as check

__all__ = ["CHANGES", "JobStateChange", "Verdict"]

Verdict = Literal["Succeeded", "InProgress", "Failed"]
_TOKEN_PREFIX = "azbatch-job-lro:"


@dataclass(frozen=True, slots=True)
class JobStateChange:
    """A change a job is expected to go through: its final state and the states on the way.

    ``target`` ``None`` means the job disappears (delete): it is done when the service answers 404.
    """

    operation: str
    target: str | None
    on_the_way: frozenset[str]

    def assess(self, state: str | None) -> Verdict:
        """Judge one observation of the job: its state, or ``None`` when the job no longer exists."""
        if state is None:
            return "Succeeded" if self.target is None else "Failed"
        if state == self.target:
            return "Succeeded"
        return "InProgress" if state in self.on_the_way else "Failed"


_LIVE = frozenset({"active", "disabling", "disabled", "enabling", "terminating", "completed", "deleting"})

CHANGES: dict[str, JobStateChange] = {
    # A deleted job may still show any state briefly before "deleting"; only its absence ends the wait.
    "delete": JobStateChange("delete", None, _LIVE),
    "disable": JobStateChange("disable", "disabled", frozenset({"active", "disabling"})),
    "enable": JobStateChange("enable", "active", frozenset({"disabled", "enabling"})),
    "terminate": JobStateChange(
        "terminate", "completed", frozenset({"active", "disabling", "disabled", "enabling", "terminating"})
    ),
}


def encode_token(operation: str, job_id: str) -> str:
    """An opaque continuation token naming the operation and the job."""
    payload = json.dumps({"operation": operation, "jobId": job_id}, separators=(",", ":")).encode("utf-8")
    return _TOKEN_PREFIX + base64.urlsafe_b64encode(payload).decode("ascii")


def decode_token(token: object, operation: str) -> str:
    """The job id inside a continuation token made by :func:`encode_token` for ``operation``.

    :raises ValueError: the token is malformed or was made for another operation (the message says so).
    """
    text = check.require_str("continuation_token", token)
    if not text.startswith(_TOKEN_PREFIX):
        raise ValueError("continuation_token was not made by an azbatch job poller")
    try:
        payload = json.loads(base64.urlsafe_b64decode(text[len(_TOKEN_PREFIX) :].encode("ascii")))
        token_operation, job_id = payload["operation"], payload["jobId"]
    except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: absurdly nested JSON
        raise ValueError("continuation_token is damaged") from None
    if token_operation != operation:
        raise ValueError(f"continuation_token belongs to a {token_operation} poller, not {operation}")
    return check.resource_id("continuation_token job id", job_id)
