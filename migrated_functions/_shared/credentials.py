"""Database credentials named by the function's environment, never held in it.

``DB_SECRET_ARN`` names a Secrets Manager secret, ``DB_SSM_PARAMETER`` an SSM
SecureString parameter; either holds the RDS secret JSON (``engine``, ``host``,
``port``, ``username``, ``password``, ``dbname``; RDS-managed and RDS Proxy
secrets use it). They are read through Powertools' parameters utility, cached for
the life of the execution environment (one read per cold start); ``fetch(force=True)``
reads again, which ``db`` does once when the database refuses the cached ones
(rotation). The password stays out of ``repr``, URLs and logs: this module must not
log, and nothing may print ``DbCredentials.password``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "PARAMETER_ENV",
    "SECRET_ENV",
    "CredentialSource",
    "CredentialsError",
    "DbCredentials",
    "configured_source",
    "refused_credentials",
]

SECRET_ENV = "DB_SECRET_ARN"
PARAMETER_ENV = "DB_SSM_PARAMETER"
CACHE_FOREVER_S = 10 * 365 * 24 * 3600  # an environment lives hours at most
_DRIVERS = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}
_REQUIRED = ("host", "username", "password")
# libpq reports a failed login with no SQLSTATE (psycopg's ``sqlstate`` is None), so
# the server's FATAL text decides; these are PostgreSQL's English messages (RDS's default
# lc_messages) for a wrong password, an unknown or NOLOGIN role, and a refused host.
_REFUSED = re.compile(
    r"authentication failed|role \".*\" does not exist|not permitted to log in|pg_hba\.conf"
)


class CredentialsError(Exception):
    """The secret or parameter is unreadable or not in the RDS format (no secret value)."""


@dataclass(frozen=True, slots=True)
class DbCredentials:
    engine: str
    host: str
    port: int
    username: str
    dbname: str
    password: str = field(repr=False)

    @property
    def drivername(self) -> str:
        return _DRIVERS[self.engine]

    def connect_params(self) -> dict[str, Any]:
        """What psycopg's ``connect`` takes (the password included: never log it)."""
        params: dict[str, Any] = dict(host=self.host, port=self.port, dbname=self.dbname)
        return params | {"user": self.username, "password": self.password}

    def describe(self) -> str:
        return f"{self.username}@{self.host}:{self.port}/{self.dbname}"


@dataclass(frozen=True, slots=True)
class CredentialSource:
    """Where the credentials live: ``kind`` is ``secret`` or ``parameter``."""

    kind: str
    name: str

    def fetch(self, *, force: bool = False) -> DbCredentials:
        """The cached credentials (read on first use), or read again with ``force``."""
        from aws_lambda_powertools.utilities import parameters

        options: dict[str, Any] = {"transform": "json", "force_fetch": force}
        options["max_age"] = CACHE_FOREVER_S
        try:
            if self.kind == "secret":
                value = parameters.get_secret(self.name, **options)
            else:
                value = parameters.get_parameter(self.name, decrypt=True, **options)
        except Exception as exc:  # Powertools wraps every SDK and transform error
            raise CredentialsError(f"{self}: cannot read: {type(exc).__name__}") from exc
        return parse_credentials(self, value)

    def __str__(self) -> str:
        env = SECRET_ENV if self.kind == "secret" else PARAMETER_ENV
        return f"{env}={self.name}"


def configured_source(environ: Mapping[str, str] = os.environ) -> CredentialSource | None:
    """The source the environment names (the secret wins over the parameter), if any."""
    if secret := environ.get(SECRET_ENV):
        return CredentialSource("secret", secret)
    if parameter := environ.get(PARAMETER_ENV):
        return CredentialSource("parameter", parameter)
    return None


def parse_credentials(source: CredentialSource, value: object) -> DbCredentials:
    """The RDS secret JSON as DbCredentials; CredentialsError naming the missing key."""
    if not isinstance(value, dict):
        raise CredentialsError(f"{source}: not a JSON object")
    missing = [key for key in _REQUIRED if not value.get(key)]
    if missing:
        raise CredentialsError(f"{source}: missing {', '.join(missing)}")
    engine = str(value.get("engine") or "postgres")
    if engine not in _DRIVERS:
        raise CredentialsError(f"{source}: engine {engine!r} is not supported (postgres)")
    return DbCredentials(
        engine=engine,
        host=str(value["host"]),
        port=int(value.get("port") or 5432),
        username=str(value["username"]),
        dbname=str(value.get("dbname") or "postgres"),
        password=str(value["password"]),
    )


def refused_credentials(exc: BaseException) -> bool:
    """Whether a failed connect was the server refusing the login (not a network error)."""
    return bool(_REFUSED.search(str(exc)))
