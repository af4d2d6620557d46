"""VPC configuration, roles and VPC link integrations against AWS's documented shapes.

moto keeps an imported integration's ``connectionType`` but drops its
``connectionId``, so reading a VPC link integration back (and drift on it) is checked
here with botocore Stubbers answering what AWS documents: GetResources
(``embed=methods``) ``methodIntegration.connectionType``/``connectionId``,
GetFunctionConfiguration ``VpcConfig``/``Role``, UpdateFunctionConfiguration and
PutRolePolicy requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from router.aws.apigateway import ApiGateway, DeployedMethod, RestApiRef
from router.aws.lambda_ import FunctionInfo, FunctionSpec, LambdaFunctions, code_sha256
from router.aws.session import AwsContext
from router.deploy.drift import compute_drift
from router.deploy.model import Observed
from router.deploy.state import DeployState
from router.deploy.view import view_of_methods
from router.errors import AWSError
from router.iam import ENI_ACTIONS, Access

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/shop-lambda-0123456789"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:shop-db-AbCdEf"
NLB = "http://shop-nlb.elb.us-east-1.amazonaws.com:5000"
VPC = (("subnet-0123456789abcdef0", "subnet-0123456789abcdef1"), ("sg-0123456789abcdef0",))


def _client(service: str) -> Any:
    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="t"
    )


@pytest.fixture
def stubbed() -> Iterator[tuple[AwsContext, dict[str, Stubber]]]:
    clients = {s: _client(s) for s in ("apigateway", "lambda", "iam")}
    stubs = {s: Stubber(c) for s, c in clients.items()}
    for stub in stubs.values():
        stub.activate()
    yield AwsContext(region="us-east-1", client_factory=clients.__getitem__), stubs
    for stub in stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


def _spec(vpc: Any = VPC) -> FunctionSpec:
    return FunctionSpec(
        name="shop-get-user",
        handler="migrated_functions.users.get_user",
        runtime="python3.12",
        memory=256,
        timeout=10,
        environment=(("DB_SECRET_ARN", SECRET),),
        zip_bytes=b"zip",
        vpc=vpc,
        role_name="shop-lambda-0123456789",
    )


def _configuration(**extra: Any) -> dict[str, Any]:
    return {
        "FunctionName": "shop-get-user",
        "FunctionArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:shop-get-user",
        "CodeSha256": code_sha256(b"zip"),
        "Handler": "migrated_functions.users.get_user",
        "Runtime": "python3.12",
        "MemorySize": 256,
        "Timeout": 10,
        "Environment": {"Variables": {"DB_SECRET_ARN": SECRET}},
        **extra,
    }


def test_function_configuration_reads_vpc_config_and_role(stubbed: Any) -> None:
    ctx, stubs = stubbed
    vpc = {"SubnetIds": list(reversed(VPC[0])), "SecurityGroupIds": list(VPC[1]), "VpcId": "vpc-1"}
    stubs["lambda"].add_response(
        "get_function_configuration",
        _configuration(VpcConfig=vpc, Role=ROLE),
        {"FunctionName": "shop-get-user"},
    )
    stubs["lambda"].add_response("get_function_concurrency", {}, {"FunctionName": "shop-get-user"})
    info = LambdaFunctions(ctx).get("shop-get-user")
    assert info is not None
    assert info.vpc == VPC  # sorted: Lambda's order does not matter
    assert info.role_name == "shop-lambda-0123456789"
    assert info.environment == (("DB_SECRET_ARN", SECRET),)


def test_update_sends_vpc_config_and_role_and_detaches_with_empty_lists(stubbed: Any) -> None:
    ctx, stubs = stubbed
    current = FunctionInfo(
        "shop-get-user", "arn", code_sha256(b"zip"), "migrated_functions.users.get_user",
        "python3.12", 256, 10, (("DB_SECRET_ARN", SECRET),), vpc=VPC, role=ROLE,
    )  # fmt: skip
    wanted = {
        "FunctionName": "shop-get-user",
        "Role": ROLE,
        "Handler": "migrated_functions.users.get_user",
        "Runtime": "python3.12",
        "MemorySize": 256,
        "Timeout": 10,
        "Environment": {"Variables": {"DB_SECRET_ARN": SECRET}},
        "Layers": [],
        "VpcConfig": {"SubnetIds": [], "SecurityGroupIds": []},
    }
    stubs["lambda"].add_response("update_function_configuration", _configuration(), wanted)
    LambdaFunctions(ctx).update(_spec(vpc=None), current, ROLE)


def test_role_policies_are_the_logs_and_the_function_access(stubbed: Any) -> None:
    ctx, stubs = stubbed
    iam = stubs["iam"]
    role = {"Path": "/", "RoleName": "r", "RoleId": "AROAEXAMPLE0123456789", "Arn": ROLE}
    iam.add_response("get_role", {"Role": {**role, "CreateDate": "2026-01-01T00:00:00Z"}})
    access = Access(secret_arn=SECRET, network_interfaces=True)
    documents: list[dict[str, Any]] = []
    for _ in range(2):
        iam.add_response("put_role_policy", {})
    client = ctx.client("iam")
    client.meta.events.register(
        "before-parameter-build.iam.PutRolePolicy",
        lambda params, **_: documents.append(json.loads(params["PolicyDocument"])),
    )
    logs = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/shop-*"
    assert LambdaFunctions(ctx).ensure_role("r", logs, access.statements()) == ROLE
    resources = [s["Resource"] for d in documents for s in d["Statement"]]
    assert resources == [logs, SECRET, "*"]
    star = [s for d in documents for s in d["Statement"] if s["Resource"] == "*"]
    assert [s["Action"] for s in star] == [list(ENI_ACTIONS)]


def _resources(connection_id: str) -> dict[str, Any]:
    integration = {
        "type": "HTTP_PROXY",
        "httpMethod": "GET",
        "uri": f"{NLB}/api/products",
        "connectionType": "VPC_LINK",
        "connectionId": connection_id,
    }
    method = {"httpMethod": "GET", "methodIntegration": integration}
    item = {"id": "r1", "path": "/api/products", "resourceMethods": {"GET": method}}
    return {"items": [item]}


def test_vpc_link_integrations_are_read_back_and_a_changed_link_is_drift(stubbed: Any) -> None:
    ctx, stubs = stubbed
    params = {"restApiId": "a1", "embed": ["methods"], "limit": 500}
    stubs["apigateway"].add_response("get_resources", _resources("xyz789"), params)
    [method] = ApiGateway(ctx).methods("a1")
    assert method == DeployedMethod(
        "/api/products", "GET", "http_proxy", f"{NLB}/api/products", "VPC_LINK", "xyz789"
    )
    observed_view = view_of_methods([method])
    applied = {"GET /api/products": ("http_proxy vpc_link:abc123", f"{NLB}/api/products")}
    state = DeployState(api_id="a1", api_name="shop", last_put=applied)
    observed = Observed(RestApiRef("a1", "shop"), None, observed_view, {})
    [line] = compute_drift(state, observed, is_local=False)
    assert "vpc_link:abc123" in line and "vpc_link:xyz789" in line
    # The local endpoint (moto) drops connectionId: only the connection type is compared.
    assert compute_drift(state, observed, is_local=True) == []


def _create_params(spec: FunctionSpec) -> dict[str, Any]:
    subnets, groups = VPC
    return {
        "FunctionName": spec.name,
        "Role": ROLE,
        "Code": {"ZipFile": spec.zip_bytes},
        "Publish": False,
        "Architectures": ["x86_64"],
        "Handler": spec.handler,
        "Runtime": spec.runtime,
        "MemorySize": spec.memory,
        "Timeout": spec.timeout,
        "Environment": {"Variables": dict(spec.environment)},
        "Layers": [],
        "VpcConfig": {"SubnetIds": list(subnets), "SecurityGroupIds": list(groups)},
    }


NOT_YET = (
    "The provided execution role does not have permissions to call CreateNetworkInterface on EC2",
    "The role defined for the function cannot be assumed by Lambda.",
)


def test_create_waits_for_a_new_role_to_reach_lambda(stubbed: Any) -> None:
    ctx, stubs = stubbed
    spec = _spec()
    for message in NOT_YET:
        stubs["lambda"].add_client_error(
            "create_function", "InvalidParameterValueException", message, 400
        )
    vpc = {"SubnetIds": list(VPC[0]), "SecurityGroupIds": list(VPC[1]), "VpcId": "vpc-1"}
    reply = _configuration(VpcConfig=vpc, Role=ROLE)
    stubs["lambda"].add_response("create_function", reply, _create_params(spec))
    slept: list[float] = []
    info = LambdaFunctions(ctx, sleep=slept.append).create(spec, ROLE)
    assert slept == [2.0, 4.0] and info.vpc == VPC


def test_other_refusals_and_a_role_that_never_settles_fail(stubbed: Any) -> None:
    ctx, stubs = stubbed
    stubs["lambda"].add_client_error(
        "create_function", "InvalidParameterValueException", "Unzipped size must be smaller", 400
    )
    slept: list[float] = []
    functions = LambdaFunctions(ctx, sleep=slept.append, role_delays=(1.0,))
    with pytest.raises(AWSError, match="Unzipped size"):
        functions.create(_spec(), ROLE)
    for _ in range(2):
        stubs["lambda"].add_client_error(
            "create_function", "InvalidParameterValueException", NOT_YET[1], 400
        )
    with pytest.raises(AWSError, match="cannot be assumed"):
        functions.create(_spec(), ROLE)
    assert slept == [1.0]
