"""``migrate serve --isolated``: a ``ProcessInvoker`` for the manifest's Lambda routes.

Each route's function runs in its own worker processes with, on ``sys.path``, the
project directory (the manifest's; until per-function artifacts exist it holds the
whole project, so ``router`` and ``legacy_app`` stay importable to handlers), the given
layer directories, and the runtime-provided packages (built once under
``var/lambda-runtime`` beside the manifest). Name, memory and ARN come from the route
(the gateway's ``LambdaContext``). This module must not build events or serve HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from router.gateway.events import LambdaContext
from router.lambda_runtime.invoker import ProcessInvoker
from router.lambda_runtime.sandbox import FunctionSpec, runtime_dir

__all__ = ["isolated_invoker", "route_specs"]


def route_specs(
    code_dir: Path, layers: tuple[Path, ...], environment: Mapping[str, str] | None = None
) -> Callable[[str, LambdaContext], FunctionSpec]:
    """The worker configuration of a route's function, from its invocation context."""
    env = dict(environment or {})

    def spec(dotted: str, context: LambdaContext) -> FunctionSpec:
        parts = context.invoked_function_arn.split(":")
        region, account = (parts[3], parts[4]) if len(parts) > 5 else ("us-east-1", "123456789012")
        return FunctionSpec(
            name=context.function_name, handler=dotted, code_dir=code_dir, layer_dirs=layers,
            memory_mb=int(context.memory_limit_in_mb), environment=env,
            region=region, account=account,
        )  # fmt: skip

    return spec


def isolated_invoker(manifest: Path, layers: tuple[Path, ...]) -> ProcessInvoker:
    """Workers for the routes of ``manifest`` (its directory is the code directory)."""
    root = manifest.resolve().parent
    runtime = runtime_dir(root / "var" / "lambda-runtime")
    return ProcessInvoker(route_specs(root, tuple(p.resolve() for p in layers)), runtime)
