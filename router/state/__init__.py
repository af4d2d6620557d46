"""Where the team state lives: local files beside the manifest (the default) or S3.

``setup.open_store`` picks the store from ``MIGRATE_STATE`` or the manifest's
``state:`` (and the deploy state's, baselines' and shadow reports' stores with it);
``store.BackendStore`` edits by compare-and-swap on ``backend.S3Backend``;
``deploy_state`` and ``records`` keep the deploy state, baselines and shadow reports
as objects, ``lease`` holds long operations'
leases, ``transfer`` pushes/pulls/compares a project, ``policy`` writes the IAM and
bucket policies. This package must not import the CLI.
"""

from __future__ import annotations

from router.state.backend import Head, S3Backend
from router.state.location import STATE_ENV, StateLocation, parse_state_url, state_setting
from router.state.setup import (
    location_for,
    open_backend,
    open_baselines,
    open_deploy_state,
    open_shadow_reports,
    open_store,
)
from router.state.store import BackendHistory, BackendStore

__all__ = [
    "STATE_ENV",
    "BackendHistory",
    "BackendStore",
    "Head",
    "S3Backend",
    "StateLocation",
    "location_for",
    "open_backend",
    "open_baselines",
    "open_deploy_state",
    "open_shadow_reports",
    "open_store",
    "parse_state_url",
    "state_setting",
]
