"""apply with a database secret, a VPC and a VPC link against a moto server process.

The VPC (subnets, security group), the Network Load Balancer, the VPC link and the
RDS-format secret are made in moto by ``Network``; ``migrate apply`` must then give
functions in that VPC whose environment holds only the secret's ARN, roles that read
that one secret (``*`` only for the network-interface actions), and http_proxy
integrations with ``connectionType: VPC_LINK``. moto drops ``connectionId`` on an
OpenAPI import (moto 5.x): its read-back is covered by
tests/unit/router/aws/test_network_stubbed.py against AWS's documented shapes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from router.iam import ENI_ACTIONS
from router.local.stack import local_aws_env
from tests.helpers.e2e import moto_client, run_migrate

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PASSWORD = f"pw-{uuid.uuid4().hex}"  # must never leave Secrets Manager
USERS = "get-api-users-user-id"
HANDLER = "migrated_functions.users.get_user"


class Network:
    """A VPC with two subnets, a security group, an internal NLB, a VPC link, a secret."""

    def __init__(self, moto_url: str, name: str) -> None:
        ec2 = moto_client(moto_url, "ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnets = sorted(
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)[
                "Subnet"
            ]["SubnetId"]
            for i, zone in ((1, "us-east-1a"), (2, "us-east-1b"))
        )
        self.group = ec2.create_security_group(
            GroupName=f"{name}-fn", Description="functions", VpcId=vpc
        )["GroupId"]
        nlb = moto_client(moto_url, "elbv2").create_load_balancer(
            Name=f"{name}-nlb", Type="network", Scheme="internal", Subnets=self.subnets
        )["LoadBalancers"][0]
        self.nlb_url = f"http://{nlb['DNSName']}:5000"
        link = moto_client(moto_url, "apigateway").create_vpc_link(
            name=f"{name}-link", targetArns=[nlb["LoadBalancerArn"]]
        )
        self.link_id = link["id"]
        secret = {"engine": "postgres", "host": "db.internal", "port": 5432}
        secret.update(username="shop", password=PASSWORD, dbname="shop")
        self.secret_arn = moto_client(moto_url, "secretsmanager").create_secret(
            Name=f"{name}-db", SecretString=json.dumps(secret)
        )["ARN"]


def _manifest(api_name: str, net: Network) -> str:
    data: dict[str, Any] = yaml.safe_load((REPO / "migration.yaml").read_text())
    data["api"]["name"] = api_name
    data["legacy"]["url"] = "http://10.0.1.5:5000"  # private: allowed only with the link
    data["legacy"]["vpc_link"] = {"id": net.link_id, "url": net.nlb_url}
    data["defaults"]["database"] = {"secret_arn": net.secret_arn}
    data["defaults"]["vpc"] = {"subnet_ids": net.subnets, "security_group_ids": [net.group]}
    users = next(r for r in data["routes"] if r["id"] == USERS)
    users.update(target="lambda", function=HANDLER)
    return yaml.safe_dump(data, sort_keys=False)


class Project:
    def __init__(self, root: Path, moto_url: str) -> None:
        self.root = root
        self.api_name = f"net-{uuid.uuid4().hex[:8]}"
        self.net = Network(moto_url, self.api_name)
        self.manifest = root / "migration.yaml"
        self.manifest.write_text(_manifest(self.api_name, self.net))
        shutil.copytree(REPO / "migrated_functions", root / "migrated_functions")
        self.env = local_aws_env(moto_url, "us-east-1")
        self.env.update(MIGRATE_MANIFEST=str(self.manifest), PYTHONPATH=str(root))
        self.lam = moto_client(moto_url, "lambda")
        self.iam = moto_client(moto_url, "iam")
        self.apigw = moto_client(moto_url, "apigateway")

    def migrate(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_migrate(*args, cwd=self.root, env=self.env)

    def integration(self, path: str, method: str) -> dict[str, Any]:
        apis = self.apigw.get_rest_apis()["items"]
        api = next(a["id"] for a in apis if a["name"] == self.api_name)
        resources = self.apigw.get_resources(restApiId=api)["items"]
        resource = next(r for r in resources if r["path"] == path)
        return dict(
            self.apigw.get_integration(restApiId=api, resourceId=resource["id"], httpMethod=method)
        )

    def role_documents(self, role_arn: str) -> list[dict[str, Any]]:
        name = role_arn.rsplit("/", 1)[-1]
        names = self.iam.list_role_policies(RoleName=name)["PolicyNames"]
        assert self.iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []
        documents = [
            self.iam.get_role_policy(RoleName=name, PolicyName=n)["PolicyDocument"] for n in names
        ]
        return [json.loads(d) if isinstance(d, str) else d for d in documents]


@pytest.fixture
def project(tmp_path: Path, moto_server: str) -> Project:
    return Project(tmp_path, moto_server)


def test_apply_with_secret_vpc_and_vpc_link(project: Project) -> None:
    applied = project.migrate("apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    net = project.net

    config = project.lam.get_function_configuration(FunctionName=f"{project.api_name}-{USERS}")
    assert sorted(config["VpcConfig"]["SubnetIds"]) == net.subnets
    assert config["VpcConfig"]["SecurityGroupIds"] == [net.group]
    assert config["Environment"]["Variables"] == {"DB_SECRET_ARN": net.secret_arn}
    [layer] = config["Layers"]  # the functions' dependency layer, published by this apply
    assert f":layer:{project.api_name}-" in layer["Arn"]

    legacy = project.integration("/api/products", "GET")
    assert legacy["connectionType"] == "VPC_LINK"
    assert legacy["uri"] == f"{net.nlb_url}/api/products"
    assert project.integration("/api/users/{user_id}", "GET")["type"].lower() == "aws_proxy"

    statements = [s for d in project.role_documents(config["Role"]) for s in d["Statement"]]
    by_resource = {s["Resource"]: s["Action"] for s in statements}
    assert by_resource[net.secret_arn] == ["secretsmanager:GetSecretValue"]
    assert by_resource["*"] == list(ENI_ACTIONS)  # the only "*": AWS requires it there
    assert all(s["Resource"] != "*" or s["Action"] == list(ENI_ACTIONS) for s in statements)

    assert project.migrate("plan", "--detailed-exitcode").returncode == 0
    written = [p.read_text() for p in project.root.glob("migration*") if p.is_file()]
    assert not any(PASSWORD in text for text in [*written, applied.stdout, applied.stderr])


def test_taking_a_function_out_of_its_vpc_is_planned_and_applied(project: Project) -> None:
    assert project.migrate("apply", "--yes").returncode == 0
    data = yaml.safe_load(project.manifest.read_text())
    del data["defaults"]["vpc"]
    project.manifest.write_text(yaml.safe_dump(data, sort_keys=False))
    plan = project.migrate("plan", "--detailed-exitcode")
    assert plan.returncode == 2
    assert "vpc: " in plan.stdout and "-> none" in plan.stdout
    assert project.migrate("apply", "--yes").returncode == 0
    config = project.lam.get_function_configuration(FunctionName=f"{project.api_name}-{USERS}")
    assert not (config.get("VpcConfig") or {}).get("SubnetIds")
    assert project.migrate("plan", "--detailed-exitcode").returncode == 0


def test_vpc_config_changed_by_hand_is_planned_back(project: Project) -> None:
    assert project.migrate("apply", "--yes").returncode == 0
    name = f"{project.api_name}-{USERS}"
    one = {"SubnetIds": project.net.subnets[:1], "SecurityGroupIds": [project.net.group]}
    project.lam.update_function_configuration(FunctionName=name, VpcConfig=one)
    plan = project.migrate("plan", "--detailed-exitcode")
    assert plan.returncode == 2
    assert f"vpc: {project.net.subnets[0]} / {project.net.group} -> " in plan.stdout
    assert project.migrate("apply", "--yes").returncode == 0
    config = project.lam.get_function_configuration(FunctionName=name)
    assert sorted(config["VpcConfig"]["SubnetIds"]) == project.net.subnets
    assert project.migrate("plan", "--detailed-exitcode").returncode == 0
