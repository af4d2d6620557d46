from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml as pyyaml
from cfnlint.api import ManualArgs, lint
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from samtranslator.translator.transform import transform

from router.accesslog import ACCESS_LOG_FIELDS, access_log_format
from router.manifest.model import Manifest
from router.render import TEMPLATE_HEADER, render_sam, render_template_text, to_yaml
from router.render.sam import API_LOGICAL_ID, LOG_GROUP_LOGICAL_ID
from tests.helpers.manifests import build_manifest, lambda_route, route

INTEGRATION = "x-amazon-apigateway-integration"

ZERO = [route("GET", "/api/users"), route("GET", "/api/users/{id}")]
ONE = [*ZERO[:1], lambda_route("GET", "/api/users/{id}", memory=512, environment={"B": "r"})]
SEVERAL = [
    *ONE,
    lambda_route("POST", "/api/users", timeout=20),
    lambda_route("ANY", "/files/{rest+}"),
    lambda_route("GET", "/"),
    route("DELETE", "/api/users/{id}"),
]
CANARY = [*SEVERAL, lambda_route("PUT", "/api/users/{id}", weight=30)]
CASES = {"zero": ZERO, "one": ONE, "several": SEVERAL, "canary": CANARY}


def manifest_for(routes: list[dict[str, Any]]) -> Manifest:
    return build_manifest(routes, defaults={"environment": {"A": "d", "B": "d"}})


class StubPolicyLoader:
    """Stands in for SAM's IAM lookup: no AWS call is made."""

    def load(self) -> dict[str, str]:
        return {
            "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole"
        }


def sam_transform(template: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """CloudFormation's view after the SAM transform. CodeUri is set to an S3 URI as
    ``sam package`` does; the translator only accepts S3 code locations."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # pseudo parameters; no AWS call
    template = copy.deepcopy(template)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/code.zip"
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://bucket/layer.zip"
    result: dict[str, Any] = transform(template, {}, StubPolicyLoader())
    return result


def resources_of(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


@pytest.mark.parametrize("name", list(CASES))
def test_template_passes_the_sam_transform(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = manifest_for(CASES[name])
    out = sam_transform(render_sam(manifest), monkeypatch)
    functions = resources_of(out, "AWS::Lambda::Function")
    assert len(functions) == sum(r.effective_weight > 0 for r in manifest.routes)
    assert len(resources_of(out, "AWS::ApiGateway::Stage")) == 1  # no stray "Stage" stage
    for role in resources_of(out, "AWS::IAM::Role").values():
        assert [p.split("/")[-1] for p in role["Properties"]["ManagedPolicyArns"]] == [
            "AWSLambdaBasicExecutionRole"
        ]
        assert "Policies" not in role["Properties"]


@pytest.mark.parametrize("name", ["zero", "canary"])
def test_template_has_no_cfn_lint_errors_or_warnings(name: str) -> None:
    text = render_template_text(manifest_for(CASES[name]))
    matches = lint(text, config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches] == []


def test_function_properties() -> None:
    manifest = manifest_for(SEVERAL)
    functions = resources_of(render_sam(manifest), "AWS::Serverless::Function")
    assert sorted(functions) == [
        "AnyFilesRestFunction",
        "GetApiUsersIdFunction",
        "GetRootFunction",
        "PostApiUsersFunction",
    ]
    props = functions["GetApiUsersIdFunction"]["Properties"]
    assert props == {
        "FunctionName": "legacy-api-get-api-users-id",
        "Handler": "migrated_functions.get_api_users_id.handler",
        "CodeUri": ".migrate/build/sam/GetApiUsersIdFunction",
        "Runtime": "python3.12",
        "Architectures": ["x86_64"],
        "MemorySize": 512,
        "Timeout": 10,
        "Policies": [],
        "Environment": {"Variables": {"A": "d", "B": "r"}},
    }
    post = functions["PostApiUsersFunction"]["Properties"]
    assert (post["MemorySize"], post["Timeout"]) == (256, 20)


@pytest.mark.parametrize(
    ("permission", "resource"),
    [
        ("GetApiUsersIdInvokePermission", "GET/api/users/*"),
        ("PostApiUsersInvokePermission", "POST/api/users"),
        ("AnyFilesRestInvokePermission", "*/files/*"),
        ("GetRootInvokePermission", "GET/"),
    ],
)
def test_lambda_permission_is_scoped_to_api_method_and_path(permission: str, resource: str) -> None:
    perm = render_sam(manifest_for(SEVERAL))["Resources"][permission]
    assert perm["Type"] == "AWS::Lambda::Permission"
    props = perm["Properties"]
    assert props["Principal"] == "apigateway.amazonaws.com"
    assert props["Action"] == "lambda:InvokeFunction"
    assert props["FunctionName"] == {"Ref": permission.replace("InvokePermission", "Function")}
    assert props["SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
        f"${{{API_LOGICAL_ID}}}/*/{resource}"
    }


def test_api_stage_has_detailed_metrics_and_json_access_logs() -> None:
    template = render_sam(manifest_for(ONE))
    props = template["Resources"][API_LOGICAL_ID]["Properties"]
    assert props["StageName"] == "prod"
    assert props["MethodSettings"] == [
        {"ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True}
    ]
    log = props["AccessLogSetting"]
    assert log["DestinationArn"] == {"Fn::GetAtt": [LOG_GROUP_LOGICAL_ID, "Arn"]}
    assert log["Format"] == access_log_format()
    assert all(f'"{field}":"{var}"' in log["Format"] for field, var in ACCESS_LOG_FIELDS.items())
    group = template["Resources"][LOG_GROUP_LOGICAL_ID]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] > 0


def test_definition_body_is_the_stable_view_with_sub_uris() -> None:
    template = render_sam(manifest_for(CANARY))
    paths = template["Resources"][API_LOGICAL_ID]["Properties"]["DefinitionBody"]["paths"]
    stable = paths["/api/users/{id}"]["get"][INTEGRATION]
    assert "${GetApiUsersIdFunction.Arn}" in stable["uri"]["Fn::Sub"]
    assert paths["/api/users/{id}"]["put"][INTEGRATION]["type"] == "http_proxy"  # canary
    assert "PutApiUsersIdFunction" in template["Resources"]


def test_transform_and_outputs() -> None:
    template = render_sam(manifest_for(ZERO))
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert resources_of(template, "AWS::Serverless::Function") == {}
    assert "/prod/" in template["Outputs"]["ApiUrl"]["Value"]["Fn::Sub"]


def test_vanished_lambda_route_has_no_function() -> None:
    template = render_sam(manifest_for([lambda_route("GET", "/gone", status="vanished")]))
    assert resources_of(template, "AWS::Serverless::Function") == {}


def test_template_text_is_deterministic_with_header() -> None:
    text = render_template_text(manifest_for(CANARY))
    assert text.startswith(TEMPLATE_HEADER)
    assert text == render_template_text(manifest_for(CANARY))
    assert text == render_template_text(manifest_for(list(reversed(CANARY))))


def test_template_text_loads_back_identically() -> None:
    template = render_sam(manifest_for(CANARY))
    text = render_template_text(manifest_for(CANARY))
    assert YAML(typ="safe", pure=True).load(text) == template
    assert pyyaml.safe_load(text) == template  # YAML 1.1, as SAM CLI and cfn-lint read it
    format_line = next(x for x in text.splitlines() if x.lstrip().startswith("Format: "))
    assert pyyaml.safe_load(format_line.strip())["Format"] == access_log_format()  # not folded


_SCALARS = st.one_of(st.text(), st.integers(), st.booleans(), st.none())
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(), _DATA, max_size=4))
def test_to_yaml_round_trips_any_json_like_data(data: dict[str, Any]) -> None:
    text = to_yaml(data)
    assert YAML(typ="safe", pure=True).load(text) == (data or {})
    assert pyyaml.safe_load(text) == data


def _shared_requirements(route: Any) -> str | None:
    return None if route.method == "POST" else "migrated_functions/requirements.txt"


def test_functions_attach_their_requirements_layer_built_the_sam_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manifest = manifest_for(SEVERAL)
    template = render_sam(manifest, _shared_requirements)
    (layer_id,) = resources_of(template, "AWS::Serverless::LayerVersion")
    layer = template["Resources"][layer_id]
    assert layer_id == "MigratedFunctionsRequirementsLayer"
    assert layer["Metadata"] == {"BuildMethod": "python3.12", "BuildArchitecture": "x86_64"}
    assert layer["Properties"]["ContentUri"] == f".migrate/build/sam/{layer_id}"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]
    functions = resources_of(template, "AWS::Serverless::Function")
    layers = {k: f["Properties"].get("Layers") for k, f in functions.items()}
    assert layers.pop("PostApiUsersFunction") is None
    assert set(map(str, layers.values())) == {str([{"Ref": layer_id}])}
    code_uris = {f["Properties"]["CodeUri"] for f in functions.values()}
    assert len(code_uris) == len(functions) and "." not in code_uris
    out = sam_transform(template, monkeypatch)
    (published,) = resources_of(out, "AWS::Lambda::LayerVersion").values()
    assert published["Properties"]["CompatibleArchitectures"] == ["x86_64"]
    text = render_template_text(manifest, _shared_requirements)
    assert [str(m) for m in lint(text, config=ManualArgs(regions=["us-east-1"]))] == []


def test_reserved_concurrency_is_rendered_per_function(monkeypatch: pytest.MonkeyPatch) -> None:
    routes = [lambda_route("GET", "/a", reserved_concurrency=0), lambda_route("GET", "/b")]
    manifest = build_manifest(routes, defaults={"reserved_concurrency": 5})
    functions = resources_of(render_sam(manifest), "AWS::Serverless::Function")
    reserved = {k: v["Properties"]["ReservedConcurrentExecutions"] for k, v in functions.items()}
    assert reserved == {"GetAFunction": 0, "GetBFunction": 5}
    out = sam_transform(render_sam(manifest), monkeypatch)
    lambdas = resources_of(out, "AWS::Lambda::Function").values()
    assert sorted(f["Properties"]["ReservedConcurrentExecutions"] for f in lambdas) == [0, 5]


@pytest.mark.parametrize("value", [-1, 1001, "3"])
def test_reserved_concurrency_is_validated(value: object) -> None:
    with pytest.raises(ValueError, match="reserved_concurrency"):
        build_manifest([], defaults={"reserved_concurrency": value})
