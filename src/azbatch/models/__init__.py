"""Typed models of the Batch job API and its enums, one set for api-versions 2024-02-01.19.0,
2024-07-01.20.0 and 2025-06-01.

Every class maps one wire definition; attributes are the snake_case of the wire names (``eTag`` is
``etag``). Build them with keywords, or from wire JSON with ``from_dict``; ``as_dict`` gives wire JSON.
Class names are the 2024 ones (as in azure-batch 14.x); the 2025-06-01 names (``BatchJob``,
``BatchJobState``, ...) are aliases of the same classes. A property the client's api-version does not
know is refused before a request is sent (:class:`azbatch.exceptions.ApiVersionError`).
"""

from typing import TYPE_CHECKING, Any

from ._base import BatchEnum, Field, Model
from ._enums import *  # noqa: F403
from ._enums import __all__ as _enum_names
from ._generated import *  # noqa: F403
from ._generated import __all__ as _model_names
from ._lifecycle import BulkOutcome, BulkResult, BulkStatus, JobSnapshot
from ._options import *  # noqa: F403
from ._options import __all__ as _option_names
from ._results import JobWriteResult

__all__ = [
    "BatchEnum",
    "BatchErrorException",
    "BulkOutcome",
    "BulkResult",
    "BulkStatus",
    "Field",
    "JobSnapshot",
    "JobWriteResult",
    "Model",
    *_enum_names,
    *_model_names,
    *_option_names,
]

if TYPE_CHECKING:
    from ..exceptions import BatchErrorException


def __getattr__(name: str) -> Any:
    # azure-batch 14.x code catches ``batchmodels.BatchErrorException``; resolved lazily because the
    # exceptions module itself imports these models.
    if name == "BatchErrorException":
        from ..exceptions import BatchErrorException

        return BatchErrorException
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
