"""The local Lambda runtime: each function in isolated worker processes running AWS's
runtime interface client against a Runtime API served on the gateway's event loop.

``sandbox`` (sys.path, environment variables), ``api`` (the Runtime API protocol),
``environment`` (one worker), ``pool`` (a function's environments), ``reports``
(START/END/REPORT), ``invoker`` (``ProcessInvoker``, the gateway-facing interface),
``leftovers`` (what a killed gateway left on disk).
This package must not build events or route requests.
"""

from __future__ import annotations

from router.lambda_runtime.invoker import ProcessInvoker
from router.lambda_runtime.reports import InvocationRecord
from router.lambda_runtime.sandbox import FunctionSpec, runtime_dir

__all__ = ["FunctionSpec", "InvocationRecord", "ProcessInvoker", "runtime_dir"]
