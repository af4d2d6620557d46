"""Users endpoints (``/api/users``): list, create, read, patch, delete.

Shapes: see ``legacy_app.serializers`` (user) and ``legacy_app.pagination``
(list page). A user that has orders cannot be deleted (409). This module must
not touch orders' stock; the user's order history lives in ``orders``.
"""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for
from sqlalchemy import or_, select

from legacy_app.common import commit_or_conflict, get_or_404, no_content, utc_now
from legacy_app.db import get_session
from legacy_app.errors import conflict, validation_error
from legacy_app.jsonio import json_response
from legacy_app.models import Order, User
from legacy_app.pagination import paginate, parse_page
from legacy_app.serializers import user_to_json
from legacy_app.validation import UserCreate, UserPatch, parse_body

__all__ = ["bp"]

bp = Blueprint("users", __name__, url_prefix="/api")

_EMAIL_TAKEN = "email already registered"


@bp.get("/users")
def list_users() -> Response:
    """Users by id. Query: ``q`` (substring of name or email), ``page``, ``per_page``."""
    page = parse_page()
    stmt = select(User).order_by(User.id)
    q = request.args.get("q", "").strip()
    if q:
        matches = (
            User.name.icontains(q, autoescape=True),
            User.email.icontains(q, autoescape=True),
        )
        stmt = stmt.where(or_(*matches))
    return json_response(paginate(stmt, page, user_to_json))


@bp.post("/users")
def create_user() -> Response:
    """Body ``{"email", "name"}`` -> 201 + Location; 409 if the email is taken."""
    data = parse_body(UserCreate)
    session = get_session()
    user = User(email=data.email, name=data.name, created_at=utc_now())
    session.add(user)
    commit_or_conflict(session, _EMAIL_TAKEN, "email")
    location = url_for("users.get_user", user_id=user.id)
    return json_response(user_to_json(user), 201, {"Location": location})


@bp.get("/users/<int:user_id>")
def get_user(user_id: int) -> Response:
    return json_response(user_to_json(get_or_404(User, user_id, "user")))


@bp.patch("/users/<int:user_id>")
def patch_user(user_id: int) -> Response:
    """Body with any of ``email``, ``name`` (at least one, not null)."""
    user = get_or_404(User, user_id, "user")
    data = parse_body(UserPatch)
    if not data.model_fields_set:
        raise validation_error("body", "body: at least one of email, name is required")
    for field in sorted(data.model_fields_set):
        setattr(user, field, getattr(data, field))
    commit_or_conflict(get_session(), _EMAIL_TAKEN, "email")
    return json_response(user_to_json(user))


@bp.delete("/users/<int:user_id>")
def delete_user(user_id: int) -> Response:
    """204; 409 when the user has orders (their history must be kept)."""
    session = get_session()
    user = get_or_404(User, user_id, "user")
    if session.scalar(select(Order.id).where(Order.user_id == user_id).limit(1)) is not None:
        raise conflict(f"user {user_id} has orders and cannot be deleted")
    session.delete(user)
    session.commit()
    return no_content()
