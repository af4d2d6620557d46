"""What a worker's environment holds besides Lambda's own variables (``artifacts``)."""

from __future__ import annotations

from router.lambda_runtime.artifacts import DEFAULT_PASS_ENV, pass_through, worker_environment
from router.manifest.model import Manifest

GATEWAY = {
    "AWS_ENDPOINT_URL": "http://127.0.0.1:5001",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "DATABASE_URL": "sqlite:///gateway.db",
    "HOME": "/root",
}


def test_the_gateway_gives_its_aws_endpoint_credentials_and_default_database() -> None:
    passed = pass_through(DEFAULT_PASS_ENV, GATEWAY)
    env = worker_environment({"LOG_LEVEL": "DEBUG"}, passed)
    assert env == {**{k: v for k, v in GATEWAY.items() if k != "HOME"}, "LOG_LEVEL": "DEBUG"}


def test_a_function_naming_its_database_does_not_get_the_gateways() -> None:
    passed = pass_through(DEFAULT_PASS_ENV, GATEWAY)
    for name in ("DB_SECRET_ARN", "DB_SSM_PARAMETER", "DATABASE_URL"):
        env = worker_environment({name: "mine"}, passed)
        assert env[name] == "mine" and env.get("DATABASE_URL", "mine") == "mine"
        assert env["AWS_ENDPOINT_URL"] == GATEWAY["AWS_ENDPOINT_URL"]


def test_the_declared_environment_is_the_manifests_with_its_database_reference() -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-db-AbCdEf"
    route = {"id": "u", "method": "GET", "path": "/u", "target": "lambda",
             "function": "pkg.fn", "database": {"secret_arn": arn}}  # fmt: skip
    defaults = {"environment": {"LOG_LEVEL": "INFO"}, "database": {"ssm_parameter": "/db"}}
    data = {"legacy": {"url": "http://127.0.0.1:5000"}, "routes": [route], "defaults": defaults}
    manifest = Manifest.model_validate(data)
    declared = manifest.environment_for(manifest.routes[0])
    env = worker_environment(declared, pass_through(DEFAULT_PASS_ENV, GATEWAY))
    assert env["DB_SECRET_ARN"] == arn and env["LOG_LEVEL"] == "INFO"
    assert "DATABASE_URL" not in env and "DB_SSM_PARAMETER" not in env  # the route's replaces
