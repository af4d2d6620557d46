"""Entry point of a worker process: ``python -I -S _worker_main.py PATHS HANDLER [native]``.

Started isolated (``-I``: no environment variables, no user site, no script dir) and
without ``site`` (``-S``: no site-packages), so ``sys.path`` holds only the standard
library until this sets it: ``PATHS`` (``os.pathsep``-joined: code, layer, runtime) go
first, as on Lambda (``/var/task``, ``/opt/python``, ``/var/runtime``). Then AWS's runtime
interface client runs the handler, talking to the Runtime API through
``_runtime_client`` (this directory, loaded by its path under the name of awslambdaric's
native extension, ``runtime_client``), or through that extension itself with ``native``.
This file must import nothing but the standard library, and must put nothing of the
toolkit on ``sys.path``.
"""

import importlib.util
import os
import runpy
import sys


def _python_transport() -> None:
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_runtime_client.py")
    spec = importlib.util.spec_from_file_location("runtime_client", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["runtime_client"] = module
    spec.loader.exec_module(module)


if __name__ == "__main__":
    sys.path[:0] = [p for p in sys.argv[1].split(os.pathsep) if p]
    if sys.argv[3:] != ["native"]:
        _python_transport()
    sys.argv = ["awslambdaric", sys.argv[2]]
    runpy.run_module("awslambdaric", run_name="__main__", alter_sys=True)
