"""A manifest for a real account (database, VPC, VPC link) rendered: SAM, OpenAPI,
the typed resources, the local gateway's snapshot; cfn-lint and the SAM translator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from router.deploy.view import diff_views, view_of_document, view_of_resources
from router.gateway.snapshot import CATCH_ALL_ID, RouteTarget, build_snapshot
from router.manifest.model import Manifest, VpcLink
from router.manifest.store import ManifestStore
from router.render import render_openapi, render_sam, render_template_text, sam_lambda_uri
from router.render.resources import api_resources
from tests.unit.router.test_render_sam import resources_of, sam_transform

FIXTURE = Path(__file__).parent / "fixtures" / "real_account.yaml"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-db-AbCdEf"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
NLB = "http://shop-nlb-0123456789abcdef.elb.us-east-1.amazonaws.com:5000"
INTEGRATION = "x-amazon-apigateway-integration"


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return ManifestStore(FIXTURE).read()


def functions(template: dict[str, Any]) -> dict[str, Any]:
    found = resources_of(template, "AWS::Serverless::Function")
    return {k: v["Properties"] for k, v in found.items()}


def test_functions_get_vpc_config_and_only_the_database_reference(manifest: Manifest) -> None:
    props = functions(render_sam(manifest))
    users = props["GetApiUsersUserIdFunction"]
    assert users["Environment"]["Variables"] == {"DB_SECRET_ARN": SECRET, "LOG_LEVEL": "info"}
    assert users["VpcConfig"] == {
        "SubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        "SecurityGroupIds": ["sg-0123456789abcdef0"],
    }
    orders = props["GetApiOrdersOrderIdFunction"]  # the route's own database and VPC
    assert orders["Environment"]["Variables"] == {
        "DB_SSM_PARAMETER": "/shop/orders-db",
        "LOG_LEVEL": "info",
    }
    assert orders["VpcConfig"]["SubnetIds"] == ["subnet-0123456789abcdef2"]
    assert "password" not in render_template_text(manifest).lower()


def test_role_statements_name_the_one_secret_parameter_and_key(manifest: Manifest) -> None:
    props = functions(render_sam(manifest))
    [users] = props["GetApiUsersUserIdFunction"]["Policies"]
    assert [(s["Action"], s["Resource"]) for s in users["Statement"]] == [
        (["secretsmanager:GetSecretValue"], SECRET),
        (["kms:Decrypt"], KEY),
    ]
    [orders] = props["GetApiOrdersOrderIdFunction"]["Policies"]  # the route's database
    parameter = (
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/shop/orders-db"
    )
    assert [(s["Action"], s["Resource"]) for s in orders["Statement"]] == [
        (["ssm:GetParameter"], {"Fn::Sub": parameter}),  # replaces defaults.database: no key
    ]


def test_every_http_proxy_goes_through_the_vpc_link(manifest: Manifest) -> None:
    document = render_openapi(manifest, lambda_uri=sam_lambda_uri)
    integrations = [op[INTEGRATION] for item in document["paths"].values() for op in item.values()]
    proxies = [i for i in integrations if i["type"] == "http_proxy"]
    assert len(proxies) == 4  # products, the canary's stable view, ANY / and ANY /{proxy+}
    for integration in proxies:
        assert integration["connectionType"] == "VPC_LINK"
        assert integration["connectionId"] == "abc123"
        assert integration["uri"].startswith(NLB + "/")
    lambdas = [i for i in integrations if i["type"] == "aws_proxy"]
    assert lambdas and all("connectionType" not in i for i in lambdas)


def test_typed_resources_and_the_local_gateway_keep_the_link(manifest: Manifest) -> None:
    resources = api_resources(manifest, lambda_uri=lambda _route: "")
    legacy = [r for r in resources if r.integration.kind == "http_proxy"]
    assert {r.integration.connection_id for r in legacy} == {"abc123"}
    snapshot = build_snapshot(manifest)
    assert (snapshot.legacy.host, snapshot.legacy.port) == ("10.0.1.5", 5000)  # legacy.url

    def target(method: str, path: str) -> RouteTarget:
        found = snapshot.table.match(method, path)
        assert found is not None
        return found.value

    assert target("GET", "/anything/else").route_id == CATCH_ALL_ID
    assert target("GET", "/anything/else").vpc_link == "abc123"
    assert target("GET", "/api/products").vpc_link == "abc123"
    assert target("POST", "/api/orders").vpc_link == "abc123"  # 80% still to the monolith
    assert target("GET", "/api/users/7").vpc_link is None  # all on Lambda


def test_without_a_link_nothing_names_a_connection(manifest: Manifest) -> None:
    plain = manifest.model_copy(
        update={"legacy": manifest.legacy.model_copy(update={"vpc_link": None})}
    )
    text = json.dumps(render_openapi(plain, lambda_uri=sam_lambda_uri))
    assert "connectionType" not in text and "connectionId" not in text
    assert "http://10.0.1.5:5000/api/products" in text


def test_cfn_lint_is_clean(manifest: Manifest) -> None:
    matches = lint(render_template_text(manifest), config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches] == []


def test_sam_transform_gives_vpc_functions_and_narrow_inline_policies(
    manifest: Manifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = sam_transform(render_sam(manifest), monkeypatch)
    lambdas = resources_of(out, "AWS::Lambda::Function")
    assert len(lambdas) == 3
    assert all("VpcConfig" in f["Properties"] for f in lambdas.values())
    for role in resources_of(out, "AWS::IAM::Role").values():
        managed = [p.split("/")[-1] for p in role["Properties"]["ManagedPolicyArns"]]
        assert managed == ["AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole"]
        for policy in role["Properties"].get("Policies", []):
            resources = [s["Resource"] for s in policy["PolicyDocument"]["Statement"]]
            assert "*" not in resources


def test_the_link_id_is_part_of_the_deploy_view(manifest: Manifest) -> None:
    def uri(route: object) -> str:
        return "arn:lambda"

    resources = api_resources(manifest, lambda_uri=uri)
    view = view_of_resources(resources)
    assert view["GET /api/products"] == (
        "http_proxy vpc_link:abc123",
        f"{NLB}/api/products",
    )
    document = render_openapi(manifest, lambda_uri=uri)
    assert view_of_document(document) == view  # what API Gateway would read back
    link = VpcLink(id="xyz789", url=NLB)
    other = manifest.model_copy(
        update={"legacy": manifest.legacy.model_copy(update={"vpc_link": link})}
    )
    changes = diff_views(view, view_of_resources(api_resources(other, lambda_uri=uri)))
    assert {c.key for c in changes} == {
        "GET /api/products", "POST /api/orders", "ANY /", "ANY /{proxy+}",
    }  # fmt: skip
