"""The local stack: a moto server (AWS), the monolith (gunicorn) and the local gateway.

``start_moto``, ``start_legacy`` and ``start_gateway`` each launch one process on
loopback and return it once it answers HTTP; port 0 lets the server bind a free port
and read it from the server's own output (``proc.port``, ``proc.ready_url``).
``LocalStack`` starts the three in that
order, points the gateway at moto (``AWS_ENDPOINT_URL`` plus dummy credentials, in the
gateway's environment only) and at the monolith (``MIGRATE_LEGACY_URL``), and stops
them in reverse order, also on errors and Ctrl-C. With ``StackConfig.state`` (an S3
state backend on moto: ``migrate up --state``) moto serves one request at a time (as
the backend needs), the injected ``on_aws`` prepares the backend once moto answers
(``router.state.local``: bucket, first push), and the gateway gets ``MIGRATE_STATE``.

This module must not read the manifest, print, or change this process's environment
or signal handlers: ``migrate up`` (``migrate_cli.commands.up``) does the talking.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from router.local.process import LOCALHOST, ManagedProcess

__all__ = [
    "LEGACY_URL_ENV",
    "SOURCE_ROOT",
    "LocalStack",
    "StackConfig",
    "StackUrls",
    "child_env",
    "local_aws_env",
    "start_gateway",
    "start_legacy",
    "start_moto",
]

LEGACY_URL_ENV = "MIGRATE_LEGACY_URL"  # the gateway forwards legacy routes here when set
STATE_ENV = "MIGRATE_STATE"  # the gateway follows this state backend when set
SOURCE_ROOT = Path(__file__).resolve().parents[2]  # holds router/, legacy_app/, migrate_cli/
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
_PROFILE_VARS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")
_log = logging.getLogger(__name__)


# How each server names the address it bound (its port is group 1).
_MOTO_ANNOUNCE = re.compile(r"Running on http://127\.0\.0\.1:(\d+)")
_GUNICORN_ANNOUNCE = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
_GATEWAY_ANNOUNCE = re.compile(r"gateway listening on http://127\.0\.0\.1:(\d+)")


def url(port: int) -> str:
    return f"http://{LOCALHOST}:{port}"


def _readiness(
    port: int, path: str, announce: re.Pattern[str]
) -> tuple[str, re.Pattern[str] | None]:
    """``(ready_url, announce)`` for a fixed port, or for port 0 (the port it names)."""
    if port:
        return f"{url(port)}{path}", None
    return f"http://{LOCALHOST}:{{port}}{path}", announce


def child_env(base: Mapping[str, str] | None = None, **overrides: str) -> dict[str, str]:
    """``base`` (default: this environment) able to import this project, unbuffered."""
    env = dict(os.environ if base is None else base)
    paths = [str(SOURCE_ROOT), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


def _monolith_default_database(cwd: Path) -> str:
    """The monolith's default database when started in ``cwd`` (``legacy_app.config``)."""
    return f"sqlite:///{(cwd / 'var' / 'legacy.db').as_posix()}"


def local_aws_env(
    endpoint_url: str, region: str, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``base`` pointed at a LOCAL AWS endpoint with dummy credentials and no profile.

    Only for a process that talks to that endpoint: real credentials are not touched
    anywhere else.
    """
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if k not in _PROFILE_VARS}
    env.update(DUMMY_CREDENTIALS)
    env.update(AWS_ENDPOINT_URL=endpoint_url, AWS_REGION=region, AWS_DEFAULT_REGION=region)
    return env


def start_moto(
    port: int,
    *,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    timeout_s: float = 20.0,
    serial: bool = False,
) -> ManagedProcess:
    """A moto server on ``127.0.0.1:port``, ready when ``/moto-api/`` answers.

    ``serial``: one request at a time, so S3's conditional writes are atomic as on
    AWS (``router.local.moto_serial``; the S3 state backend needs it).
    """
    module = "router.local.moto_serial" if serial else "moto.server"
    argv = [sys.executable, "-m", module, "-H", LOCALHOST, "-p", str(port)]
    ready_url, announce = _readiness(port, "/moto-api/", _MOTO_ANNOUNCE)
    proc = ManagedProcess(
        "moto", argv, ready_url, env=child_env(env), log_path=log_path, announce=announce
    )
    return proc.launch(timeout_s)


def start_legacy(
    port: int,
    database_url: str | None = None,
    delay_ms: int = 0,
    *,
    workers: int = 2,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    timeout_s: float = 30.0,
) -> ManagedProcess:
    """The monolith under gunicorn on ``127.0.0.1:port``, ready when ``/health`` is 200.

    Without ``database_url`` it uses its own default (``DATABASE_URL`` or
    ``./var/legacy.db`` under ``cwd``); a new database is created and seeded.
    """
    argv = [sys.executable, "-m", "legacy_app", "--host", LOCALHOST, "--port", str(port),
            "--workers", str(workers), "--delay-ms", str(delay_ms)]  # fmt: skip
    if database_url:
        argv += ["--database-url", database_url]
    ready_url, announce = _readiness(port, "/health", _GUNICORN_ANNOUNCE)
    proc = ManagedProcess(
        "monolith", argv, ready_url, env=child_env(env), cwd=cwd, log_path=log_path,
        announce=announce,
    )  # fmt: skip
    return proc.launch(timeout_s)


def start_gateway(
    port: int,
    manifest: Path,
    env: Mapping[str, str] | None = None,
    *,
    log_path: Path | None = None,
    timeout_s: float = 30.0,
    args: Sequence[str] = (),
) -> ManagedProcess:
    """``migrate serve [args]`` on ``127.0.0.1:port``; ready when ``/health`` gets any
    HTTP answer."""
    argv = [sys.executable, "-m", "migrate_cli", "serve", "--host", LOCALHOST,
            "--port", str(port), "--manifest", str(manifest.resolve()), *args]  # fmt: skip
    ready_url, announce = _readiness(port, "/health", _GATEWAY_ANNOUNCE)
    proc = ManagedProcess(
        "gateway",
        argv,
        ready_url,
        announce=announce,
        env=child_env(env),
        cwd=manifest.resolve().parent,
        ready=lambda status: True,
        log_path=log_path,
    )
    return proc.launch(timeout_s)


@dataclass(frozen=True, slots=True)
class StackConfig:
    """Ports 0: each server binds a free port (``LocalStack.urls`` once started)."""

    manifest: Path
    region: str = "us-east-1"
    gateway_port: int = 8080
    legacy_port: int = 5000
    moto_port: int = 5001
    database_url: str | None = None
    delay_ms: int = 0
    with_gateway: bool = True
    log_dir: Path | None = None  # None: temporary logs, deleted when stopped
    state: str | None = None  # an S3 state backend on moto (s3://BUCKET/PREFIX); None: files


@dataclass(frozen=True, slots=True)
class StackUrls:
    gateway: str | None
    legacy: str
    aws_endpoint: str


class LocalStack:
    """moto, then the monolith, then the gateway; stopped in reverse order.

    ``with LocalStack(config) as stack:`` starts all three (or stops what started and
    re-raises) and stops them on leaving, whatever happened.
    """

    def __init__(
        self,
        config: StackConfig,
        *,
        env: Mapping[str, str] | None = None,
        on_aws: Callable[[str], object] | None = None,
    ) -> None:
        self.config = config
        self._env = dict(os.environ if env is None else env)
        self._on_aws = on_aws  # called with moto's URL before the monolith starts
        self.processes: dict[str, ManagedProcess] = {}

    @property
    def urls(self) -> StackUrls:
        """The configured ports, or for port 0 the ones the started servers bound."""
        c = self.config
        gateway = url(self._port("gateway", c.gateway_port)) if c.with_gateway else None
        legacy, moto = self._port("monolith", c.legacy_port), self._port("moto", c.moto_port)
        return StackUrls(gateway, url(legacy), url(moto))

    def _port(self, name: str, configured: int) -> int:
        proc = self.processes.get(name)
        return configured if proc is None or proc.port is None else proc.port

    def gateway_env(self) -> dict[str, str]:
        """The gateway's environment: local AWS endpoint, dummy credentials, monolith URL,
        and the monolith's database (its Lambda workers get ``DATABASE_URL``: their own
        working directory is their code directory, not the project)."""
        env = local_aws_env(self.urls.aws_endpoint, self.config.region, self._env)
        env[LEGACY_URL_ENV] = self.urls.legacy
        # Without a backend on moto the gateway serves the file: its AWS is moto, where
        # a backend named by the manifest's `state:` does not exist.
        env[STATE_ENV] = self.config.state or "local"
        env["DATABASE_URL"] = (
            self.config.database_url
            or env.get("DATABASE_URL")
            or (_monolith_default_database(self.config.manifest.resolve().parent))
        )
        return env

    def start(self) -> StackUrls:
        c = self.config
        try:
            self._launch("moto", self._start_moto)
            if self._on_aws is not None:
                self._on_aws(self.urls.aws_endpoint)
            self._launch("monolith", self._start_legacy)
            if c.with_gateway:
                self._launch("gateway", self._start_gateway)
        except BaseException:
            self.stop()
            raise
        return self.urls

    def stop(self) -> None:
        """Stop every started process, last started first; never raises."""
        for name in reversed(list(self.processes)):
            try:
                self.processes[name].stop()
            except Exception as exc:
                _log.warning("could not stop %s: %r", name, exc)
        self.processes.clear()

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.processes.items() if p.pid is not None}

    def exited(self) -> ManagedProcess | None:
        """The first process that is no longer running, if any."""
        return next((p for p in self.processes.values() if not p.running), None)

    def _launch(self, name: str, starter: Callable[[Path | None], ManagedProcess]) -> None:
        log = None if self.config.log_dir is None else self.config.log_dir / f"{name}.log"
        self.processes[name] = starter(log)

    def _start_moto(self, log: Path | None) -> ManagedProcess:
        serial = self.config.state is not None  # conditional writes atomic, as on S3
        return start_moto(self.config.moto_port, env=self._env, log_path=log, serial=serial)

    def _start_legacy(self, log: Path | None) -> ManagedProcess:
        c = self.config
        cwd = c.manifest.resolve().parent
        return start_legacy(
            c.legacy_port, c.database_url, c.delay_ms, cwd=cwd, env=self._env, log_path=log
        )

    def _start_gateway(self, log: Path | None) -> ManagedProcess:
        c = self.config
        return start_gateway(c.gateway_port, c.manifest, self.gateway_env(), log_path=log)

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
