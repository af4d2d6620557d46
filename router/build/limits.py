"""Lambda's size limits on one function with its layers, checked before any upload.

250 MB unzipped for the function code plus all its layers, at most 5 layers (hard
limits: exit 2 naming the function). A zip over 50 MB cannot be uploaded directly:
``needs_s3`` says so, and ``apply`` sends it through the S3 artifact bucket
(``router.deploy``). This module must not build anything.
"""

from __future__ import annotations

from router.errors import InputError

__all__ = ["MAX_DIRECT_UPLOAD", "MAX_LAYERS", "MAX_UNZIPPED_TOTAL", "check_limits", "needs_s3"]

MAX_UNZIPPED_TOTAL = 250 * 1024 * 1024
MAX_LAYERS = 5
MAX_DIRECT_UPLOAD = 50 * 1024 * 1024


def check_limits(function: str, code_unzipped: int, layers_unzipped: list[int]) -> int:
    """The unzipped total of code and layers; ``InputError`` past a hard limit."""
    if len(layers_unzipped) > MAX_LAYERS:
        raise InputError(
            f"function {function}: {len(layers_unzipped)} layers; Lambda allows {MAX_LAYERS}"
        )
    total = code_unzipped + sum(layers_unzipped)
    if total > MAX_UNZIPPED_TOTAL:
        raise InputError(
            f"function {function}: {_mb(total)} unzipped (code {_mb(code_unzipped)}, layers "
            f"{_mb(sum(layers_unzipped))}); Lambda allows {_mb(MAX_UNZIPPED_TOTAL)} for a "
            "function and its layers",
            hint="drop requirements the handler does not import, or move to a container image",
        )
    return total


def needs_s3(zipped: int) -> bool:
    """Whether a zip is too big to upload directly (must go through S3)."""
    return zipped > MAX_DIRECT_UPLOAD


def _mb(size: int) -> str:
    return f"{size / 1048576:.1f} MB"  # AWS: 250 MB = 262,144,000 bytes
