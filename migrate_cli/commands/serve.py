"""``migrate serve``: run the local API Gateway in front of the monolith."""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from migrate_cli.context import factory_for
from migrate_cli.factory import Factory
from migrate_cli.options import DEFAULT_MANIFEST, ManifestOpt
from migrate_cli.output import handle_errors
from router.gateway.records import Sink
from router.manifest.model import Manifest

__all__ = ["register"]


class RuntimeClient(enum.StrEnum):
    """How the Lambda workers' awslambdaric talks to the gateway's Runtime API."""

    python = "python"
    native = "native"


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


@handle_errors
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port to bind.")] = 8080,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
    threads: Annotated[
        int,
        typer.Option(
            "--threads",
            min=1,
            help="--in-process only: Lambda handlers that may run at once (more helps only "
            "handlers that wait on I/O: they share one GIL).",
        ),
    ] = 8,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed the canary split (reproducible runs).")
    ] = None,
    legacy_url: Annotated[
        str | None,
        typer.Option(
            "--legacy-url", envvar="MIGRATE_LEGACY_URL", help="Monolith URL instead of legacy.url."
        ),
    ] = None,
    half_close: Annotated[
        bool,
        typer.Option(
            "--half-close/--no-half-close",
            envvar="MIGRATE_HALF_CLOSE",
            help="Half-close requests to a local monolith that answers Connection: close "
            "(frees gunicorn sync workers sooner). Off if it takes a client's FIN for an abort.",
        ),
    ] = True,
    grace: Annotated[
        float,
        typer.Option("--grace", min=0, help="Seconds in-flight requests get on SIGTERM/Ctrl-C."),
    ] = 10.0,
    header_timeout: Annotated[
        float, typer.Option("--header-timeout", min=0.01, help="Seconds to send a request head.")
    ] = 60.0,
    body_timeout: Annotated[
        float,
        typer.Option("--body-timeout", min=0.01, help="Seconds between two reads of a body."),
    ] = 60.0,
    keepalive_timeout: Annotated[
        float,
        typer.Option("--keepalive-timeout", min=0.01, help="Seconds an idle connection stays."),
    ] = 75.0,
    max_connections: Annotated[
        int,
        typer.Option(
            "--max-connections",
            min=0,
            help="Clients served at once; more get 503 (0: from the file-descriptor limit).",
        ),
    ] = 0,
    in_process: Annotated[
        bool,
        typer.Option(
            "--in-process",
            help="Debug mode, NOT isolated: run Lambda handlers in this interpreter's threads "
            "(breakpoints work; handlers see the toolkit's packages and share its GIL).",
        ),
    ] = False,
    isolated: Annotated[
        bool, typer.Option("--isolated", hidden=True, help="The default (kept as an alias).")
    ] = False,
    layer: Annotated[
        list[Path] | None,
        typer.Option("--layer", help="An extra layer directory on the workers' sys.path."),
    ] = None,
    pass_env: Annotated[
        list[str] | None,
        typer.Option(
            "--pass-env",
            help="A variable of this shell copied into every Lambda environment (repeat; "
            "default: DATABASE_URL and AWS_ENDPOINT_URL and the AWS credential variables).",
        ),
    ] = None,
    runtime_client: Annotated[
        RuntimeClient,
        typer.Option(
            "--runtime-client",
            envvar="MIGRATE_RUNTIME_CLIENT",
            help="How awslambdaric reaches the Runtime API: python (its protocol in Python, "
            "the default: ~175 us less CPU per invoke) or native (its libcurl extension).",
        ),
    ] = RuntimeClient.python,
    log_level: Annotated[str, typer.Option("--log-level", help="Python log level.")] = "INFO",
) -> None:
    """Serve the manifest's routes locally, exactly as its API Gateway would.

    Legacy routes go to legacy.url. Lambda routes run as on Lambda: each function in its
    own worker processes (AWS's runtime client) with only its packaged code, its layer
    (from its lock, built once) and the manifest's environment. --in-process runs them
    in this interpreter instead (debugging; not isolated).

    Route promotions and rollbacks apply within a second, without a restart. Under an
    S3 state backend (the manifest's state: or MIGRATE_STATE) the gateway follows the
    backend's current revision: each new one is written to the manifest file (one
    conditional read a second), so another working copy's promote reaches it too.

    Example: [bold]migrate serve --port 8080 --manifest migration.yaml[/]

    Debugging with breakpoints: [bold]migrate serve --port 8080 --in-process[/]
    """
    from router.gateway.limits import Limits
    from router.gateway.runtime import ServeOptions, run  # httptools/uvloop: only for serve

    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    limits = Limits(
        header_timeout=header_timeout, body_timeout=body_timeout,
        keepalive_timeout=keepalive_timeout, max_connections=max_connections,
    )  # fmt: skip
    options = ServeOptions(
        manifest, host=host, port=port, threads=threads, seed=seed, grace=grace,
        legacy_url=legacy_url, half_close=half_close, limits=limits,
        in_process=in_process and not isolated, layers=tuple(layer or ()),
        pass_env=None if pass_env is None else tuple(pass_env),
        native_client=runtime_client is RuntimeClient.native,
    )  # fmt: skip
    with _following(ctx, manifest):
        run(options, sink_factory=_sink)


@contextmanager
def _following(ctx: typer.Context, manifest: Path) -> Iterator[None]:
    """On an S3 backend: the manifest file brought to the backend's revision now, then
    kept there from a thread while the gateway serves."""
    factory = factory_for(ctx, manifest)
    follower = factory.head_follower()
    if follower is None:
        yield
        return
    _refuse_unpushed(factory)
    follower.sync()
    follower.start()
    try:
        yield
    finally:
        follower.stop()


def _sink(manifest: Manifest) -> Sink:
    """CloudWatch metrics and access logs when an AWS endpoint is configured (see
    ``MIGRATE_TELEMETRY``), else nothing."""
    from router.gateway.telemetry import build_sink

    return build_sink(manifest)


def _refuse_unpushed(factory: Factory) -> None:
    """Exit 2 rather than replace a local manifest the backend does not have yet."""
    from router.errors import UsageError

    found = factory.state_comparison()
    if found is not None and found[1].newer in ("local", "diverged"):
        url, comparison = found
        raise UsageError(
            f"{factory.manifest_path}: not served: {comparison.sentence(url)}",
            hint="the gateway serves the backend's revision and would replace this file",
        )
