"""``migrate build``: each Lambda route's function zip and dependency layer, with hashes."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.table import Table

from migrate_cli.context import factory_for
from migrate_cli.options import DEFAULT_MANIFEST, JsonOpt, ManifestOpt
from migrate_cli.output import console, err_console, handle_errors, print_json, progress, warn
from router.build import FunctionBuild

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("build")(build)


@handle_errors
def build(
    ctx: typer.Context,
    relock: Annotated[
        bool,
        typer.Option("--lock", help="Resolve the requirements into their locks first (network)."),
    ] = False,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Build every Lambda route's code zip and dependency layer (cached by hash).

    The layer comes from the requirements' lock, as manylinux wheels for the manifest's
    runtime and architecture.

    Exit 2 on a missing or stale lock, or a function over Lambda's limits.

    Example: [bold]migrate build --lock[/]   (after editing migrated_functions/requirements.txt)
    """
    started = time.perf_counter()
    factory = factory_for(ctx, manifest)
    service = factory.build_service(progress)
    model = factory.store().read()
    if relock:
        for lock in service.lock_all(model):
            err_console.print(f"locked {lock}", markup=False)
    built = service.build(model)
    seconds = round(time.perf_counter() - started, 2)
    if as_json:
        print_json({"functions": [_json(b) for b in built], "seconds": seconds})
        return
    _print(built, seconds)


def _json(built: FunctionBuild) -> dict[str, Any]:
    code = built.code
    layer = built.layer
    return {
        "route": built.route_id,
        "handler": built.handler,
        "code": {"path": str(built.code_path), "size": code.size,
                 "unzipped": code.unzipped_size, "sha256": code.sha256,
                 "cached": built.code_cached},
        "layer": None if layer is None else {
            "path": str(layer.zip_path), "size": layer.size, "unzipped": layer.unzipped_size,
            "sha256": layer.sha256, "cached": layer.cached},
        "unzipped_total": built.unzipped_total,
        "needs_s3": built.needs_s3,
    }  # fmt: skip


def _print(built: list[FunctionBuild], seconds: float) -> None:
    if not built:
        console.print("no routes on Lambda: nothing to build")
        return
    table = Table(title=f"built in {seconds:.1f} s")
    for column in ("route", "handler", "code", "layer", "unzipped total"):
        table.add_column(column)
    for item in built:
        code = _cell(item.code.size, item.code.sha256, item.code_cached)
        layer = (
            "-"
            if item.layer is None
            else _cell(item.layer.size, item.layer.sha256, item.layer.cached)
        )
        table.add_row(item.route_id, item.handler, code, layer, _size(item.unzipped_total))
        if item.needs_s3:
            warn(f"{item.handler}: a zip over 50 MB: `migrate apply` uploads it through S3")
    console.print(table)


def _cell(size: int, sha256: str, cached: bool) -> str:
    return f"{_size(size)} {sha256[:12]} ({'cached' if cached else 'built'})"


def _size(size: int) -> str:
    return f"{size / 1048576:.2f} MB" if size >= 1048576 else f"{size / 1024:.1f} KB"
