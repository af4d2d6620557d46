"""Acceptance: what `migrate apply` deploys to Lambda (moto server) runs the way Lambda runs it.

Real wheels from the package index (marked ``slow``; a failed download fails the
test, never skips it), a real ``migrate`` process and a real moto server.

* After ``migrate apply``, the function's code and its published layer are taken as
  Lambda holds them and unzipped together into an empty directory (code at the root,
  the layer's ``python/`` beside it, as ``/var/task`` and ``/opt/python``); an
  isolated interpreter (``python -I -S``: no site-packages, only that directory and
  the standard library on ``sys.path``) imports the handler and answers AWS's sample
  API Gateway proxy event.

  moto hands out no downloadable locations: ``GetFunction``'s ``Code.Location``
  names a bucket it never creates (``awslambda-<region>-tasks``) and
  ``GetLayerVersion``'s ``Content.Location`` is just ``s3://``. So the zips are taken
  from the build cache ``apply`` uploaded them from, and each is checked against the
  ``CodeSha256`` moto computed from the bytes it received: they are the deployed bytes.

  Two runtimes: ``python3.11`` (a Lambda runtime too, and this machine's interpreter):
  the published cp311 manylinux layer itself is imported. ``python3.12`` (the
  project's): this machine has no 3.12, which could not import the cp312 wheels, so
  the layer installed for this interpreter from the same lock
  (``router.build.local_layer``) is used, after checking it holds exactly the
  packages and versions of the published layer.
* A second ``apply`` with nothing changed publishes no layer version and uploads no
  code; a changed lock publishes exactly one new version and re-uploads no code.
* On an empty build cache (a fresh machine or CI runner), ``plan`` and ``apply`` reuse
  the layer version the deploy state records for the same lock: pip does not run.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

from router.build import local_layer
from router.build._zip import tree_entries, zip_entries
from router.local.stack import local_aws_env
from router.manifest.store import ManifestStore
from tests.helpers.e2e import moto_client, run_migrate

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
USERS = "GET /api/users/{id}"
HANDLER = "migrated_functions.users.get_user"

# AWS's sample API Gateway (REST) proxy event, from the Lambda developer guide, for
# GET /api/users/1 on the resource /api/users/{user_id}.
SAMPLE_EVENT: dict[str, Any] = {
    "resource": "/api/users/{user_id}",
    "path": "/api/users/1",
    "httpMethod": "GET",
    "headers": {
        "Accept": "application/json",
        "Host": "1234567890.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "curl/7.64.1",
        "X-Amzn-Trace-Id": "Root=1-5e66d96f-7491f09xmpl79d18acf3d050",
        "X-Forwarded-For": "72.21.198.64",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    },
    "multiValueHeaders": {
        "Accept": ["application/json"],
        "Host": ["1234567890.execute-api.us-east-1.amazonaws.com"],
        "User-Agent": ["curl/7.64.1"],
        "X-Amzn-Trace-Id": ["Root=1-5e66d96f-7491f09xmpl79d18acf3d050"],
        "X-Forwarded-For": ["72.21.198.64"],
        "X-Forwarded-Port": ["443"],
        "X-Forwarded-Proto": ["https"],
    },
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": {"user_id": "1"},
    "stageVariables": None,
    "requestContext": {
        "resourceId": "2gxmpl",
        "resourcePath": "/api/users/{user_id}",
        "httpMethod": "GET",
        "extendedRequestId": "JJbxmplHYosFVYQ=",
        "requestTime": "10/Mar/2020:00:03:59 +0000",
        "path": "/prod/api/users/1",
        "accountId": "123456789012",
        "protocol": "HTTP/1.1",
        "stage": "prod",
        "domainPrefix": "1234567890",
        "requestTimeEpoch": 1583798639428,
        "requestId": "77375676-xmpl-4b79-853a-f982474efe18",
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": "72.21.198.64",
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": "curl/7.64.1",
            "user": None,
        },
        "domainName": "1234567890.execute-api.us-east-1.amazonaws.com",
        "apiId": "1234567890",
    },
    "body": None,
    "isBase64Encoded": False,
}

INVOKE = """\
import json, sys
task = sys.argv[1]
sys.path[:0] = [task, task + "/python"]
assert not any("site-packages" in p for p in sys.path), sys.path
import importlib
module, _, name = sys.argv[2].rpartition(".")
handler = getattr(importlib.import_module(module), name)
print(json.dumps(handler(json.loads(sys.argv[3]), None)))
"""


class Project:
    def __init__(self, root: Path, moto_url: str, runtime: str) -> None:
        self.root = root
        root.mkdir(exist_ok=True)
        self.manifest = root / "migration.yaml"
        self.api_name = f"art-{uuid.uuid4().hex[:8]}"
        text = (REPO / "migration.yaml").read_text()
        text = text.replace("name: legacy-api", f"name: {self.api_name}")
        self.manifest.write_text(text.replace("runtime: python3.12", f"runtime: {runtime}"))
        shutil.copytree(REPO / "migrated_functions", root / "migrated_functions")
        self.env = local_aws_env(moto_url, "us-east-1")
        self.env.update(MIGRATE_MANIFEST=str(self.manifest), PYTHONPATH=str(root))
        self.lam = moto_client(moto_url, "lambda")
        self.function = f"{self.api_name}-get-api-users-user-id"
        self.layer = f"{self.api_name}-MigratedFunctionsRequirementsLayer"

    def ok(self, *args: str) -> str:
        result = run_migrate(*args, cwd=self.root, env=self.env, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def apply(self) -> dict[str, Any]:
        return dict(json.loads(self.ok("apply", "--yes", "--json")))

    def versions(self) -> list[int]:
        listed = self.lam.list_layer_versions(LayerName=self.layer)["LayerVersions"]
        return sorted(v["Version"] for v in listed)

    def deployed(self) -> tuple[bytes, bytes, str]:
        """The function's zip and its layer's zip as Lambda holds them; the layer's ARN."""
        function = self.lam.get_function(FunctionName=self.function)
        (layer_arn,) = [layer["Arn"] for layer in function["Configuration"]["Layers"]]
        version = int(layer_arn.rsplit(":", 1)[1])
        layer = self.lam.get_layer_version(LayerName=self.layer, VersionNumber=version)
        assert layer["Content"]["Location"] == "s3://"  # moto: nothing to download
        cache = self.root / ".migrate" / "build"
        code = _by_hash(cache / "functions", function["Configuration"]["CodeSha256"])
        return code, _by_hash(cache / "layers", layer["Content"]["CodeSha256"]), layer_arn


def _by_hash(directory: Path, sha256: str) -> bytes:
    """The one zip under ``directory`` whose SHA-256 is ``sha256`` (Lambda's spelling)."""
    found = [p.read_bytes() for p in directory.rglob("*.zip") if _b64(p.read_bytes()) == sha256]
    assert len(found) == 1, f"no zip under {directory} with CodeSha256 {sha256}"
    return found[0]


def _b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


@pytest.mark.parametrize("runtime", ["python3.11", "python3.12"])
def test_the_deployed_code_and_layer_answer_the_sample_event(
    tmp_path: Path, moto_server: str, runtime: str
) -> None:
    project = Project(tmp_path / "project", moto_server, runtime)
    project.ok("route", "promote", USERS, "--function", HANDLER)
    if runtime != "python3.12":
        project.ok("build", "--lock")  # the committed lock is for python3.12
    applied = project.apply()
    assert applied["result"]["artifact_calls"][:2] == ["publish_layer_version", "create_function"]
    code, layer, _ = project.deployed()
    task = tmp_path / "task"
    _unzip(code, task)
    assert "No module named 'sqlalchemy'" in _invoke(task, tmp_path).stderr  # code alone
    host = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if runtime == host:
        _unzip(layer, task)  # the published layer itself
    else:
        _unzip(_zip_of(_host_layer(project)), task)
        assert _dists(_names(_zip_of(_host_layer(project)))) == _dists(_names(layer))
    answered = _invoke(task, tmp_path)
    assert answered.returncode == 0, answered.stderr
    result = json.loads(answered.stdout.splitlines()[-1])  # after the handler's log lines
    assert result["statusCode"] == 200, result
    assert json.loads(result["body"])["id"] == 1


@pytest.fixture
def applied(tmp_path: Path, moto_server: str) -> Project:
    """A python3.12 project whose users route was promoted and applied."""
    project = Project(tmp_path, moto_server, "python3.12")
    project.ok("route", "promote", USERS, "--function", HANDLER)
    project.apply()
    return project


def test_a_second_apply_changes_nothing_and_a_new_lock_publishes_one_version(
    applied: Project,
) -> None:
    project = applied
    before = project.lam.get_function_configuration(FunctionName=project.function)
    again = project.apply()
    assert again["result"] is None and again["steps"] == []  # nothing to do
    assert project.versions() == [1]
    after = project.lam.get_function_configuration(FunctionName=project.function)
    assert after["LastModified"] == before["LastModified"]

    requirements = project.root / "migrated_functions" / "requirements.txt"
    requirements.write_text(requirements.read_text() + "six==1.16.0\n")
    project.ok("build", "--lock")
    plan = json.loads(project.ok("plan", "--json"))
    (layer,) = [a for a in plan["artifacts"] if a["kind"] == "layer"]
    (code,) = [a for a in plan["artifacts"] if a["kind"] == "code"]
    assert layer["action"] == "publish" and code["action"] == "unchanged"
    applied = project.apply()
    calls = applied["result"]["artifact_calls"]
    assert calls == ["publish_layer_version", "update_function_configuration"]
    assert project.versions() == [1, 2]
    final = project.lam.get_function_configuration(FunctionName=project.function)
    assert final["CodeSha256"] == before["CodeSha256"]
    assert final["Layers"][0]["Arn"].endswith(f":{project.layer}:2")
    assert (
        run_migrate("plan", "--detailed-exitcode", cwd=project.root, env=project.env).returncode
        == 0
    )


def test_an_empty_build_cache_reuses_the_recorded_layer_without_pip(applied: Project) -> None:
    project = applied
    shutil.rmtree(project.root / ".migrate" / "build")  # as on a fresh runner
    planned = run_migrate("plan", "--json", cwd=project.root, env=project.env, timeout=600)
    assert planned.returncode == 0, planned.stderr
    assert "building the layer" not in planned.stderr
    (layer,) = [a for a in json.loads(planned.stdout)["artifacts"] if a["kind"] == "layer"]
    assert layer["action"] == f"unchanged ({project.layer}:1)"
    assert project.apply()["result"] is None
    assert not (project.root / ".migrate" / "build" / "layers").exists()
    assert project.versions() == [1]


def _host_layer(project: Project) -> Path:
    manifest = ManifestStore(project.manifest).read()
    route = next(r for r in manifest.routes if r.function == HANDLER)
    found = local_layer(manifest, route, project.root)
    assert found is not None
    return found


def _zip_of(directory: Path) -> bytes:
    return zip_entries(tree_entries(directory, "python"))[0]


def _names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()


def _dists(names: list[str]) -> set[str]:
    """``name-version`` of every distribution in a layer (its ``.dist-info`` directories)."""
    return {n.split("/")[1].removesuffix(".dist-info") for n in names if ".dist-info/" in n}


def _invoke(task: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-I", "-S", "-c", INVOKE, str(task), HANDLER, json.dumps(SAMPLE_EVENT)]
    env = {"DATABASE_URL": _seeded_database(tmp_path), "PATH": "/usr/bin:/bin"}
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=task, timeout=120)


def _unzip(data: bytes, target: Path) -> None:
    target.mkdir(exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(target)


def _seeded_database(tmp_path: Path) -> str:
    path = tmp_path / "legacy.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        from legacy_app.db import init_database, make_engine

        engine = make_engine(url)
        init_database(engine)
        engine.dispose()
    return url
