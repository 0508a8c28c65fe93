"""The async client's default transport: azure-core's aiohttp transport, minus aiohttp's own resend.

aiohttp resends an idempotent request (GET, PUT, DELETE) once, silently, when the server hangs up on it.
That happens below azure-core's retry policy, which then never learns that a first attempt may already
have been applied: a DELETE whose answer was lost comes back as ``JobBeingDeleted`` and would be reported
as a failure although the delete took effect. azbatch's retry policy repeats requests itself, knowing
what a repeat means for each Batch operation, so the transport must not repeat anything on its own.
"""

from __future__ import annotations

from typing import Any

# The class lives in a private module; the public name is a lazy alias that type checkers see as Any.
from azure.core.pipeline.transport._aiohttp import AioHttpTransport

__all__ = ["SingleAttemptAioHttpTransport"]


class SingleAttemptAioHttpTransport(AioHttpTransport):
    """``AioHttpTransport`` whose session sends each request once; retries belong to the pipeline."""

    async def open(self) -> None:
        """Open the session as azure-core does, then turn off aiohttp's own resend."""
        await super().open()  # type: ignore[no-untyped-call]  # untyped in azure-core
        session: Any = self.session
        # aiohttp keeps the switch private (its test client turns it off the same way); when a future
        # aiohttp renames it, the resend comes back, which costs a verification, not correctness.
        if session is not None and hasattr(session, "_retry_connection"):
            session._retry_connection = False
