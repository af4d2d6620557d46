"""``migrate render``: write (or check) the SAM template generated from the manifest."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated

import typer

from migrate_cli.context import factory_for
from migrate_cli.options import DEFAULT_MANIFEST, JsonOpt, ManifestOpt
from migrate_cli.output import (
    EXIT_FAILED,
    console,
    err_console,
    handle_errors,
    print_json,
    warn_resource_quota,
)
from router.build.requirements import requirements_of
from router.manifest.store import atomic_write
from router.render import render_openapi, render_template_text

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("render")(render)


@handle_errors
def render(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where to write (default: template.yaml).")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when the file is stale; write nothing.")
    ] = False,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    as_json: JsonOpt = False,
) -> None:
    """Render the SAM template (API Gateway + Lambda) from the manifest.

    Example: [bold]migrate render --check[/]   (CI: fails when template.yaml is stale)
    """
    factory = factory_for(ctx, manifest)
    target = out or factory.template_path()
    model = factory.store().read()
    text = render_template_text(model, requirements_of(model, factory.project_root))
    warn_resource_quota(render_openapi(model, lambda_uri=lambda _route: "", view="stable"))
    current = target.read_text(encoding="utf-8") if target.exists() else None
    stale = current != text
    if as_json:
        print_json({"template": str(target), "stale": stale, "written": stale and not check})
    if check:
        _report_check(target, current, text, quiet=as_json)
        raise typer.Exit(EXIT_FAILED if stale else 0)
    if stale:
        atomic_write(target, text)
    if not as_json:
        console.print(f"{target}: {'written' if stale else 'up to date'}", markup=False)


def _report_check(target: Path, current: str | None, text: str, *, quiet: bool) -> None:
    if quiet:
        return
    if current == text:
        console.print(f"{target}: up to date", markup=False)
        return
    err_console.print(f"{target}: stale; run `migrate render` and commit the result", markup=False)
    diff = difflib.unified_diff(
        (current or "").splitlines(), text.splitlines(), "committed", "rendered", lineterm="", n=1
    )
    for line in list(diff)[:40]:
        err_console.print(line, markup=False, highlight=False)
