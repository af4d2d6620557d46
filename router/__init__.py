"""strangler's routing control plane.

The manifest (``migration.yaml``) is the single source of truth; everything in
this package either reads it, renders it (OpenAPI, SAM), matches requests
against it, or pushes it to API Gateway. Only ``router.aws`` imports boto3.
"""

from __future__ import annotations

__version__ = "0.1.0"
