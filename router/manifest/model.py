"""The migration manifest's data model: what ``migration.yaml`` may contain.

Pure pydantic models and the rules between fields. This module must not read or
write files (see ``router.manifest.store``) nor know about AWS or HTTP.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from router.manifest.network import DATABASE_VARIABLES, Database, Vpc, VpcLink
from router.paths import PathSyntaxError, parse_path, variable_children

__all__ = [
    "METHODS",
    "Api",
    "Architecture",
    "Database",
    "Defaults",
    "Legacy",
    "Manifest",
    "Route",
    "RouteStatus",
    "Shadow",
    "Target",
    "Thresholds",
    "Vpc",
    "VpcLink",
    "reserved_concurrency",
    "route_key",
]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
_ROUTE_ID = r"^[a-z0-9][a-z0-9-]{0,127}$"
_HANDLER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_VARIABLE = re.compile(r"\{[^{}/+]*(\+?)\}")
_MEDIA_TYPE = r"^(\*/\*|[A-Za-z0-9][\w.+-]*/(\*|[A-Za-z0-9][\w.+-]*))$"
_APP = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*(:[A-Za-z_][A-Za-z0-9_]*(\(\))?)?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


Target = Literal["legacy", "lambda"]
Architecture = Literal["x86_64", "arm64"]  # Lambda's instruction set architectures


def _requirements_path(value: str) -> str:
    parts = value.split("/")
    if value.startswith("/") or ".." in parts or "\\" in value or not value.endswith(".txt"):
        raise ValueError(f"{value!r} is not a relative path to a .txt file inside the project")
    return value


# A requirements file relative to the manifest, never outside the project.
Requirements = Annotated[str, AfterValidator(_requirements_path)]
# Lambda's per-function reservation: 0 (the function is turned off) up to the account's
# concurrency (1,000 by default; Service Quotas raises it).
ReservedConcurrency = Annotated[int, Field(ge=0, le=1000)]
RouteStatus = Literal["active", "vanished"]  # vanished: gone from the app at the last `init`


class Thresholds(_Strict):
    """Comparison thresholds; every field optional so routes can override a few."""

    latency_p50_max_increase: Annotated[float, Field(ge=0)] | None = None
    latency_p90_max_increase: Annotated[float, Field(ge=0)] | None = None
    error_rate_max_increase: Annotated[float, Field(ge=0, le=1)] | None = None
    min_samples: Annotated[int, Field(ge=1)] | None = None
    alpha: Annotated[float, Field(gt=0, lt=1)] | None = None
    # Tails, mixtures, cold starts and confounding (defaults in router.analysis.model):
    latency_p99_max_increase: Annotated[float, Field(ge=0)] | None = None
    latency_trimmed_mean_max_increase: Annotated[float, Field(ge=0)] | None = None
    cold_start_max_share: Annotated[float, Field(ge=0, le=1)] | None = None
    cold_start_max_added_ms: Annotated[float, Field(ge=0)] | None = None
    baseline_max_rate_ratio: Annotated[float, Field(ge=1)] | None = None
    baseline_max_hours_apart: Annotated[float, Field(ge=0, le=12)] | None = None
    baseline_max_age_hours: Annotated[float, Field(gt=0)] | None = None
    # Progressive cutover: keep this monolith share (percent) for one more checked
    # step before 100%, so the last step is judged against a concurrent control.
    progressive_control_share: Annotated[int, Field(ge=1, le=5)] | None = None
    # A latency increase of at most this many milliseconds passes whatever its
    # percentage: each latency figure's relative limit never goes below
    # min_ms / before (a +1 ms hop on a 3 ms endpoint is +33%, and harmless).
    latency_min_increase_ms: Annotated[float, Field(ge=0, le=10_000)] | None = None

    def merged_over(self, base: Thresholds) -> Thresholds:
        """These thresholds where set, ``base`` elsewhere."""
        return base.model_copy(update=self.model_dump(exclude_none=True))


DEFAULT_THRESHOLDS = Thresholds(
    latency_p50_max_increase=0.20,
    latency_p90_max_increase=0.20,
    error_rate_max_increase=0.01,
    min_samples=100,  # at 60 a side a real +30% regression still passed 1 run in 10
    alpha=0.05,
)


class Api(_Strict):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")] = "legacy-api"
    stage: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,128}$")] = "prod"
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")] = "us-east-1"
    # API Gateway's binaryMediaTypes: "image/png", "image/*", "*/*" (router.gateway.binary)
    binary_media_types: list[Annotated[str, Field(pattern=_MEDIA_TYPE)]] = Field(
        default_factory=list
    )


class Legacy(_Strict):
    url: Annotated[str, Field(pattern=r"^https?://[^/\s?#]+(/[^\s?#]*)?$")]
    app: str | None = None
    # API Gateway reaches a private monolith through a REST API VPC link; ``url`` stays
    # the address ``migrate serve`` proxies to locally.
    vpc_link: VpcLink | None = None

    @field_validator("url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("app")
    @classmethod
    def _app_ref(cls, value: str | None) -> str | None:
        if value is not None and not _APP.match(value):
            raise ValueError(f"{value!r} is not MODULE or MODULE:ATTR")
        return value


class Defaults(_Strict):
    memory: Annotated[int, Field(ge=128, le=10240)] = 256
    timeout: Annotated[int, Field(ge=1, le=29)] = 10
    runtime: Literal["python3.11", "python3.12", "python3.13"] = "python3.12"
    architecture: Architecture = "x86_64"
    # Third-party requirements of the functions (a requirements file relative to the
    # manifest; its lock is the same name with ``.lock``). Unset: the handler package's
    # own ``requirements.txt`` when there is one (router.build).
    requirements: Requirements | None = None
    environment: dict[str, str] = Field(default_factory=dict)
    # Environments a function may run at once (Lambda's ReservedConcurrentExecutions,
    # and the local runtime's limit before it throttles). Unset: unreserved on AWS, 10
    # locally (router.lambda_runtime).
    reserved_concurrency: ReservedConcurrency | None = None
    database: Database | None = None  # credentials by reference (router.manifest.network)
    vpc: Vpc | None = None
    thresholds: Thresholds = Field(default_factory=lambda: DEFAULT_THRESHOLDS.model_copy())

    @field_validator("environment")
    @classmethod
    def _no_database_variables(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_environment(value)


class Shadow(_Strict):
    """A shadow run in progress: copies of the route's requests go to ``function``
    (off the request path) while the monolith keeps answering; see ``migrate shadow``."""

    run_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    function: str
    until: str  # ISO 8601 UTC; the gateway stops shadowing after it
    allow_side_effects: bool = False

    @field_validator("function")
    @classmethod
    def _handler_syntax(cls, value: str) -> str:
        return _check_handler(value)

    @field_validator("until")
    @classmethod
    def _iso_time(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an ISO 8601 time") from exc
        return value


class Route(_Strict):
    """One (method, path) of the monolith and where its traffic goes.

    ``weight`` is the share of the route's requests sent to Lambda: 100 is a full
    cutover, 1-99 a canary. A legacy route has no weight. ``trailing_slash`` records
    that the app's rule ends with ``/`` (Flask ``/items/``): the API Gateway resource is
    ``path`` (a resource cannot end with an empty part, and API Gateway answers
    ``/items/`` from ``/items``), but the monolith is called at ``path + "/"`` so a
    strict-slash app does not redirect the client to its own address.
    """

    id: Annotated[str, Field(pattern=_ROUTE_ID)]
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"]
    path: str
    target: Target = "legacy"
    weight: Annotated[int, Field(ge=1, le=100)] | None = None
    function: str | None = None
    memory: Annotated[int, Field(ge=128, le=10240)] | None = None
    timeout: Annotated[int, Field(ge=1, le=29)] | None = None
    requirements: Requirements | None = None  # overrides ``defaults.requirements``
    environment: dict[str, str] = Field(default_factory=dict)
    reserved_concurrency: ReservedConcurrency | None = None  # overrides ``defaults``
    database: Database | None = None  # replaces ``defaults.database`` for this route
    vpc: Vpc | None = None  # replaces ``defaults.vpc`` for this route
    thresholds: Thresholds = Field(default_factory=Thresholds)
    status: RouteStatus = "active"
    shadow: Shadow | None = None
    trailing_slash: bool = False

    @field_validator("path")
    @classmethod
    def _path_syntax(cls, value: str) -> str:
        try:
            parse_path(value)
        except PathSyntaxError as exc:
            raise ValueError(str(exc)) from exc
        return value

    @field_validator("environment")
    @classmethod
    def _no_database_variables(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_environment(value)

    @field_validator("function")
    @classmethod
    def _handler_syntax(cls, value: str | None) -> str | None:
        if value is not None and not _HANDLER.match(value):
            raise ValueError(
                f"{value!r} is not a dotted handler path like 'package.module.handler'"
            )
        return value

    @model_validator(mode="after")
    def _target_rules(self) -> Self:
        if self.target == "lambda" and self.function is None:
            raise ValueError("a route with target 'lambda' needs a 'function'")
        if self.target == "legacy" and self.weight is not None:
            raise ValueError(
                "a legacy route takes no 'weight' (promote it to lambda with --weight)"
            )
        if self.trailing_slash and self.path == "/":
            raise ValueError("the root path '/' takes no 'trailing_slash'")
        return self

    @property
    def legacy_path(self) -> str:
        """The monolith's own spelling of the path: ``path``, with the app's trailing slash."""
        return self.path + "/" if self.trailing_slash else self.path

    @property
    def effective_weight(self) -> int:
        """Percent of requests that go to Lambda."""
        if self.target == "legacy":
            return 0
        return 100 if self.weight is None else self.weight

    @property
    def key(self) -> str:
        return route_key(self.method, self.path)


def reserved_concurrency(defaults: Defaults, route: Route) -> int | None:
    """The route's ``reserved_concurrency``, else the default's; ``None``: unreserved."""
    if route.reserved_concurrency is not None:
        return route.reserved_concurrency
    return defaults.reserved_concurrency


def route_key(method: str, path: str) -> str:
    """The ``"METHOD /path"`` spelling a user may give instead of a route id."""
    return f"{method.upper()} {path}"


class Manifest(_Strict):
    version: Literal[1] = 1
    revision: Annotated[int, Field(ge=0)] = 0
    # Where the team state lives: ``local`` (files beside the manifest) or
    # ``s3://bucket/prefix`` (``router.state``); ``MIGRATE_STATE`` overrides it.
    state: Annotated[str, Field(pattern=r"^(local|s3://[^\s]+)$")] | None = None
    api: Api = Field(default_factory=Api)
    legacy: Legacy
    defaults: Defaults = Field(default_factory=Defaults)
    routes: list[Route] = Field(default_factory=list)

    @field_validator("routes")
    @classmethod
    def _unique_routes(cls, routes: list[Route]) -> list[Route]:
        _check_unique([r.id for r in routes], "route id")
        _check_unique([r.key for r in routes], "route")
        try:
            variable_children(r.path for r in routes if r.status == "active")
        except PathSyntaxError as exc:
            raise ValueError(str(exc)) from exc
        return routes

    def route(self, ref: str) -> Route | None:
        """The route whose id or ``"METHOD /path"`` is ``ref``.

        Variable names don't matter in a ``"METHOD /path"``: API Gateway allows one
        variable per resource level, so ``GET /api/users/{id}`` names the route
        ``GET /api/users/{user_id}`` unambiguously.
        """
        wanted = _normalize_ref(ref)
        exact = next((r for r in self.routes if wanted in (r.id, r.key)), None)
        return exact or next((r for r in self.routes if _shape(r.key) == _shape(wanted)), None)

    def database_for(self, route: Route) -> Database | None:
        return route.database or self.defaults.database

    def vpc_for(self, route: Route) -> Vpc | None:
        return route.vpc or self.defaults.vpc

    def environment_for(self, route: Route) -> dict[str, str]:
        """The function's variables, sorted: defaults, the route's own, then the
        database's one reference (an ARN or a parameter name, never a password)."""
        variables = {**self.defaults.environment, **route.environment}
        database = self.database_for(route)
        if database is not None:
            name, value = database.variable
            variables[name] = value
        return dict(sorted(variables.items()))

    def thresholds_for(self, route: Route) -> Thresholds:
        return route.thresholds.merged_over(
            self.defaults.thresholds.merged_over(DEFAULT_THRESHOLDS)
        )


def _normalize_ref(ref: str) -> str:
    """``"get /items/"`` -> ``"GET /items"``: the app's trailing slash names its resource."""
    method, sep, path = ref.strip().partition(" ")
    path = path.strip()
    return route_key(method, path.rstrip("/") or "/") if sep else ref.strip()


def _check_environment(value: dict[str, str]) -> dict[str, str]:
    taken = sorted(set(value) & set(DATABASE_VARIABLES))
    if taken:
        raise ValueError(f"{', '.join(taken)} is set from 'database', not 'environment'")
    return value


def _check_handler(value: str) -> str:
    if not _HANDLER.match(value):
        raise ValueError(f"{value!r} is not a dotted handler path like 'package.module.handler'")
    return value


def _shape(key: str) -> str:
    return _VARIABLE.sub(lambda m: "{+}" if m.group(1) else "{}", key)


def _check_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)
