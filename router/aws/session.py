"""Build boto3 clients for real AWS or a local endpoint, and map client errors.

The standard credential chain, ``AWS_PROFILE`` and ``AWS_REGION`` work unchanged;
``AWS_ENDPOINT_URL`` (boto3 honours it natively) points every client at a local moto
server. boto3 is imported when the first client is made: it takes ~0.2 s that the
commands that never call AWS (``routes``, ``render``, ``history``) need not pay. This
module must not know any particular AWS API; it only names the services strangler
uses, so that each client is typed by boto3-stubs (imported for the type checker
only: running needs no stubs).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar, overload

import botocore.exceptions

from router.errors import AWSError

if TYPE_CHECKING:
    from mypy_boto3_apigateway import APIGatewayClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sts import STSClient

    Client = (
        (APIGatewayClient | CloudWatchClient | CloudWatchLogsClient | IAMClient | LambdaClient)
        | S3Client
        | STSClient
    )

__all__ = ["AwsContext", "ServiceName", "aws_errors", "error_code"]

ServiceName = Literal["apigateway", "cloudwatch", "iam", "lambda", "logs", "s3", "sts"]
"""The AWS services strangler calls (each typed by its boto3-stubs client)."""

T = TypeVar("T")

_CREDENTIAL_ERRORS = (
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.PartialCredentialsError,
    botocore.exceptions.ProfileNotFound,
    botocore.exceptions.NoRegionError,
)


@dataclass
class AwsContext:
    """Where AWS calls go: region, optional endpoint, optional profile.

    ``client_factory`` can be swapped in tests (e.g. to attach a botocore Stubber).
    """

    region: str
    endpoint_url: str | None = None
    profile: str | None = None
    client_factory: Callable[[ServiceName], Client] | None = None
    _clients: dict[str, Client] = field(default_factory=dict)

    @classmethod
    def from_env(cls, default_region: str) -> AwsContext:
        region = (
            os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or default_region
        )
        return cls(
            region=region,
            endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
            profile=os.environ.get("AWS_PROFILE") or None,
        )

    @classmethod
    def local(cls, endpoint_url: str, region: str) -> AwsContext:
        """A local endpoint (moto) with dummy credentials, whatever the environment holds."""

        def make(service: ServiceName) -> Client:
            import boto3  # on the first client only (module doc)

            return boto3.session.Session(
                aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
            ).client(service, endpoint_url=endpoint_url)

        return cls(region=region, endpoint_url=endpoint_url, client_factory=make)

    @property
    def is_local(self) -> bool:
        return self.endpoint_url is not None

    @overload
    def client(self, service: Literal["apigateway"]) -> APIGatewayClient: ...
    @overload
    def client(self, service: Literal["cloudwatch"]) -> CloudWatchClient: ...
    @overload
    def client(self, service: Literal["iam"]) -> IAMClient: ...
    @overload
    def client(self, service: Literal["lambda"]) -> LambdaClient: ...
    @overload
    def client(self, service: Literal["logs"]) -> CloudWatchLogsClient: ...
    @overload
    def client(self, service: Literal["s3"]) -> S3Client: ...
    @overload
    def client(self, service: Literal["sts"]) -> STSClient: ...
    def client(self, service: ServiceName) -> Client:
        """A cached client for ``service``, typed by boto3-stubs."""
        if service not in self._clients:
            self._clients[service] = self._make(service)
        return self._clients[service]

    def _make(self, service: ServiceName) -> Client:
        if self.client_factory is not None:
            return self.client_factory(service)
        import boto3  # on the first client only (module doc)
        import botocore.config

        config = botocore.config.Config(retries={"max_attempts": 4, "mode": "standard"})
        with aws_errors(f"create a {service} client"):
            session = boto3.session.Session(profile_name=self.profile, region_name=self.region)
            if self.is_local and session.get_credentials() is None:
                # A local endpoint (moto) accepts any credentials; real AWS never gets these.
                session = boto3.session.Session(
                    aws_access_key_id="testing",
                    aws_secret_access_key="testing",
                    region_name=self.region,
                )
            return session.client(service, endpoint_url=self.endpoint_url, config=config)


def error_code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def aws_errors(doing: str, *, error: type[AWSError] = AWSError) -> Iterator[None]:
    """Map botocore failures raised while ``doing`` to ``error`` with a clear message."""
    try:
        yield
    except botocore.exceptions.ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", str(exc))
        raise error(f"AWS refused to {doing}: {error_code(exc)}: {message}") from exc
    except _CREDENTIAL_ERRORS as exc:
        raise error(
            f"cannot {doing}: {exc}",
            hint="set AWS_PROFILE / AWS_REGION, or AWS_ENDPOINT_URL for a local endpoint",
        ) from exc
    except botocore.exceptions.EndpointConnectionError as exc:
        raise error(f"cannot {doing}: {exc}", hint="is the endpoint running?") from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise error(f"cannot {doing}: {exc}") from exc
