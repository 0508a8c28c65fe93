"""Client construction: credentials of the wrong kind and bad endpoints fail at once, clearly."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.credentials import AccessToken, AzureNamedKeyCredential

import azbatch
import azbatch.aio

ENDPOINT = "https://acct.westus.batch.azure.com"


class SyncCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("t", 2**31)


class AsyncCredential:
    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("t", 2**31)

    async def close(self) -> None:
        pass


def test_sync_client_refuses_an_async_credential() -> None:
    with pytest.raises(TypeError, match=r"async credential.*azbatch\.aio\.BatchClient"):
        azbatch.BatchClient(ENDPOINT, AsyncCredential())  # type: ignore[arg-type]


def test_async_client_refuses_a_sync_credential() -> None:
    with pytest.raises(TypeError, match=r"sync credential.*azbatch\.BatchClient"):
        azbatch.aio.BatchClient(ENDPOINT, SyncCredential())  # type: ignore[arg-type]


def test_matching_credentials_are_accepted() -> None:
    assert azbatch.BatchClient(ENDPOINT, SyncCredential()).endpoint == ENDPOINT
    assert azbatch.aio.BatchClient(ENDPOINT, AsyncCredential()).endpoint == ENDPOINT


@pytest.mark.parametrize("credential", [None, "key", object()])
def test_other_objects_are_not_credentials(credential: Any) -> None:
    with pytest.raises(TypeError, match="credential"):
        azbatch.aio.BatchClient(ENDPOINT, credential)


def test_credential_scopes_must_be_a_list() -> None:
    with pytest.raises(TypeError, match="credential_scopes"):
        azbatch.aio.BatchClient(ENDPOINT, AsyncCredential(), credential_scopes="https://x/.default")


def test_bad_shared_key_is_reported_without_the_key() -> None:
    with pytest.raises(ValueError) as caught:
        azbatch.aio.BatchClient(ENDPOINT, AzureNamedKeyCredential("acct", "not base64 !!"))
    assert "not base64" not in str(caught.value)


@pytest.mark.parametrize("endpoint", ["acct.westus.batch.azure.com", "", "ftp://x", "https://x?q=1"])
def test_bad_endpoints_are_refused(endpoint: str) -> None:
    with pytest.raises(ValueError, match="endpoint"):
        azbatch.BatchClient(endpoint, AzureNamedKeyCredential("acct", "c2VjcmV0"))


def test_repr_shows_the_endpoint_only() -> None:
    client = azbatch.BatchClient(ENDPOINT, AzureNamedKeyCredential("acct", "c2VjcmV0"))
    assert repr(client) == f"BatchClient(endpoint='{ENDPOINT}')"
    assert client.job is client.jobs


def test_options_object_of_another_package_is_named_fully() -> None:
    class JobListOptions:  # stands in for azure.batch.models.JobListOptions
        filter = None

    client = azbatch.BatchClient(ENDPOINT, AzureNamedKeyCredential("acct", "c2VjcmV0"))
    with pytest.raises(TypeError, match=r"azbatch\.models\.JobListOptions, not .*test_client_construction"):
        client.jobs.list(job_list_options=JobListOptions())
