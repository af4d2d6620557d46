"""The IAM statements a function's role needs beyond writing its own logs.

A route's ``database`` lets its role read that one secret
(``secretsmanager:GetSecretValue`` on the secret's ARN) or that one parameter
(``ssm:GetParameter`` on its ARN) and decrypt with the named key only
(``kms:Decrypt``); a route in a ``vpc`` lets Lambda manage the function's network
interfaces, the only statement with ``Resource: "*"``: AWS's Lambda guide says
``ec2:DescribeNetworkInterfaces`` "only works if it's allowed on all resources", and
the other four act on interfaces Lambda creates, whose ids no policy can name in
advance (the same actions as AWS's managed policy AWSLambdaVPCAccessExecutionRole,
minus its logs on ``*``).

``Access`` is computed once per function; the SAM renderer writes its statements with
``${AWS::...}`` pseudo parameters, ``migrate apply`` with the account's values. Pure:
this module must not call AWS.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from router.manifest.model import Manifest, Route

__all__ = ["ENI_ACTIONS", "Access", "access_of", "ssm_parameter_arn"]

ENI_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)

Statement = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Access:
    """What one function's role may do besides logging (empty: nothing)."""

    secret_arn: str | None = None
    parameter_arn: str | None = None
    kms_key_arn: str | None = None
    network_interfaces: bool = False

    def statements(self) -> list[Statement]:
        """The policy statements, in a fixed order; ``*`` only for the ENI actions."""
        out: list[Statement] = []
        if self.secret_arn:
            out.append(
                _allow("ReadDatabaseSecret", ["secretsmanager:GetSecretValue"], self.secret_arn)
            )
        if self.parameter_arn:
            out.append(_allow("ReadDatabaseParameter", ["ssm:GetParameter"], self.parameter_arn))
        if self.kms_key_arn:
            out.append(_allow("DecryptDatabaseSecret", ["kms:Decrypt"], self.kms_key_arn))
        if self.network_interfaces:
            out.append(_allow("ManageVpcNetworkInterfaces", list(ENI_ACTIONS), "*"))
        return out

    @property
    def digest(self) -> str:
        """A short hash of the statements ("" when there are none): names the role."""
        if not self.statements():
            return ""
        text = json.dumps(self.statements(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:10]


def _allow(sid: str, actions: list[str], resource: str) -> Statement:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource}


def ssm_parameter_arn(partition: str, region: str, account: str, name: str) -> str:
    """``/shop/db`` and ``shop-db`` are ``parameter/shop/db`` and ``parameter/shop-db``."""
    return f"arn:{partition}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def access_of(
    manifest: Manifest, route: Route, *, partition: str, region: str, account: str
) -> Access:
    """``route``'s access; the SAM renderer passes ``${AWS::Partition}``-style values."""
    database = manifest.database_for(route)
    parameter = database.ssm_parameter if database else None
    return Access(
        secret_arn=database.secret_arn if database else None,
        parameter_arn=ssm_parameter_arn(partition, region, account, parameter)
        if parameter
        else None,
        kms_key_arn=database.kms_key_arn if database else None,
        network_interfaces=manifest.vpc_for(route) is not None,
    )
