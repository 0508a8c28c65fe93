"""Run one piece of work per item with at most N at a time: asyncio for the async client, threads for sync.

Hand-written rather than generated: ``scripts/unasync.py`` rewrites tokens, and a semaphore-and-tasks
runner has no token-for-token thread-pool twin. ``aio/_lifecycle.py`` calls :func:`run_bounded_async`;
the generated ``_sync/_lifecycle.py`` calls :func:`run_bounded` in its place. Both return the results in
the items' order and call ``on_done`` for each result as it arrives, in the caller's task or thread.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import TypeVar

__all__ = ["run_bounded", "run_bounded_async"]

T = TypeVar("T")
R = TypeVar("R")


async def run_bounded_async(
    items: Sequence[T],
    work: Callable[[T], Awaitable[R]],
    limit: int,
    on_done: Callable[[R], None] | None = None,
) -> list[R]:
    """Await ``work(item)`` for every item, ``limit`` at a time; results in the items' order.

    If ``work`` or ``on_done`` raises, the other workers are cancelled and the error propagates.
    """
    results: dict[int, R] = {}
    indexes = iter(range(len(items)))

    async def worker() -> None:
        # One shared iterator: each index is taken by exactly one worker (no await inside next()).
        for index in indexes:
            result = await work(items[index])
            results[index] = result
            if on_done is not None:
                on_done(result)

    # A fixed set of workers rather than a task per item: ten thousand ids make eight tasks, not 10,000.
    workers = [asyncio.ensure_future(worker()) for _ in range(min(limit, len(items)))]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    return [results[i] for i in range(len(items))]


def run_bounded(
    items: Sequence[T],
    work: Callable[[T], R],
    limit: int,
    on_done: Callable[[R], None] | None = None,
) -> list[R]:
    """Call ``work(item)`` for every item on up to ``limit`` threads; results in the items' order.

    ``on_done`` runs in the calling thread. If ``work`` or ``on_done`` raises, work not yet started is
    cancelled, the running calls are waited for, and the error propagates.
    """
    if not items:
        return []
    results: dict[int, R] = {}
    with ThreadPoolExecutor(max_workers=min(limit, len(items)), thread_name_prefix="azbatch-bulk") as pool:
        # Each call runs in a copy of the caller's context, so tracing spans and context variables
        # set around the bulk call are seen by the requests made in the worker threads.
        futures: dict[Future[R], int] = {
            pool.submit(contextvars.copy_context().run, work, item): index for index, item in enumerate(items)
        }
        try:
            for future in as_completed(futures):
                result = future.result()
                results[futures[future]] = result
                if on_done is not None:
                    on_done(result)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return [results[i] for i in range(len(items))]
