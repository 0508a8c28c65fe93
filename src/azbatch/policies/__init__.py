"""azure-core pipeline policies used by the azbatch clients.

Shared Key signing, bearer-token authentication that also permits plain http to loopback hosts
(local emulator), and a proxy policy that reads the proxy environment once instead of per request.
"""

from __future__ import annotations

from ._bearer import AsyncBatchBearerTokenPolicy, BatchBearerTokenPolicy
from ._proxy import EnvironmentProxyPolicy
from ._shared_key import SharedKeyCredentialPolicy

__all__ = [
    "AsyncBatchBearerTokenPolicy",
    "BatchBearerTokenPolicy",
    "EnvironmentProxyPolicy",
    "SharedKeyCredentialPolicy",
]
