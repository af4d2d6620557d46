"""Lambda handlers written with AWS Powertools: its strict event model and its resolver."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel


def parsed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Validates the event with Powertools' model (ValidationError -> a function error)."""
    model = parse(event=event, model=APIGatewayProxyEventModel)
    body = {
        "method": model.httpMethod,
        "path": model.path,
        "proto": model.headers["X-Forwarded-Proto"],
        "query": model.multiValueQueryStringParameters,
        "base64": model.isBase64Encoded,
        "source_ip": str(model.requestContext.identity.sourceIp),
    }
    return {"statusCode": "200", "body": json.dumps(body)}  # a string status, as blueprints


app = APIGatewayRestResolver()


@app.get("/pt/items/<item_id>")
def get_item(item_id: str) -> dict[str, Any]:
    query = app.current_event.multi_value_query_string_parameters or {}
    return {"id": item_id, "tags": query.get("tag", [])}


@app.post("/pt/items")
def create_item() -> Response[str]:
    item = app.current_event.json_body
    return Response(201, "application/json", json.dumps({"created": item}))


def resolver(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
