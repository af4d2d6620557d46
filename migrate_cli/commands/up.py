"""``migrate up``: run the local stack (moto, the monolith, the gateway) until Ctrl-C.

Options, printing and signal handling only: checking the ports, starting, watching
and stopping the servers is ``router.local`` (built by the factory). This module
must not talk to real AWS nor change the user's environment (the dummy credentials
go to the gateway process alone).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from migrate_cli.context import factory_for
from migrate_cli.options import DEFAULT_MANIFEST, ManifestOpt
from migrate_cli.output import handle_errors
from router.local import LEGACY_URL_ENV, LocalStack, StackConfig, StackUrls
from router.local.stack import DUMMY_CREDENTIALS
from router.local.supervise import watch
from router.state.location import parse_state_url

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("up")(up)


@handle_errors
def up(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", "-p", min=0, max=65535, help="Gateway port (0: any free).")
    ] = 8080,
    legacy_port: Annotated[
        int, typer.Option("--legacy-port", min=0, max=65535, help="Monolith port (0: any free).")
    ] = 5000,
    moto_port: Annotated[
        int, typer.Option("--moto-port", min=0, max=65535, help="Local AWS endpoint (moto) port.")
    ] = 5001,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="DATABASE_URL",
            help="Database of the monolith and of the handlers the gateway runs, e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test "
            "(default: var/legacy.db next to the manifest).",
        ),
    ] = None,
    delay_ms: Annotated[int, typer.Option("--delay-ms", min=0, help="Monolith latency (ms).")] = 0,
    no_gateway: Annotated[
        bool, typer.Option("--no-gateway", help="Start moto and the monolith only.")
    ] = False,
    log_dir: Annotated[
        Path | None, typer.Option("--log-dir", help="Where the servers' logs go (default: temp).")
    ] = None,
    state: Annotated[
        str | None,
        typer.Option(
            "--state",
            help="Keep the state in an S3 backend on the moto server, s3://BUCKET/PREFIX: "
            "its bucket is created (versioning on) and the manifest pushed to it.",
        ),
    ] = None,
    manifest: ManifestOpt = DEFAULT_MANIFEST,
) -> None:
    """Start the local stack on 127.0.0.1: moto (AWS), the monolith and the gateway.

    The gateway runs Lambda routes in isolated worker processes (as `migrate serve`)
    and publishes metrics, access logs and the functions' logs to moto. Stops
    everything on Ctrl-C or SIGTERM.

    With --state s3://BUCKET/PREFIX the state lives on moto's S3 (export the
    printed MIGRATE_STATE in another shell) and the gateway follows its revision.

    Example: [bold]migrate up --port 8080 --legacy-port 5000 --moto-port 5001[/]

    Example: [bold]migrate up --state s3://demo-state/shop[/]
    """
    _up(
        ctx,
        StackConfig(
            manifest=manifest,
            gateway_port=port,
            legacy_port=legacy_port,
            moto_port=moto_port,
            database_url=database_url,
            delay_ms=delay_ms,
            with_gateway=not no_gateway,
            log_dir=log_dir,
            state=_state_url(state),
        ),
    )


def _state_url(value: str | None) -> str | None:
    """``--state`` checked before anything starts (exit 2); None for ``local``."""
    location = parse_state_url(value, "--state") if value else None
    return location.url if location else None


def _up(ctx: typer.Context, config: StackConfig) -> None:
    factory = factory_for(ctx, config.manifest)
    stack = factory.local_stack(config)
    legacy_url = factory.local_manifest(config).legacy.url
    with _interrupts_raise():
        try:
            urls = stack.start()
            if legacy_url != urls.legacy:
                _echo(f"note: legacy.url in the manifest is {legacy_url}; the gateway is given "
                      f"{urls.legacy} ({LEGACY_URL_ENV})")  # fmt: skip
            _announce(urls, stack, stack.config)
            watch(stack)
        except KeyboardInterrupt:
            _echo("stopping ...")
        finally:
            with _interrupts_ignored():
                stack.stop()
    _echo("stopped")


def _announce(urls: StackUrls, stack: LocalStack, config: StackConfig) -> None:
    pids = stack.pids()
    if urls.gateway:
        _echo(f"gateway       {urls.gateway}   (pid {pids['gateway']})")
    _echo(f"monolith      {urls.legacy}   (pid {pids['monolith']})")
    _echo(f"aws endpoint  {urls.aws_endpoint}   (pid {pids['moto']})")
    if config.state:
        _echo(f"state         {config.state}   (on the aws endpoint, versioning on)")
    _echo(f"logs          {config.log_dir}")
    creds = " ".join(f"{k}={v}" for k, v in DUMMY_CREDENTIALS.items())
    state = f" MIGRATE_STATE={config.state}" if config.state else ""
    _echo(f"export AWS_ENDPOINT_URL={urls.aws_endpoint} AWS_REGION={config.region}{state} {creds}")
    _echo("ready; press Ctrl-C to stop")


def _echo(line: str) -> None:
    typer.echo(line)
    sys.stdout.flush()


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def _interrupts_raise() -> Iterator[None]:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt inside the block.

    SIGINT is set explicitly: a process started in the background by a shell inherits
    SIGINT ignored, and Python then installs no handler, so Ctrl-C sent by a supervisor
    (or a test) would be dropped and the servers left running.
    """
    sigs = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, _raise_interrupt) for sig in sigs}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _interrupts_ignored() -> Iterator[None]:
    """A second Ctrl-C/SIGTERM must not cut the shutdown short (and leak a server)."""
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
