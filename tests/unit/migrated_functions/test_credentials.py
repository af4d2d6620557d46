"""Handlers on PostgreSQL with credentials from Secrets Manager or SSM (moto, in-process).

The function's environment holds only ``DB_SECRET_ARN`` or ``DB_SSM_PARAMETER``; the
secret holds the RDS JSON. Read once per cold start, read again once when the
server refuses the login (a rotation), a 502 and one log line when refused again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import base as powertools_base
from moto import mock_aws
from sqlalchemy import text
from sqlalchemy.engine import URL

from migrated_functions._shared import db
from migrated_functions._shared.credentials import (
    CredentialsError,
    CredentialSource,
    DbCredentials,
    parse_credentials,
    refused_credentials,
)
from migrated_functions.users import get_user
from tests.helpers.apigw import FakeContext, api_event
from tests.helpers.pg import admin, render, revoke_login, scratch_role, seeded_schema

SECRET = CredentialSource("secret", "arn:aws:secretsmanager:us-east-1:1:secret:db")
PASSWORD = "pw-" + uuid.uuid4().hex  # trust auth ignores it; it must never be printed


@pytest.fixture(scope="module")
def seeded() -> Iterator[URL]:
    with seeded_schema("cred") as url:
        yield url


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto in-process; no DATABASE_URL; Powertools' clients made under this mock."""
    for name in ("DATABASE_URL", "AWS_ENDPOINT_URL", "DB_SECRET_ARN", "DB_SSM_PARAMETER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    powertools_base.DEFAULT_PROVIDERS.clear()
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")
        db.reset_engines()
    powertools_base.DEFAULT_PROVIDERS.clear()


def rds_secret(url: URL, username: str) -> str:
    return json.dumps(
        {
            "engine": "postgres",
            "host": url.host,
            "port": url.port or 5432,
            "username": username,
            "password": PASSWORD,
            "dbname": url.database,
        }
    )


def secret_for(aws: Any, monkeypatch: pytest.MonkeyPatch, value: str) -> str:
    arn = str(aws.create_secret(Name=f"db-{uuid.uuid4().hex[:6]}", SecretString=value)["ARN"])
    monkeypatch.setenv("DB_SECRET_ARN", arn)
    return arn


def get(user_id: int = 1) -> dict[str, Any]:
    event = api_event("GET", "/api/users/{user_id}", f"/api/users/{user_id}")
    return get_user(event, FakeContext())


def connected_as() -> str:
    with db.get_engine().connect() as conn:
        return str(conn.scalar(text("SELECT current_user")))


def test_secret_is_read_once_per_cold_start(
    seeded: URL, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with scratch_role(seeded) as role:
        arn = secret_for(aws, monkeypatch, rds_secret(seeded, role))
        assert get()["statusCode"] == 200 and json.loads(get(7)["body"])["id"] == 7
        aws.put_secret_value(SecretId=arn, SecretString=rds_secret(seeded, "nobody"))
        assert get(2)["statusCode"] == 200  # the cached credentials still serve
        assert connected_as() == role


def test_refused_login_reads_the_secret_again_once(
    seeded: URL, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with scratch_role(seeded, "old") as old, scratch_role(seeded, "new") as new:
        arn = secret_for(aws, monkeypatch, rds_secret(seeded, old))
        assert get()["statusCode"] == 200 and connected_as() == old
        aws.put_secret_value(SecretId=arn, SecretString=rds_secret(seeded, new))
        with admin(seeded) as conn:  # the rotation revokes the old login
            revoke_login(conn, old)
        assert get()["statusCode"] == 200
        assert connected_as() == new


def test_refused_credentials_are_a_502_and_one_log_line(
    seeded: URL, aws: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = secret_for(aws, monkeypatch, rds_secret(seeded, "nobody_" + uuid.uuid4().hex[:6]))
    capsys.readouterr()
    response = get()
    assert response["statusCode"] == 502
    assert json.loads(response["body"])["error"] == "bad_gateway"
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 1, out
    line = json.loads(lines[0])
    assert line["level"] == "ERROR" and line["status"] == 502
    assert f"DB_SECRET_ARN={arn}" in line["error"] and "does not exist" in line["error"]
    assert PASSWORD not in out


def test_ssm_securestring_parameter(seeded: URL, aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with scratch_role(seeded) as role:
        ssm = boto3.client("ssm", region_name="us-east-1")
        ssm.put_parameter(Name="/db/app", Value=rds_secret(seeded, role), Type="SecureString")
        monkeypatch.setenv("DB_SSM_PARAMETER", "/db/app")
        assert get()["statusCode"] == 200 and connected_as() == role


def test_database_url_wins_over_the_secret(
    seeded: URL, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DB_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:missing")
    monkeypatch.setenv("DATABASE_URL", render(seeded))
    assert get()["statusCode"] == 200


@pytest.mark.parametrize(
    ("value", "reason"),
    [("not json", "cannot read"), ('{"host": "h", "username": "u"}', "missing password")],
)
def test_unusable_secret_is_a_502_naming_it(
    aws: Any, monkeypatch: pytest.MonkeyPatch, value: str, reason: str
) -> None:
    arn = secret_for(aws, monkeypatch, value)
    response = get()
    assert response["statusCode"] == 502
    with pytest.raises(CredentialsError, match=reason) as caught:
        CredentialSource("secret", arn).fetch()
    assert arn in str(caught.value)


def test_credentials_never_show_the_password() -> None:
    value = {"engine": "postgres", "host": "h", "port": 5433, "username": "u", "password": "s3"}
    found = parse_credentials(SECRET, {**value, "dbname": "app"})
    assert found == DbCredentials("postgres", "h", 5433, "u", "app", "s3")
    assert "s3" not in repr(found) and "s3" not in found.describe()
    with pytest.raises(CredentialsError, match="engine 'mysql' is not supported"):
        parse_credentials(SECRET, {**value, "engine": "mysql"})


@pytest.mark.parametrize(
    ("message", "refused"),
    [
        ('FATAL:  password authentication failed for user "app"', True),
        ('FATAL:  role "app" does not exist', True),
        ('FATAL:  role "app" is not permitted to log in', True),
        ('FATAL:  no pg_hba.conf entry for host "10.0.0.1", user "app"', True),
        ("Connection refused\n\tIs the server running on that host", False),
        ('FATAL:  database "app" does not exist', False),
    ],
)
def test_refusals_are_told_from_network_errors(message: str, refused: bool) -> None:
    assert refused_credentials(Exception(message)) is refused
