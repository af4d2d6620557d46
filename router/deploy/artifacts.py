"""What each Lambda route deploys: its function zip and its dependency layer, by hash.

``Build`` is ``router.build.BuildService.function`` (or a test's stand-in): the route's
code zip and layer, built or taken from the cache. Here they become the desired
``FunctionSpec`` and ``DesiredLayer``: names from ``router.arns``, and an S3 location
(in the artifact bucket, keyed by the zip's SHA-256) for a zip over Lambda's 50 MB
direct upload limit. A layer version carries its zip's hash in its description
(``LAYER_TAG``), which is how a later plan finds it. A layer reused from the deploy
state (``router.deploy.reuse``) has no zip here: it is never published again.
Must not call AWS.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from router.arns import function_name, lambda_role_name, layer_name, partition_for
from router.aws.artifacts import S3Location
from router.aws.lambda_ import Architecture, FunctionSpec
from router.build import FunctionBuild, LayerInputs, Reuse
from router.build.limits import needs_s3
from router.iam import access_of
from router.manifest.model import Manifest, Route, reserved_concurrency
from router.render.sam import layer_logical_id

__all__ = [
    "LAYER_TAG",
    "Build",
    "DesiredLayer",
    "Where",
    "function_spec",
    "layer_of_build",
    "layer_sha256",
    "s3_key",
]

Build = Callable[[Manifest, Route, Reuse | None], FunctionBuild]
LAYER_TAG = "strangler sha256:"  # then the zip's base64 SHA-256, in a version's description
_DESCRIPTION_MAX = 256


@dataclass(frozen=True)
class DesiredLayer:
    name: str  # the Lambda layer's name
    requirements: str  # its requirements file, relative to the project
    sha256: str  # base64 SHA-256 of the zip: Lambda's ``Content.CodeSha256``
    size: int
    unzipped: int
    zip_path: Path | None  # None: reused from the deploy state, not built here
    runtime: str
    architecture: Architecture
    s3: S3Location | None  # set when the zip is over the direct upload limit
    inputs: LayerInputs | None = None  # what it was built from (recorded in the state)

    @property
    def description(self) -> str:
        return f"{LAYER_TAG}{self.sha256} {self.requirements}"[:_DESCRIPTION_MAX]


def layer_sha256(description: str) -> str | None:
    """The zip hash a layer version's description carries, if strangler published it."""
    if not description.startswith(LAYER_TAG):
        return None
    return description.removeprefix(LAYER_TAG).split(" ", 1)[0] or None


def s3_key(kind: str, name: str, sha256: str) -> str:
    """``functions/<name>/<hex sha256>.zip``: content-addressed, so never uploaded twice."""
    return f"{kind}/{name}/{base64.b64decode(sha256).hex()}.zip"


@dataclass(frozen=True)
class Where:
    """The account the functions go to, and its artifact bucket."""

    bucket: str
    account: str


def function_spec(
    manifest: Manifest, route: Route, built: FunctionBuild, where: Where
) -> FunctionSpec:
    """The function as Lambda should hold it; its ``layers`` are resolved by the planner."""
    assert route.function is not None  # the model guarantees it for lambda routes
    name, code, region = function_name(manifest, route), built.code, manifest.api.region
    upload = s3_key("functions", name, code.sha256)
    environment = manifest.environment_for(route)
    access = access_of(
        manifest, route, partition=partition_for(region), region=region, account=where.account
    )
    vpc = manifest.vpc_for(route)
    return FunctionSpec(
        name=name,
        handler=route.function,
        runtime=manifest.defaults.runtime,
        memory=route.memory or manifest.defaults.memory,
        timeout=route.timeout or manifest.defaults.timeout,
        environment=tuple(sorted(environment.items())),
        zip_bytes=code.zip_bytes,
        architecture=manifest.defaults.architecture,
        s3=S3Location(where.bucket, upload) if needs_s3(code.size) else None,
        reserved_concurrency=reserved_concurrency(manifest.defaults, route),
        vpc=vpc.key if vpc else None,
        role_name=lambda_role_name(manifest, access.digest),
        access=access,
    )


def layer_of_build(manifest: Manifest, built: FunctionBuild, bucket: str) -> DesiredLayer | None:
    layer, requirements = built.layer, built.requirements
    if layer is None or requirements is None:
        return None
    name = layer_name(manifest, layer_logical_id(requirements))
    where = (
        S3Location(bucket, s3_key("layers", name, layer.sha256)) if needs_s3(layer.size) else None
    )
    return DesiredLayer(
        name=name,
        requirements=requirements,
        sha256=layer.sha256,
        size=layer.size,
        unzipped=layer.unzipped_size,
        zip_path=layer.zip_path,
        runtime=manifest.defaults.runtime,
        architecture=manifest.defaults.architecture,
        s3=where,
        inputs=layer.inputs,
    )
