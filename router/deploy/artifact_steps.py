"""Which artifact steps a plan needs: the bucket, uploads, layer versions, functions.

A layer is published only when no live version of it carries its zip's hash (in
the description ``router.deploy.artifacts`` writes); otherwise that version is
attached. A function is created or updated only when its code hash (Lambda's
``CodeSha256``), its layers or its configuration differ; a zip over the direct
upload limit is uploaded to the artifact bucket only when the bucket lacks an
object with its hash. Also the artifact lines of the plan and the layer drift
(a function's layers changed by hand, an applied layer version deleted). Pure: no
AWS calls.
"""

from __future__ import annotations

from dataclasses import replace

from router.aws.lambda_ import FunctionInfo, FunctionSpec, config_differences
from router.deploy.artifacts import DesiredLayer, layer_sha256
from router.deploy.desired import Desired
from router.deploy.model import (
    ArtifactChange,
    CreateArtifactBucket,
    Observed,
    PublishLayer,
    Step,
    SyncFunction,
    UploadArtifact,
    layer_label,
)
from router.deploy.state import DeployState

__all__ = [
    "artifact_changes",
    "artifact_steps",
    "function_steps",
    "layer_drift",
    "layers_in_place",
]


def layers_in_place(observed: Observed, desired: Desired) -> dict[str, str]:
    """Each desired layer's newest live version that holds its zip: name -> version ARN."""
    found = {}
    for layer in desired.layers:
        versions = observed.layer_versions.get(layer.name, ())
        matches = [v for v in versions if layer_sha256(v.description) == layer.sha256]
        if matches:
            found[layer.name] = max(matches, key=lambda v: v.version).arn
    return found


def artifact_steps(observed: Observed, desired: Desired, known: dict[str, str]) -> list[Step]:
    """Bucket and uploads (over 50 MB only), then the layer versions to publish."""
    uploads = [
        u for u in _uploads(observed, desired, known) if u.location.key not in observed.uploaded
    ]
    steps: list[Step] = []
    if uploads and not observed.bucket_exists:
        steps.append(CreateArtifactBucket(desired.bucket))
    steps += uploads
    steps += [PublishLayer(layer) for layer in desired.layers if layer.name not in known]
    return steps


def _uploads(observed: Observed, desired: Desired, known: dict[str, str]) -> list[UploadArtifact]:
    found = []
    for spec, _ in desired.functions:
        current = observed.functions.get(spec.name)
        changed = current is None or current.code_sha256 != spec.code_sha256
        if spec.s3 is not None and changed:
            found.append(
                UploadArtifact(spec.s3, spec.code_sha256, len(spec.zip_bytes), spec.zip_bytes)
            )
    for layer in desired.layers:
        if layer.s3 is not None and layer.name not in known:
            found.append(UploadArtifact(layer.s3, layer.sha256, layer.size, path=layer.zip_path))
    return found


def function_steps(observed: Observed, desired: Desired, known: dict[str, str]) -> list[Step]:
    steps: list[Step] = []
    for spec, route in desired.functions:
        layer = desired.layer_of.get(spec.name)
        pending = layer if layer is not None and layer not in known else None
        full = replace(spec, layers=(known[layer],) if layer in known else ())
        current = observed.functions.get(spec.name)
        if current is None:
            steps.append(SyncFunction(full, route, "create", None, pending))
        elif pending is not None or _differs(full, current):
            steps.append(SyncFunction(full, route, "update", current, pending))
    return steps


def _differs(spec: FunctionSpec, current: FunctionInfo) -> bool:
    code = (spec.code_sha256, spec.architecture) != (current.code_sha256, current.architecture)
    reserved = spec.reserved_concurrency != current.reserved_concurrency  # set outside too
    return code or reserved or bool(config_differences(spec, current))  # layers included


def artifact_changes(
    observed: Observed, desired: Desired, known: dict[str, str]
) -> tuple[ArtifactChange, ...]:
    """Every desired code zip and layer, deployed hash against desired, and what apply does."""
    changes = []
    for spec, _ in desired.functions:
        current = observed.functions.get(spec.name)
        before = current.code_sha256 if current else None
        action = "unchanged" if before == spec.code_sha256 else "upload"
        via = str(spec.s3) if spec.s3 else "direct"
        size, unzipped = len(spec.zip_bytes), desired.unzipped.get(spec.name, 0)
        change = ArtifactChange(
            "code", spec.name, before, spec.code_sha256, size, unzipped, action, via
        )
        changes.append(change)
    changes += [_layer_change(observed, desired, layer, known) for layer in desired.layers]
    return tuple(changes)


def _layer_change(
    observed: Observed, desired: Desired, layer: DesiredLayer, known: dict[str, str]
) -> ArtifactChange:
    versions = {v.arn: v for v in observed.layer_versions.get(layer.name, ())}
    users = [
        observed.functions.get(f) for f, name in desired.layer_of.items() if name == layer.name
    ]
    attached = {arn for info in users if info is not None for arn in info.layers if arn in versions}
    before = next((layer_sha256(versions[a].description) for a in sorted(attached)), None)
    arn = known.get(layer.name)
    if arn is None:
        action = "publish"
    elif all(info is not None and arn in info.layers for info in users):
        action = f"unchanged ({layer_label(arn)})"
    else:
        action = f"attach {layer_label(arn)}"
    via = str(layer.s3) if layer.s3 else "direct"
    return ArtifactChange(
        "layer", layer.name, before, layer.sha256, layer.size, layer.unzipped, action, via
    )


def layer_drift(state: DeployState, observed: Observed) -> list[str]:
    """Applied layer versions since deleted; functions whose layers were changed by hand."""
    lines = []
    for name, arn in sorted(state.layers.items()):
        versions = observed.layer_versions.get(name)
        if versions is not None and arn not in {v.arn for v in versions}:
            lines.append(f"the applied layer version {layer_label(arn)} was deleted")
    for function, applied in sorted(state.function_layers.items()):
        info = observed.functions.get(function)
        if info is not None and list(info.layers) != applied:
            now = ", ".join(map(layer_label, info.layers)) or "no layer"
            was = ", ".join(map(layer_label, applied)) or "no layer"
            lines.append(f"Lambda function {function} uses {now}, not the applied {was}")
    return lines
