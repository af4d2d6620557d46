"""Lambda's size limits: exit 2 naming the function; over 50 MB is reported for S3."""

from __future__ import annotations

import pytest

from router.build.limits import MAX_UNZIPPED_TOTAL, check_limits, needs_s3
from router.errors import InputError

MB = 1024 * 1024


def test_within_limits_returns_the_total() -> None:
    assert check_limits("fns.app.handler", 10, [20, 30]) == 60
    assert check_limits("f", MAX_UNZIPPED_TOTAL - 1, [1]) == MAX_UNZIPPED_TOTAL


def test_over_250_mb_with_layers_names_the_function() -> None:
    with pytest.raises(InputError, match=r"function fns.app.handler: 250.0 MB unzipped") as e:
        check_limits("fns.app.handler", 1 * MB, [249 * MB + 1])
    assert e.value.exit_code == 2


def test_at_most_five_layers() -> None:
    check_limits("f", 1, [1] * 5)
    with pytest.raises(InputError, match="function f: 6 layers; Lambda allows 5"):
        check_limits("f", 1, [1] * 6)


def test_over_50_mb_zipped_needs_s3() -> None:
    assert not needs_s3(50 * MB)
    assert needs_s3(50 * MB + 1)
