"""A Flask app that echoes what it received, and its apig-wsgi Lambda handler."""

from __future__ import annotations

import hashlib
from typing import Any

from apig_wsgi import make_lambda_handler
from flask import Flask, Response, jsonify, request

app = Flask(__name__)
PNG = bytes(range(256)) * 4  # every byte value, as an image/png body

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _echo(**extra: Any) -> Response:
    body = request.get_data()
    response = jsonify({
        "method": request.method,
        "path": request.path,
        "scheme": request.scheme,
        "args": request.args.to_dict(flat=False),
        "tags": request.headers.get("X-Tag"),
        "mixed": request.headers.get("x-MiXeD-case"),
        "cookies": request.cookies,
        "json": request.get_json(silent=True),
        "form": request.form.to_dict(flat=False),
        "content_type": request.content_type,
        "length": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        **extra,
    })  # fmt: skip
    response.headers["X-Echo"] = "1"
    response.set_cookie("seen", "yes")
    response.set_cookie("other", "2", httponly=True)
    return response


@app.route("/echo/<item>", methods=METHODS)
def echo(item: str) -> Response:
    return _echo(item=item)


@app.route("/files/<path:rest>", methods=METHODS)
def files(rest: str) -> Response:
    return _echo(rest=rest)


@app.get("/png")
def png() -> Response:
    return Response(PNG, mimetype="image/png")


@app.get("/empty")
def empty() -> Response:
    return Response(status=204)


handler = make_lambda_handler(app, binary_support=True)
