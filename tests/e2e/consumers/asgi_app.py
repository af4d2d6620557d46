"""A small Starlette (ASGI) app and its mangum Lambda handler."""

from __future__ import annotations

import hashlib

from mangum import Mangum
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PNG = bytes(range(256)) * 4


async def echo(request: Request) -> JSONResponse:
    body = await request.body()
    response = JSONResponse({
        "method": request.method,
        "path": request.url.path,
        "item": request.path_params.get("item"),
        "args": sorted(request.query_params.multi_items()),
        # mangum joins a repeated header into one "a, b" (RFC 9110 list syntax)
        "tags": ", ".join(request.headers.getlist("x-tag")),
        "cookies": request.cookies,
        "content_type": request.headers.get("content-type"),
        "length": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
    })  # fmt: skip
    response.set_cookie("seen", "yes")
    return response


async def png(request: Request) -> Response:
    return Response(PNG, media_type="image/png")


app = Starlette(
    routes=[
        Route("/asgi/{item}", echo, methods=["GET", "POST", "PUT", "DELETE"]),
        Route("/asgi-png", png),
    ]
)
handler = Mangum(app, lifespan="off")
