"""The exception tree of strangler. Every error a user can meet is one of these.

    StranglerError                  base; ``exit_code`` 1
    ├── InputError                  bad input from the user; ``exit_code`` 2
    │   ├── ManifestError           an invalid manifest: names file, route, field, line
    │   ├── RouteNotFound           a ROUTE argument that names no route
    │   ├── HandlerError            a ``--function`` that does not import or is not callable
    │   ├── UsageError              a bad option value (weight, window, ...)
    │   └── StateBackendError       the state backend is unusable as configured: a bad
    │                               ``state:`` URL, no bucket, versioning off, access
    │                               denied, an unreachable endpoint, no manifest there
    ├── StateError                  the files on disk are not in a usable state
    │   ├── LockTimeout             another operator holds the manifest lock
    │   ├── StateConflict           a conditional write lost a race (``router.state``);
    │   │                           raised to the user when the other change touched
    │   │                           the same routes, so this one was refused
    │   ├── LeaseHeld               another operator holds the lease of a long operation
    │   └── LeaseLost               a long run's lease was broken, taken over or lapsed:
    │                               the run stops at its next step
    ├── WriteError                  a file could not be written (disk full, permissions, ...)
    ├── AWSError                    an AWS call failed (mapped from botocore at the boundary)
    ├── UnsafePlan                  a plan a safety check refuses: drift (--force overrides)
    │   └── UnreachableLegacy       a private legacy.url for real AWS without a VPC link; exit 2
    ├── Declined                    the user did not confirm a plan: nothing was changed
    ├── ShadowMismatch              a promotion refused: the last shadow run had real mismatches
    ├── ProcessError                a local server did not start, become ready, or died
    └── BuildError                  a requirement could not be locked, downloaded or installed

Inside the project, never shown as such (each is caught and turned into a response
or one of the errors above where it is raised), defined beside the code that uses it:

    ValueError
    ├── router.paths.PathSyntaxError            a resource path API Gateway would refuse
    ├── router.accesslog.AccessLogFormatError   a line that is not a JSON access-log record
    └── router.gateway.results.MalformedResult  a malformed Lambda proxy result (-> 502)
    LookupError
    └── router.lambda_runtime.artifacts.ArtifactUnavailable  a function's code or layer
                                                unbuildable, or not in the manifest (-> 502)
    Exception
    ├── router.gateway.proxy.UpstreamError      the monolith unreachable or broke off (-> 502)
    ├── router.gateway.lambda_.PayloadTooLarge  a Lambda result over the response limit
    ├── router.gateway.builder._HelperDied      the reload helper died (retried once; ProcessError)
    ├── router.manifest._fast._GiveUp           the fast reader hands the manifest to ruamel
    ├── router.lambda_runtime.environment.InitFailed  a Lambda worker failed its init (-> 502)
    ├── router.lambda_runtime.pool.Throttled    every allowed environment busy (-> 500)
    └── router.state.store._Lost                a lost race (-> re-apply or StateConflict)

``legacy_app`` and ``migrated_functions`` keep their own errors (they never import
``router``): ``ApiError`` (an HTTP status and JSON body) and ``InsufficientStock``.

Third-party exceptions (pydantic, ruamel.yaml, filelock, botocore) are mapped to
these where they are first caught, with ``raise ... from exc``. This module must
not import any of those libraries.
"""

from __future__ import annotations

__all__ = [
    "AWSError",
    "BuildError",
    "Declined",
    "HandlerError",
    "InputError",
    "LeaseHeld",
    "LeaseLost",
    "LockTimeout",
    "ManifestError",
    "ProcessError",
    "RouteNotFound",
    "ShadowMismatch",
    "StateBackendError",
    "StateConflict",
    "StateError",
    "StranglerError",
    "UnreachableLegacy",
    "UnsafePlan",
    "UsageError",
    "WriteError",
]


class StranglerError(Exception):
    """Base of every project error. ``hint`` tells the user what to do next."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(StranglerError):
    exit_code = 2


class ManifestError(InputError):
    """An invalid manifest. ``problems`` holds one line per invalid field."""

    def __init__(self, path: str, problems: list[str], *, hint: str | None = None) -> None:
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{path}: invalid manifest\n{lines}", hint=hint)
        self.path = path
        self.problems = problems


class RouteNotFound(InputError):
    pass


class HandlerError(InputError):
    pass


class UsageError(InputError):
    pass


class StateError(StranglerError):
    pass


class LockTimeout(StateError):
    pass


class StateBackendError(InputError):
    """The state backend (``state: s3://...``) cannot be used as configured (exit 2)."""


class StateConflict(StateError):
    """A compare-and-swap write found the object changed since it was read."""


class LeaseHeld(StateError):
    """A long operation's lease is held by another live operator."""


class LeaseLost(StateError):
    """A long operation's lease was broken, taken over or lapsed while it ran."""


class WriteError(StranglerError):
    """An OS error on a write, mapped where it happens; the files are left as they were."""


class AWSError(StranglerError):
    pass


class UnsafePlan(StranglerError):
    """A plan a safety check refuses (octodns-style, ``Plan.raise_if_unsafe``); as such:
    the deployed API drifted from the last applied revision (exit 1; --force overrides)."""


class UnreachableLegacy(UnsafePlan):
    """A ``legacy.url`` API Gateway cannot reach (loopback, link-local, private) for real
    AWS without ``legacy.vpc_link``: bad input, exit 2, and no ``--force`` overrides it."""

    exit_code = 2


class Declined(StranglerError):
    """The user answered no: nothing was changed."""


class ShadowMismatch(StranglerError):
    """A promotion refused because the function's last shadow run had real mismatches."""

    exit_code = 1


class ProcessError(StranglerError):
    """A local server did not start, did not become ready, or died."""


class BuildError(StranglerError):
    """Locking or installing a function's requirements failed (pip or uv said why)."""
