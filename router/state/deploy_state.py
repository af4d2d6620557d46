"""The deploy state (``router.deploy.state.DeployState``) as an object of the S3 backend.

``PREFIX/deploy-state.json`` holds what ``migration.state.json`` holds in local files:
the REST API id, the recorded deployments, the layers applied, and who wrote it last.
Every write is a compare-and-swap: ``IfMatch`` on the ETag of the last read (or
write), ``IfNoneMatch: *`` when there was none. Writers hold the ``state`` lease, so a
lost race means another operator wrote without it (a broken lease): the write is
refused (``StateConflict``) naming that operator, and nothing is overwritten.

This module must not decide when the state changes (``router.deploy``).
"""

from __future__ import annotations

from router.aws.state_s3 import StateBucket
from router.deploy.state import DeployState, parse_state
from router.errors import StateConflict
from router.state.location import StateLocation

__all__ = ["DEPLOY_STATE", "S3DeployState"]

DEPLOY_STATE = "deploy-state.json"


class S3DeployState:
    """``load``/``save`` of the backend's deploy state (a ``DeployStateStore``)."""

    def __init__(self, bucket: StateBucket, location: StateLocation) -> None:
        self.bucket, self.location = bucket, location
        self._etag: str | None = None  # of the object last read or written

    @property
    def label(self) -> str:
        return f"{self.location.url}/{DEPLOY_STATE}"

    def load(self) -> DeployState:
        return self.stored() or DeployState()

    def stored(self) -> DeployState | None:
        """The object's state, None when the backend holds none yet."""
        found = self.bucket.get(self.location.key(DEPLOY_STATE))
        self._etag = found.etag if found else None
        return self._parse(found.body) if found else None

    def save(self, state: DeployState) -> None:
        body = state.model_dump_json(indent=1).encode("utf-8")
        try:
            self._etag = self.bucket.put(self.location.key(DEPLOY_STATE), body, if_match=self._etag)
        except StateConflict as exc:
            raise self._conflict() from exc

    def _conflict(self) -> StateConflict:
        other = self.load().applied_by
        who = other.describe() if other else "an operator that did not sign it"
        return StateConflict(
            f"{self.label}: refused, not overwritten: another apply by {who} wrote the "
            "deploy state since this command read it (its lease was broken or expired)",
            hint="run `migrate plan` to see what AWS holds, then `migrate apply` again",
        )

    def _parse(self, body: bytes) -> DeployState:
        """Migrated from an older format; a newer format is refused (``parse_state``)."""
        hint = "restore an earlier version of the object (the bucket keeps them)"
        return parse_state(body, self.label, hint)
