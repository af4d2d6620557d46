"""Request-body schemas (pydantic v2, strict) and the JSON body reader.

``parse_body(Model)`` reads the request: a non-JSON Content-Type is 415, an
unparsable body is 400 ``invalid_json`` (field ``body``), and the first schema
violation is 400 ``validation_error`` naming the field (``email``,
``items[0].quantity``; ``body`` when the body itself is not an object).
This module must not touch the database: existence checks belong to the views.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from flask import request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from legacy_app.errors import ApiError, validation_error

__all__ = [
    "OrderCreate",
    "OrderLineIn",
    "ProductIn",
    "UserCreate",
    "UserPatch",
    "field_path",
    "parse_body",
]

M = TypeVar("M", bound=BaseModel)

_EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Name = Annotated[str, Field(min_length=1, max_length=100)]
Email = Annotated[str, Field(max_length=254, pattern=_EMAIL_PATTERN)]
Tag = Annotated[str, Field(pattern=r"^[a-z0-9-]{1,30}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True)


class UserCreate(_Strict):
    email: Email
    name: Name

    @field_validator("email")
    @classmethod
    def _lower_email(cls, value: str) -> str:
        return value.lower()


class UserPatch(_Strict):
    email: Email | None = None
    name: Name | None = None

    @field_validator("email", "name", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("must not be null")
        return value

    @field_validator("email")
    @classmethod
    def _lower_email(cls, value: str | None) -> str | None:
        return value.lower() if value is not None else None


class ProductIn(_Strict):
    sku: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{0,31}$")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    category: str = Field(max_length=200, pattern=r"^[a-z0-9-]+(/[a-z0-9-]+)*$")
    price_cents: int = Field(ge=0, le=100_000_000)
    stock: int = Field(ge=0, le=1_000_000)
    tags: list[Tag] = Field(default_factory=list, max_length=10)

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class OrderLineIn(_Strict):
    product_id: int = Field(ge=1)
    quantity: int = Field(ge=1, le=1000)


class OrderCreate(_Strict):
    user_id: int = Field(ge=1)
    items: list[OrderLineIn] = Field(min_length=1, max_length=50)


def parse_body(model: type[M]) -> M:
    """Validate the request's JSON body against ``model`` or raise ApiError."""
    data = read_json()
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = field_path(first["loc"])
        raise validation_error(field, f"{field}: {first['msg']}") from None


def read_json() -> Any:
    """The parsed JSON body; 415 for another content type, 400 when unparsable."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json")
    try:
        return json.loads(request.get_data(cache=True))
    except ValueError:
        raise ApiError(
            400, "invalid_json", "request body is not valid JSON", field="body"
        ) from None


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("items", 0, "quantity")`` -> ``"items[0].quantity"``; ``()`` -> ``"body"``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"
