"""The plan: what ``migrate apply`` would change, computed with read-only calls.

``Planner.plan`` builds (or takes from the cache) each Lambda route's code zip and
layer (or reuses the published layer version the state records for the same inputs,
``router.deploy.reuse``: one ``GetLayerVersion``, no build), reads the REST API, its
stage, the Lambda functions, the versions of the desired layers
(``ListLayerVersions``) and, only when a zip is over the direct upload limit, the
artifact bucket (``HeadBucket``, ``HeadObject``); compares them with the
manifest's rendering and the recorded state, and returns a frozen ``Plan`` of steps,
once the manifest passed the safety checks of ``router.deploy.guardrail``
(octodns-style: ``UnreachableLegacy`` is an ``UnsafePlan`` that no ``--force``
overrides, raised before any AWS call). Drift (the deployed API or its layers differ
from what was last applied) is reported in ``Plan.drift``; ``Plan.raise_if_unsafe``
turns it into ``UnsafePlan`` (the service before confirming, the executor before any
call), never here.
This module must not mutate anything.
"""

from __future__ import annotations

from router.arns import log_group_arn
from router.aws.apigateway import ApiGateway, RestApiRef
from router.aws.artifacts import ArtifactBucket, S3Location
from router.aws.lambda_ import LambdaFunctions
from router.aws.layers import LambdaLayers
from router.deploy.artifact_steps import artifact_changes, layers_in_place
from router.deploy.artifacts import Build
from router.deploy.desired import Desired, desired_state
from router.deploy.drift import compute_drift
from router.deploy.guardrail import raise_if_unreachable
from router.deploy.model import Observed, Plan
from router.deploy.reuse import PublishedLayers
from router.deploy.state import DeployState
from router.deploy.steps import compute_steps, served_views
from router.deploy.view import diff_views, view_of_methods
from router.manifest.model import Manifest
from router.render.quota import resource_quota_warning

__all__ = ["Planner"]


class Planner:
    """Reads AWS (never writes) and compares it with the manifest and the records."""

    def __init__(
        self,
        apigw: ApiGateway,
        functions: LambdaFunctions,
        *,
        is_local: bool,
        layers: LambdaLayers,
        bucket: ArtifactBucket,
        build: Build,
    ) -> None:
        self.apigw = apigw
        self.functions = functions
        self.is_local = is_local
        self.layers = layers
        self.bucket = bucket
        self.build = build

    def observe(self, manifest: Manifest, state: DeployState, desired: Desired) -> Observed:
        api = self._api(manifest, state)
        stage = self.apigw.get_stage(api.id, manifest.api.stage) if api else None
        methods = view_of_methods(self.apigw.methods(api.id)) if api else None
        names = [spec.name for spec, _ in desired.functions]
        versions = {layer.name: self.layers.versions(layer.name) for layer in desired.layers}
        objects = _s3_objects(desired)
        exists = bool(objects) and self.bucket.exists(desired.bucket)
        held = frozenset(loc.key for loc, sha in objects if exists and self.bucket.holds(loc, sha))
        functions = {n: self.functions.get(n) for n in names}
        return Observed(api, stage, methods, functions, versions, exists, held)

    def _api(self, manifest: Manifest, state: DeployState) -> RestApiRef | None:
        if state.api_id and state.api_name == manifest.api.name:
            return RestApiRef(state.api_id, manifest.api.name)
        return self.apigw.find_rest_api(manifest.api.name)

    def plan(self, manifest: Manifest, state: DeployState) -> Plan:
        """Raises ``UnreachableLegacy`` (exit 2) before any AWS call when the manifest
        fails a safety check no ``--force`` overrides (``router.deploy.guardrail``)."""
        raise_if_unreachable(manifest, is_local=self.is_local)
        account = state.account_id or self.functions.account_id()
        reuse = PublishedLayers(manifest, state, self.layers)
        desired = desired_state(manifest, account, self.build, reuse)
        observed = self.observe(manifest, state, desired)
        log_arn = log_group_arn(manifest, account)
        steps = compute_steps(manifest, state, observed, desired, log_arn)
        stable, canary = served_views(state, observed)
        known = layers_in_place(observed, desired)
        return Plan(
            api_name=manifest.api.name,
            stage=manifest.api.stage,
            api_id=observed.api.id if observed.api else None,
            account_id=account,
            route_changes=tuple(diff_views(stable, desired.stable_view)),
            canary_changes=tuple(diff_views(canary, desired.canary_view or {})),
            canary_percent=(
                state.canary.canary_percent if state.canary else None,
                desired.canary_percent,
            ),
            drift=tuple(compute_drift(state, observed, is_local=self.is_local)),
            notes=tuple(self._notes(desired)),
            steps=tuple(steps),
            desired=desired,
            warnings=_warnings(desired),
            artifacts=artifact_changes(observed, desired, known),
            layer_versions=tuple(sorted(known.items())),
        )

    def _notes(self, desired: Desired) -> list[str]:
        if self.is_local and desired.canary_percent is not None:
            return [
                "the local endpoint (moto) ignores canarySettings: its stage serves the stable "
                "deployment; `migrate serve` applies the canary weight locally"
            ]
        return []


def _s3_objects(desired: Desired) -> list[tuple[S3Location, str]]:
    """The zips that go through the artifact bucket, with their hashes."""
    found = [(spec.s3, spec.code_sha256) for spec, _ in desired.functions if spec.s3]
    return found + [(layer.s3, layer.sha256) for layer in desired.layers if layer.s3]


def _warnings(desired: Desired) -> tuple[str, ...]:
    quota = resource_quota_warning(desired.stable_document)
    return (quota,) if quota else ()
