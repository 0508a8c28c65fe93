"""The exported names are deliberate, and the client never imports the emulator or optional extras."""

from __future__ import annotations

import subprocess
import sys

import azbatch
import azbatch.aio
import azbatch.filters
import azbatch.models


def test_top_level_exports() -> None:
    assert sorted(azbatch.__all__) == sorted(
        [
            "BatchAuthenticationError",
            "BatchClient",
            "BatchConflictError",
            "BatchErrorCode",
            "BatchResourceExistsError",
            "BatchResourceModifiedError",
            "BatchResourceNotFoundError",
            "BatchResourceNotModifiedError",
            "BatchServiceError",
            "BatchTimeoutError",
            "BatchWaitTimeoutError",
            "ClientRawResponse",
            "JobOperations",
            "JobWriteResult",
            "__version__",
            "models",
        ]
    )
    for name in azbatch.__all__:
        assert getattr(azbatch, name) is not None


def test_aio_exports() -> None:
    assert sorted(azbatch.aio.__all__) == ["BatchClient", "JobOperations"]


def test_filters_exports() -> None:
    assert sorted(azbatch.filters.__all__) == [
        "ExecutionInfoFields",
        "F",
        "Filter",
        "FilterFields",
        "LISTINGS",
        "Property",
        "TaskExecutionInfoFields",
        "quote",
    ]


def test_every_public_name_has_a_docstring() -> None:
    for module in (azbatch, azbatch.aio, azbatch.models, azbatch.filters):
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) or callable(value):
                assert (value.__doc__ or "").strip(), f"{module.__name__}.{name} has no docstring"


def test_seed_names_exist() -> None:
    for name in (
        "CloudJob",
        "JobAddParameter",
        "JobPatchParameter",
        "JobUpdateParameter",
        "PoolInformation",
        "TaskCountsResult",
        "TaskCounts",
        "TaskSlotCounts",
        "JobPreparationAndReleaseTaskExecutionInformation",
        "BatchError",
        "JobListOptions",
        "JobAddOptions",
        "JobSnapshot",
        "BulkResult",
        "BulkOutcome",
        "BulkStatus",
    ):
        assert name in azbatch.models.__all__


def test_error_code_constants() -> None:
    assert azbatch.BatchErrorCode.JOB_NOT_FOUND == "JobNotFound"


def test_importing_the_client_imports_neither_emulator_nor_extras() -> None:
    code = (
        "import sys, azbatch, azbatch.aio, azbatch.transports;"
        "bad = [m for m in sys.modules if m.startswith(('azbatch.emulator', 'httpx', 'azure.identity'))];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_py_typed_marker_ships() -> None:
    from importlib.resources import files

    assert files("azbatch").joinpath("py.typed").is_file()


def test_importing_the_package_root_is_cheap() -> None:
    # pytest loads the emulator plugin (and so this package) in every session: keep it light.
    code = "import sys, azbatch.emulator.pytest_plugin; heavy = [m for m in ('azure.core.pipeline', 'aiohttp', 'azbatch.models') if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_api_version_error_is_exported() -> None:
    import azbatch.exceptions

    assert "ApiVersionError" in azbatch.exceptions.__all__
    assert issubclass(azbatch.exceptions.ApiVersionError, ValueError)


def test_2025_names_are_exported_as_aliases() -> None:
    for new, old in (
        ("BatchJob", "CloudJob"),
        ("BatchJobCreateOptions", "JobAddParameter"),
        ("BatchJobUpdateOptions", "JobPatchParameter"),
        ("BatchPoolInfo", "PoolInformation"),
        ("BatchTaskCountsResult", "TaskCountsResult"),
        ("BatchJobState", "JobState"),
    ):
        assert new in azbatch.models.__all__
        assert getattr(azbatch.models, new) is getattr(azbatch.models, old)
    # models new in 2024-07-01.20.0 / 2025-06-01 are exported under their own names
    for name in ("ContainerHostBatchBindMountEntry", "DiskCustomerManagedKey", "IPTag", "ProxyAgentSettings"):
        assert name in azbatch.models.__all__
