"""Typed models of the Batch job API (api-version 2024-02-01.19.0) and its enums.

Every class maps one wire definition; attributes are the snake_case of the wire names (``eTag`` is
``etag``). Build them with keywords, or from wire JSON with ``from_dict``; ``as_dict`` gives wire JSON.
"""

from ._base import BatchEnum, Field, Model
from ._enums import *  # noqa: F403
from ._enums import __all__ as _enum_names
from ._generated import *  # noqa: F403
from ._generated import __all__ as _model_names
from ._options import *  # noqa: F403
from ._options import __all__ as _option_names
from ._results import JobWriteResult

__all__ = ["BatchEnum", "Field", "JobWriteResult", "Model", *_enum_names, *_model_names, *_option_names]
