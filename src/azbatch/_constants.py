"""Constants shared by the sync and async clients: versions, scopes and header names."""

from __future__ import annotations

DEFAULT_API_VERSION = "2024-02-01.19.0"
"""The Batch REST api-version sent unless the client is given ``api_version=``.

The models also cover 2024-07-01.20.0 and 2025-06-01 (``azbatch.models._versions``). The default stays
at 2024-02-01.19.0 although azure-batch 15.x sends 2025-06-01: this package's names and behaviour are
those of azure-batch 14.x, which spoke this version, and a silent change of default would start
refusing retired properties (Cloud Services pools, certificate references) in code that works today.
Choose 2025-06-01 explicitly to use what it adds.
"""

DEFAULT_SCOPE = "https://batch.core.windows.net//.default"
"""Entra ID scope of the Batch data plane (resource URL + "/.default", hence the double slash)."""

JSON_CONTENT_TYPE = "application/json; odata=minimalmetadata"
"""Content-Type the service expects on every request that carries a body."""

SDK_MONIKER = "azbatch"

# Header names, lower-case as azure-core compares them case-insensitively anyway.
HEADER_CLIENT_REQUEST_ID = "client-request-id"
HEADER_RETURN_CLIENT_REQUEST_ID = "return-client-request-id"
HEADER_OCP_DATE = "ocp-date"
HEADER_REQUEST_ID = "request-id"
HEADER_DATA_SERVICE_ID = "DataServiceId"

MAX_RESULTS_LIMIT = 1000
MAX_JOB_ID_LENGTH = 64
