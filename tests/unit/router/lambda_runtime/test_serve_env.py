"""What a worker's environment holds besides Lambda's own variables (``serve``)."""

from __future__ import annotations

import os
from pathlib import Path

from router.gateway.events import LambdaContext
from router.lambda_runtime.serve import ManifestEnvironment, function_environment, route_specs
from router.manifest.model import Manifest
from router.manifest.store import dump_manifest

GATEWAY = {
    "AWS_ENDPOINT_URL": "http://127.0.0.1:5001",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "DATABASE_URL": "sqlite:///gateway.db",
    "HOME": "/root",
}


def test_the_gateway_gives_its_aws_endpoint_credentials_and_default_database() -> None:
    env = function_environment({"LOG_LEVEL": "DEBUG"}, GATEWAY)
    assert env == {**{k: v for k, v in GATEWAY.items() if k != "HOME"}, "LOG_LEVEL": "DEBUG"}


def test_a_function_naming_its_database_does_not_get_the_gateways() -> None:
    for name in ("DB_SECRET_ARN", "DB_SSM_PARAMETER", "DATABASE_URL"):
        env = function_environment({name: "mine"}, GATEWAY)
        assert env[name] == "mine" and env.get("DATABASE_URL", "mine") == "mine"


def write(path: Path, secret: str) -> None:
    route = {"id": "u", "method": "GET", "path": "/u", "target": "lambda",
             "function": "pkg.fn", "environment": {"DB_SECRET_ARN": secret}}  # fmt: skip
    defaults = {"environment": {"LOG_LEVEL": "INFO", "DB_SECRET_ARN": "default"}}
    data = {"legacy": {"url": "http://127.0.0.1:5000"}, "routes": [route], "defaults": defaults}
    path.write_text(dump_manifest(Manifest.model_validate(data)), encoding="utf-8")


def test_each_function_gets_its_manifest_environment_reread_on_change(tmp_path: Path) -> None:
    manifest = tmp_path / "migration.yaml"
    write(manifest, "arn:one")
    environment = ManifestEnvironment(manifest)
    assert environment("pkg.fn") == {"LOG_LEVEL": "INFO", "DB_SECRET_ARN": "arn:one"}
    assert environment("pkg.other") == {}
    write(manifest, "arn:two-longer")
    os.utime(manifest, ns=(1, 1))  # a change within the clock's granularity still counts
    assert environment("pkg.fn")["DB_SECRET_ARN"] == "arn:two-longer"
    arn = "arn:aws:lambda:eu-west-1:111122223333:function:f"
    context = LambdaContext(request_id="r", function_name="f", function_arn=arn, memory_mb=256,
                            deadline=0.0)  # fmt: skip
    spec = route_specs(tmp_path, (), environment)("pkg.fn", context)
    assert spec.environment["DB_SECRET_ARN"] == "arn:two-longer" and spec.region == "eu-west-1"
