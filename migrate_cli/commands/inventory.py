"""``migrate init``: inventory a Flask app's routes into the manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from migrate_cli.context import factory_for
from migrate_cli.options import DEFAULT_MANIFEST, JsonOpt, ManifestOpt
from migrate_cli.output import console, err_console, handle_errors, print_json
from router.errors import ManifestError
from router.inventory import inventory_app, load_app
from router.manifest.model import Legacy, Manifest, Route

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("init")(init)


@handle_errors
def init(
    ctx: typer.Context,
    app_ref: Annotated[
        str, typer.Option("--app", help="Flask app as MODULE:ATTR (app or factory).")
    ],
    legacy_url: Annotated[
        str, typer.Option("--legacy-url", help="Where API Gateway reaches the monolith.")
    ],
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Inventory every route of a Flask app into the manifest.

    Creates the manifest, or merges into an existing one: new routes are added,
    vanished ones marked; no route's target, weight or function is reset.

    Example: [bold]migrate init --app legacy_app:create_app --legacy-url http://127.0.0.1:5000[/]
    """
    factory = factory_for(ctx, manifest)
    legacy = _legacy(app_ref, legacy_url, manifest)
    found = inventory_app(load_app(app_ref, search_path=Path.cwd()))
    if not manifest.exists():
        factory.store().create(Manifest(legacy=legacy))
    added, vanished = factory.route_service().init(found, legacy)
    if as_json:
        print_json(_summary(manifest, found.warnings, added, vanished))
        return
    _print_summary(manifest, found.warnings, [r.key for r in added], [r.key for r in vanished])


def _legacy(app_ref: str, url: str, manifest: Path) -> Legacy:
    data = {"url": url, "app": app_ref}
    try:
        return Legacy.model_validate(data)
    except ValueError as exc:
        raise ManifestError(str(manifest), [f"--legacy-url/--app: {exc}"]) from exc


def _summary(
    path: Path, warnings: tuple[str, ...], added: list[Route], vanished: list[Route]
) -> dict[str, object]:
    return {
        "manifest": str(path),
        "added": [r.id for r in added],
        "vanished": [r.id for r in vanished],
        "warnings": list(warnings),
    }


def _print_summary(
    path: Path, warnings: tuple[str, ...], added: list[str], gone: list[str]
) -> None:
    console.print(f"{escape(str(path))}: {len(added)} route(s) added, {len(gone)} marked vanished")
    for key in added:
        console.print(f"  [green]+[/] {escape(key)}")
    for key in gone:
        console.print(f"  [red]-[/] {escape(key)} (vanished)")
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}")
