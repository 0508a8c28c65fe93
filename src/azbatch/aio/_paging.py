"""The listings' pager: azure-core's pager, iterative and safe against next-link loops.

``scripts/unasync.py`` generates ``azbatch/_sync/_paging.py`` from this file.

Two differences from azure-core's classes, whose public behaviour (``by_page``, ``continuation_token``,
the continuation token recorded on an error) is otherwise kept:

* items are fetched in a loop: azure-core's async pager recurses once per empty page, so a long run of
  empty pages (which the service may legitimately send) ended in ``RecursionError``;
* each iteration remembers the links it followed and raises
  :class:`~azbatch.exceptions.BatchPagingError` instead of following one a second time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeVar

from azure.core.async_paging import AsyncItemPaged, AsyncPageIterator

from .._protocol._paging import LinkTracker

__all__ = ["LoopSafeItemPaged", "LoopSafePageIterator"]

ReturnType = TypeVar("ReturnType")


class LoopSafePageIterator(AsyncPageIterator[ReturnType]):
    """The pages of one listing; refuses a next link it has already followed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._links = LinkTracker()

    async def __anext__(self) -> AsyncIterator[ReturnType]:
        token = self.continuation_token
        if token is None:
            return await super().__anext__()
        # Checked before azure-core sends the request, so the error has no continuation token to
        # resume from: resuming from the repeated link would only loop again.
        key = self._links.check(token)
        page = await super().__anext__()
        # Recorded once the page has been read: retrying a page that failed is not a loop.
        self._links.record(key)
        return page


class LoopSafeItemPaged(AsyncItemPaged[ReturnType]):
    """The items of a listing, page after page, without recursion however many pages are empty."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("page_iterator_class", LoopSafePageIterator)
        super().__init__(*args, **kwargs)
        self._pages: AsyncIterator[AsyncIterator[ReturnType]] | None = None
        self._items: AsyncIterator[ReturnType] | None = None

    async def __anext__(self) -> ReturnType:
        if self._pages is None:
            self._pages = self.by_page()
        while True:
            if self._items is None:
                # StopAsyncIteration from the page iterator ends the items too.
                self._items = await self._pages.__anext__()
            try:
                return await self._items.__anext__()
            except StopAsyncIteration:
                self._items = None
