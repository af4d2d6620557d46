"""``migrate state push|pull|status``: move a project's state between local files and S3."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from migrate_cli.context import factory_for
from migrate_cli.options import DEFAULT_MANIFEST, JsonOpt, ManifestOpt
from migrate_cli.output import console, handle_errors, print_json

if TYPE_CHECKING:
    from router.state import S3Backend

__all__ = ["register"]

state_app = typer.Typer(
    help="The team state backend (local files or s3://bucket/prefix).", no_args_is_help=True
)
BackendOpt = Annotated[
    str | None,
    typer.Option(
        "--backend",
        help="s3://BUCKET/PREFIX (default: MIGRATE_STATE, else the manifest's `state:`).",
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(state_app, name="state")
    state_app.command("push")(push)
    state_app.command("pull")(pull)
    state_app.command("status")(status)
    state_app.command("policy")(policy)


@handle_errors
def push(
    ctx: typer.Context,
    force: Annotated[
        bool, typer.Option("--force", help="Over a newer or diverged backend: yours wins.")
    ] = False,
    backend: BackendOpt = None,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Upload the local manifest to the backend (to an empty one with its history,
    deploy state, baselines and shadow reports).

    Refused when the backend is newer or has diverged, unless --force (then your
    manifest lands as the next revision, recorded in the history).

    Example: [bold]migrate state push --backend s3://team-state/shop[/]
    """
    from router.state.transfer import push as push_state

    path, target = _backend(ctx, manifest, backend)
    _said(as_json, target.url, push_state(path, target, force=force).revision, "pushed")


@handle_errors
def pull(
    ctx: typer.Context,
    backend: BackendOpt = None,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Write the backend's current manifest, history, deploy state, baselines and shadow
    reports over the local files.

    Example: [bold]migrate state pull[/]
    """
    from router.state.transfer import pull as pull_state

    path, source = _backend(ctx, manifest, backend)
    _said(as_json, source.url, pull_state(path, source).revision, "pulled")


@handle_errors
def status(
    ctx: typer.Context,
    backend: BackendOpt = None,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Say whether the local manifest differs from the backend's, and which side is newer.

    Example: [bold]migrate state status --json[/]
    """
    from router.state.transfer import compare

    path, target = _backend(ctx, manifest, backend)
    comparison = compare(path, target)
    if as_json:
        print_json({"backend": target.url, **vars(comparison)})
        return
    console.print(comparison.sentence(target.url), markup=False)


@handle_errors
def policy(
    ctx: typer.Context,
    backend: BackendOpt = None,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
) -> None:
    """Print the minimal IAM policy an operator needs, and a bucket policy denying non-TLS.

    JSON on stdout: {"operator_policy": ..., "bucket_policy": ...}. A KMS key named by
    MIGRATE_STATE_KMS_KEY is included. Nothing is called on AWS.

    Example: [bold]migrate state policy --backend s3://team-state/shop[/]
    """
    from router.state.policy import bucket_policy, operator_policy

    location = factory_for(ctx, manifest).state_location(backend)
    print_json(
        {"operator_policy": operator_policy(location), "bucket_policy": bucket_policy(location)}
    )


def _backend(ctx: typer.Context, manifest: Path, url: str | None) -> tuple[Path, S3Backend]:
    factory = factory_for(ctx, manifest)
    return factory.manifest_path, factory.state_backend(url)


def _said(as_json: bool, url: str, revision: int, verb: str) -> None:
    if as_json:
        print_json({"backend": url, "revision": revision, "done": verb})
        return
    console.print(f"{verb} revision {revision} ({url})", markup=False)
