"""The local stack's state backend is created on a loopback endpoint only."""

from __future__ import annotations

import pytest

from router.errors import UsageError
from router.state import StateLocation
from router.state.local import local_backend


@pytest.mark.parametrize("endpoint", ["https://s3.amazonaws.com", "http://10.0.0.5:5001", ""])
def test_a_bucket_is_never_created_off_loopback(endpoint: str) -> None:
    with pytest.raises(UsageError, match="not a local AWS endpoint"):
        local_backend(StateLocation("demo-state", "shop"), endpoint, "us-east-1")
