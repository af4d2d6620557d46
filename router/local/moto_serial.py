"""A moto server that handles one request at a time: ``python -m router.local.moto_serial``.

moto's own server (``python -m moto.server``) runs requests in threads, and its S3
``PutObject`` checks ``If-Match``/``If-None-Match`` and then writes in two steps, so
two racing conditional writes can both pass the check. S3 makes each conditional
write atomic; serving one request at a time gives moto the same guarantee, which the
S3 state backend (``router.state``) relies on. Used by ``start_moto(serial=True)``.
This module must not change moto's behaviour otherwise.
"""

from __future__ import annotations

import argparse
import io
import threading
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["main", "serialized"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def serialized(app: WsgiApp) -> WsgiApp:
    """``app`` behind one lock, its whole answer produced inside it."""
    lock = threading.Lock()

    def handle(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # The body is read before the lock: a client that sent ``Expect: 100-continue``
        # (boto3 does for PutObject) waits for the server to ask for it, and must not
        # do so holding every other request up.
        length = int(environ.get("CONTENT_LENGTH") or 0)
        environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(length) if length else b"")
        with lock:
            return list(app(environ, start_response))

    return handle


def main(argv: list[str] | None = None) -> None:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        serialized(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
