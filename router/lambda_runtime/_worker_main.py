"""Entry point of a worker process: ``python -I -S _worker_main.py PATHS HANDLER``.

Started isolated (``-I``: no environment variables, no user site, no script dir) and
without ``site`` (``-S``: no site-packages), so ``sys.path`` holds only the standard
library until this sets it: ``PATHS`` (``os.pathsep``-joined: code, layer, runtime) go
first, as on Lambda (``/var/task``, ``/opt/python``, ``/var/runtime``). Then AWS's runtime
interface client runs the handler. This file must import nothing but the standard library.
"""

import os
import runpy
import sys

if __name__ == "__main__":
    sys.path[:0] = [p for p in sys.argv[1].split(os.pathsep) if p]
    sys.argv = ["awslambdaric", sys.argv[2]]
    runpy.run_module("awslambdaric", run_name="__main__", alter_sys=True)
