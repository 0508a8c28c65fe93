"""The soak benchmark's workload: seeded job "scripts" and how one step runs on each client.

A script is either one listing (a few pages of ``jobs.list``) or the life of one job: ``add``, then a
random walk over the operations that are valid in the job's current state (get, patch, update,
get_task_counts, disable, enable, terminate, delete). The emulator runs with ``transition_ms=0``, so
after each successful step the job's state is known exactly; a ``get`` checks it, and the state of a
script that ran without a failure is checked against the emulator at the end.

Scripts depend only on the seed and their index, and each step's ``client-request-id`` only on the seed,
the script index and the step number -- not on the job id prefix. Both clients therefore run the same
scripts and (through the fault proxy, which keys its decisions on that id) meet the same faults.
"""

from __future__ import annotations

import hashlib
import random
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from azbatch.models import (
    JobAddParameter,
    JobPatchParameter,
    JobUpdateParameter,
    MetadataItem,
    PoolInformation,
)

__all__ = ["OPERATIONS", "Script", "Step", "Workload", "async_step", "generate_scripts", "sync_step"]

OPERATIONS = (
    "add",
    "get",
    "list",
    "patch",
    "update",
    "disable",
    "enable",
    "terminate",
    "delete",
    "get_task_counts",
)
POOL_ID = "soak-pool"
GONE = "gone"
LIST_SHARE = 0.25  # share of scripts that are a listing instead of a job's life (~5 % of operations)
LIST_PAGE_SIZES = (10, 50, 100)

# Valid next operations per state, with weights. Reads dominate, as in real use.
_NEXT: dict[str, tuple[tuple[str, int], ...]] = {
    "active": (
        ("get", 4),
        ("patch", 2),
        ("update", 1),
        ("get_task_counts", 2),
        ("disable", 2),
        ("terminate", 1),
        ("delete", 1),
    ),
    "disabled": (
        ("get", 2),
        ("patch", 1),
        ("update", 1),
        ("get_task_counts", 1),
        ("enable", 3),
        ("terminate", 1),
        ("delete", 1),
    ),
    "completed": (("get", 2), ("get_task_counts", 1), ("delete", 2)),
}
_STATE_AFTER = {
    "add": "active",
    "disable": "disabled",
    "enable": "active",
    "terminate": "completed",
    "delete": GONE,
}


@dataclass(frozen=True)
class Step:
    """One call: the operation, its job (None for list), its request id, the job's state after it succeeds.

    ``arg`` is the priority for add/patch/update and the page size for list; ``pages`` how many list
    pages to read.
    """

    op: str
    job_id: str | None
    crid: str
    expect: str | None
    arg: int = 0
    pages: int = 1


@dataclass(frozen=True)
class Script:
    """Steps run in order by one worker; a failed step ends the script (its job's state is then unknown)."""

    index: int
    job_id: str | None
    steps: tuple[Step, ...]


def _crid(seed: int, index: int, step: int) -> str:
    digest = hashlib.blake2b(f"soak|{seed}|{index}|{step}".encode(), digest_size=16).digest()
    return str(uuid.UUID(bytes=digest, version=4))


def _pick(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    names = [name for name, _ in choices]
    weights = [weight for _, weight in choices]
    return rng.choices(names, weights)[0]


def make_script(seed: int, index: int, prefix: str) -> Script:
    """Script number ``index`` for ``seed``; job ids are ``<prefix><index>``."""
    rng = random.Random(f"{seed}:{index}")
    if rng.random() < LIST_SHARE:
        step = Step("list", None, _crid(seed, index, 0), None, rng.choice(LIST_PAGE_SIZES), rng.randint(1, 3))
        return Script(index, None, (step,))
    job_id = f"{prefix}{index:06d}"
    steps = [Step("add", job_id, _crid(seed, index, 0), "active", rng.randint(-100, 100))]
    state = "active"
    for n in range(1, rng.randint(3, 11)):
        op = _pick(rng, _NEXT[state])
        state = _STATE_AFTER.get(op, state)
        steps.append(Step(op, job_id, _crid(seed, index, n), state, rng.randint(-100, 100)))
        if state == GONE:
            break
    return Script(index, job_id, tuple(steps))


def generate_scripts(seed: int, prefix: str) -> Iterator[Script]:
    """Scripts 0, 1, 2, ... for ``seed`` (endless)."""
    index = 0
    while True:
        yield make_script(seed, index, prefix)
        index += 1


class Workload:
    """Hands out scripts and a fixed budget of operations to concurrent workers (thread-safe)."""

    def __init__(self, seed: int, prefix: str, total_ops: int) -> None:
        self._lock = threading.Lock()
        self._scripts = generate_scripts(seed, prefix)
        self._left = total_ops
        self.prefix = prefix

    def next_script(self) -> Script | None:
        """The next script, or None once the budget is spent."""
        with self._lock:
            return next(self._scripts) if self._left > 0 else None

    def claim(self) -> bool:
        """Take one operation from the budget; False when none is left."""
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True


def _add_body(step: Step) -> JobAddParameter:
    assert step.job_id is not None
    return JobAddParameter(
        id=step.job_id,
        priority=step.arg,
        pool_info=PoolInformation(pool_id=POOL_ID),
        metadata=[MetadataItem(name="soak", value=step.crid)],
    )


def _update_body(step: Step) -> JobUpdateParameter:
    # The same pool: changing poolInfo is only allowed on a disabled job.
    return JobUpdateParameter(priority=step.arg, pool_info=PoolInformation(pool_id=POOL_ID))


def _state(job: Any) -> str:
    state = getattr(job, "state", None)
    return str(getattr(state, "value", state))


async def async_step(jobs: Any, step: Step, kw: dict[str, Any], list_filter: str) -> str | None:
    """Run ``step`` on an ``azbatch.aio`` client's ``jobs``; returns the job state a get saw."""
    job_id = step.job_id or ""
    if step.op == "add":
        await jobs.add(_add_body(step), **kw)
    elif step.op == "get":
        return _state(await jobs.get(job_id, **kw))
    elif step.op == "list":
        pages = jobs.list(filter=list_filter, max_results=step.arg, **kw).by_page()
        for _ in range(step.pages):
            try:
                page = await pages.__anext__()
            except StopAsyncIteration:
                break
            async for job in page:
                _state(job)
    elif step.op == "patch":
        await jobs.patch(job_id, JobPatchParameter(priority=step.arg), **kw)
    elif step.op == "update":
        await jobs.update(job_id, _update_body(step), **kw)
    elif step.op == "disable":
        await jobs.disable(job_id, "requeue", **kw)
    elif step.op == "enable":
        await jobs.enable(job_id, **kw)
    elif step.op == "terminate":
        await jobs.terminate(job_id, "soak", **kw)
    elif step.op == "delete":
        await jobs.delete(job_id, **kw)
    elif step.op == "get_task_counts":
        await jobs.get_task_counts(job_id, **kw)
    else:
        raise ValueError(f"unknown operation {step.op!r}")
    return None


def sync_step(jobs: Any, step: Step, kw: dict[str, Any], list_filter: str) -> str | None:
    """Run ``step`` on an ``azbatch.BatchClient``'s ``jobs``; returns the job state a get saw."""
    job_id = step.job_id or ""
    if step.op == "add":
        jobs.add(_add_body(step), **kw)
    elif step.op == "get":
        return _state(jobs.get(job_id, **kw))
    elif step.op == "list":
        pages = jobs.list(filter=list_filter, max_results=step.arg, **kw).by_page()
        for _ in range(step.pages):
            page = next(pages, None)
            if page is None:
                break
            for job in page:
                _state(job)
    elif step.op == "patch":
        jobs.patch(job_id, JobPatchParameter(priority=step.arg), **kw)
    elif step.op == "update":
        jobs.update(job_id, _update_body(step), **kw)
    elif step.op == "disable":
        jobs.disable(job_id, "requeue", **kw)
    elif step.op == "enable":
        jobs.enable(job_id, **kw)
    elif step.op == "terminate":
        jobs.terminate(job_id, "soak", **kw)
    elif step.op == "delete":
        jobs.delete(job_id, **kw)
    elif step.op == "get_task_counts":
        jobs.get_task_counts(job_id, **kw)
    else:
        raise ValueError(f"unknown operation {step.op!r}")
    return None
