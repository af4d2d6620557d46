"""Reuse a published layer version instead of building it again (issue: no rebuild).

A plan needs each layer's zip hash and sizes, not its zip, unless it publishes it. The
deploy state records, per applied layer, what its zip was built from
(``router.build.LayerInputs``: the lock's hash, runtime, architecture, the builder's
format and pip options) with the version's ARN, hash and sizes. When a route's layer
is not in the local build cache and its current inputs equal the recorded ones,
``PublishedLayers`` checks with one ``GetLayerVersion`` that the version still
exists and holds that zip (the hash in its description and its ``CodeSha256``), and
returns it as a ``Layer`` without a zip: pip does not run. A deleted version or
different inputs return None, and the layer is built as before. Lambda's size limits
are still checked, on the recorded sizes (``router.build.service``).

``record_builds`` adds to a state the builds a plan with nothing to change found in
place (a state migrated from format 1 records none): the service saves them, so the
next empty cache reuses them. This module must not build, and must not change AWS.
"""

from __future__ import annotations

from router.arns import layer_name
from router.aws.layers import LambdaLayers
from router.build import Layer, LayerInputs
from router.deploy.artifacts import DesiredLayer, layer_sha256
from router.deploy.model import Plan
from router.deploy.state import DeployState, LayerBuild
from router.manifest.model import Manifest
from router.render.sam import layer_logical_id

__all__ = ["PublishedLayers", "layer_build", "record_builds"]


class PublishedLayers:
    """The ``Reuse`` of one plan: the state's recorded layer builds, checked on Lambda."""

    def __init__(self, manifest: Manifest, state: DeployState, layers: LambdaLayers) -> None:
        self.manifest, self.state, self.layers = manifest, state, layers

    def __call__(self, requirements: str, inputs: LayerInputs) -> Layer | None:
        name = layer_name(self.manifest, layer_logical_id(requirements))
        recorded = self.state.layer_builds.get(name)
        if recorded is None or recorded.inputs != inputs or not self._live(name, recorded):
            return None
        sha, size, unzipped = recorded.sha256, recorded.size, recorded.unzipped
        return Layer(recorded.arn, None, size, unzipped, sha, True, inputs)

    def _live(self, name: str, recorded: LayerBuild) -> bool:
        """Whether the recorded version still exists and holds the recorded zip."""
        version = int(recorded.arn.rsplit(":", 1)[1])
        found = self.layers.get(name, version)
        if found is None:
            return False
        return found.sha256 == recorded.sha256 == layer_sha256(found.description)


def layer_build(layer: DesiredLayer, arn: str) -> LayerBuild | None:
    """What the state records for ``layer`` applied as version ``arn`` (None: unknown
    inputs, a stand-in build)."""
    if layer.inputs is None:
        return None
    size, unzipped = layer.size, layer.unzipped
    return LayerBuild(
        inputs=layer.inputs, arn=arn, sha256=layer.sha256, size=size, unzipped=unzipped
    )


def record_builds(plan: Plan, state: DeployState) -> bool:
    """Record in ``state`` the build of each layer ``plan`` found in place; whether any
    record is new."""
    known, new = dict(plan.layer_versions), {}
    for layer in plan.desired.layers:
        build = layer_build(layer, known[layer.name]) if layer.name in known else None
        if build is not None and state.layer_builds.get(layer.name) != build:
            new[layer.name] = build
    state.layer_builds.update(new)
    return bool(new)
