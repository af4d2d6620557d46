"""The manifest's database and network settings: what a function connects to, and how.

``Database`` names the credentials a function reads at run time (a Secrets Manager
secret or an SSM SecureString parameter, in the RDS JSON format) and never holds a
secret itself; ``Vpc`` places functions in subnets and security groups; ``VpcLink``
sends API Gateway's http_proxy integrations through a REST API VPC link to the
monolith's private load balancer. Pure pydantic models: this module must not read
files, resolve names or know about AWS clients.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "DATABASE_VARIABLES",
    "DB_SECRET_ARN",
    "DB_SSM_PARAMETER",
    "Database",
    "Vpc",
    "VpcLink",
]

DB_SECRET_ARN = "DB_SECRET_ARN"  # the handlers' contract: the secret's ARN
DB_SSM_PARAMETER = "DB_SSM_PARAMETER"  # ... or the SecureString parameter's name
DATABASE_VARIABLES = (DB_SECRET_ARN, DB_SSM_PARAMETER)

_PARTITION = r"arn:aws(-cn|-us-gov)?"
_REGION = r"[a-z]{2}(-gov)?-[a-z]+-\d"
# The full ARN Secrets Manager shows (name, then "-" and six random characters).
_SECRET_ARN = rf"^{_PARTITION}:secretsmanager:{_REGION}:\d{{12}}:secret:[A-Za-z0-9/_+=.@-]+$"
# A key ARN: IAM matches kms:Decrypt on the key, never on an alias.
_KMS_KEY_ARN = rf"^{_PARTITION}:kms:{_REGION}:\d{{12}}:key/[A-Za-z0-9-]+$"
_PARAMETER = r"^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$"
_URL = r"^https?://[^/\s?#]+(/[^\s?#]*)?$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Database(_Strict):
    """Exactly one of ``secret_arn`` / ``ssm_parameter``; ``kms_key_arn`` when the secret
    is encrypted with a customer managed key (the AWS managed key needs no grant)."""

    secret_arn: Annotated[str, Field(pattern=_SECRET_ARN)] | None = None
    ssm_parameter: Annotated[str, Field(pattern=_PARAMETER, max_length=1011)] | None = None
    kms_key_arn: Annotated[str, Field(pattern=_KMS_KEY_ARN)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.secret_arn is None) == (self.ssm_parameter is None):
            raise ValueError("give exactly one of 'secret_arn' and 'ssm_parameter'")
        return self

    @property
    def variable(self) -> tuple[str, str]:
        """The one environment variable a function gets: the ARN or the name, no secret."""
        if self.secret_arn is not None:
            return DB_SECRET_ARN, self.secret_arn
        assert self.ssm_parameter is not None
        return DB_SSM_PARAMETER, self.ssm_parameter


class Vpc(_Strict):
    """Lambda's ``VpcConfig``: subnets (one per Availability Zone) and security groups."""

    subnet_ids: Annotated[
        list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]],
        Field(min_length=1, max_length=16),
    ]
    security_group_ids: Annotated[
        list[Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]],
        Field(min_length=1, max_length=5),
    ]

    @property
    def key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Order-free: Lambda reports the ids in its own order."""
        return tuple(sorted(self.subnet_ids)), tuple(sorted(self.security_group_ids))


class VpcLink(_Strict):
    """A REST API VPC link (``id``) and the URL of the private Network Load Balancer
    behind it (``url``, its DNS name): API Gateway calls ``url`` through the link."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9]{1,32}$")]
    url: Annotated[str, Field(pattern=_URL)]

    @property
    def base_url(self) -> str:
        return self.url.rstrip("/")
