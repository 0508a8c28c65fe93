"""Properties of the pagers over arbitrary next-link graphs (no HTTP: pages come from a table).

A listing is a table of pages, each with some items and an optional link to another page. Walking it,
both pagers must deliver the items of every page read, in order, and stop with ``BatchPagingError``
exactly when a link leads back to a page already read -- never earlier, never later.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from azbatch._protocol._paging import LinkTracker
from azbatch._sync._paging import LoopSafeItemPaged
from azbatch.aio._paging import LoopSafeItemPaged as AsyncLoopSafeItemPaged
from azbatch.exceptions import BatchPagingError

Page = tuple[list[int], "int | None"]


@st.composite
def listings(draw: st.DrawFn) -> list[Page]:
    """Pages 0..n-1; page i holds 0-3 items and links to any page (or to none)."""
    count = draw(st.integers(1, 12))
    pages: list[Page] = []
    for index in range(count):
        items = [index * 10 + k for k in range(draw(st.integers(0, 3)))]
        target = draw(st.none() | st.integers(0, count - 1))
        pages.append((items, target))
    return pages


def _link(index: int) -> str:
    return f"https://account.region.batch.azure.com/jobs?$skiptoken={index}"


def _expected(pages: list[Page]) -> tuple[list[int], bool]:
    """Items a correct pager delivers, and whether it must end with BatchPagingError."""
    items: list[int] = []
    followed: set[int] = set()
    index: int | None = 0
    first = True
    while index is not None:
        if not first:
            if index in followed:
                return items, True
            followed.add(index)
        first = False
        page_items, index = pages[index]
        items += page_items
    return items, False


class _Server:
    """Serves the table's pages; refuses to serve more than a correct pager could ever ask for."""

    def __init__(self, pages: list[Page]) -> None:
        self.pages = pages
        self.requests = 0

    def fetch(self, token: str | None) -> Page:
        # Each page can be reached at most twice (first read and one link to it), so more requests
        # than that mean the pager is looping; fail instead of running forever.
        self.requests += 1
        assert self.requests <= 2 * len(self.pages) + 1, "the pager kept following a loop"
        return self.pages[0 if token is None else int(token.rsplit("=", 1)[1])]


def _extract(page: Page) -> tuple[str | None, list[int]]:
    items, target = page
    return (None if target is None else _link(target)), items


@given(listings())
def test_the_sync_pager_stops_exactly_at_the_first_repeated_link(pages: list[Page]) -> None:
    expected, loops = _expected(pages)
    server = _Server(pages)
    pager: Any = LoopSafeItemPaged(server.fetch, _extract)

    seen: list[int] = []
    if loops:
        with pytest.raises(BatchPagingError):
            for item in pager:
                seen.append(item)
    else:
        seen = list(pager)

    assert seen == expected


@given(listings())
def test_the_async_pager_stops_exactly_at_the_first_repeated_link(pages: list[Page]) -> None:
    expected, loops = _expected(pages)

    server = _Server(pages)

    async def get_next(token: str | None) -> Page:
        return server.fetch(token)

    async def extract(page: Page) -> tuple[str | None, list[int]]:
        return _extract(page)

    async def walk() -> tuple[list[int], bool]:
        seen: list[int] = []
        try:
            async for item in AsyncLoopSafeItemPaged(get_next, extract):
                seen.append(item)
        except BatchPagingError:
            return seen, True
        return seen, False

    assert asyncio.run(walk()) == (expected, loops)


@given(st.lists(st.integers(0, 30), max_size=200), st.integers(1, 8))
def test_the_bounded_tracker_never_raises_falsely_and_finds_every_cycle(links: list[int], limit: int) -> None:
    # Any sequence of links, then a cycle through them: no alarm before a link truly repeats, and an
    # alarm within a bounded number of further steps once the walk is periodic.
    tracker = LinkTracker(limit=limit)
    seen: set[int] = set()
    for link in links:
        try:
            key = tracker.check(_link(link))
        except BatchPagingError:
            assert link in seen, "alarm for a link never followed before"
            return
        tracker.record(key)
        seen.add(link)
    cycle = [1000 + k for k in range(1 + len(links) % 7)]
    for step in range(4 * (len(links) + len(cycle)) + 8):
        try:
            tracker.record(tracker.check(_link(cycle[step % len(cycle)])))
        except BatchPagingError:
            assert step >= len(cycle)
            return
    raise AssertionError("a periodic walk was never reported")
