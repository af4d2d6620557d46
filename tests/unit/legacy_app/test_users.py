"""Users endpoints: read, list/pagination, create, patch, delete and their errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

Counts = Callable[[], dict[str, int]]


def test_get_user_shape(client: FlaskClient) -> None:
    resp = client.get("/api/users/1")
    assert resp.status_code == 200
    assert resp.content_type == "application/json"
    body = resp.get_json()
    assert list(body) == ["id", "email", "name", "created_at"]
    assert body["id"] == 1
    assert body["email"].endswith("@example.com")
    assert body["created_at"].endswith("Z")


def test_get_user_404(client: FlaskClient) -> None:
    resp = client.get("/api/users/9999")
    assert resp.status_code == 404
    assert resp.get_json() == {"error": "not_found", "message": "user 9999 not found"}


def test_non_int_user_id_is_404(client: FlaskClient) -> None:
    resp = client.get("/api/users/abc")
    assert resp.status_code == 404
    assert resp.get_json()["error"] == "not_found"


def test_list_users_default_page(client: FlaskClient) -> None:
    body = client.get("/api/users").get_json()
    assert list(body) == ["items", "page", "per_page", "total", "pages"]
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 20, 200, 10)
    assert [u["id"] for u in body["items"]] == list(range(1, 21))


def test_list_users_pagination(client: FlaskClient) -> None:
    body = client.get("/api/users?page=3&per_page=7").get_json()
    assert [u["id"] for u in body["items"]] == list(range(15, 22))
    assert body["pages"] == 29
    last = client.get("/api/users?page=100&per_page=100").get_json()
    assert last["items"] == [] and last["total"] == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=x", "page"),
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
    ],
)
def test_list_users_bad_pagination(client: FlaskClient, query: str, field: str) -> None:
    resp = client.get(f"/api/users?{query}")
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["error"] == "validation_error"
    assert body["field"] == field


def test_list_users_search(client: FlaskClient) -> None:
    body = client.get("/api/users?q=LOVELACE&per_page=100").get_json()
    assert body["total"] > 0
    assert all("lovelace" in u["email"] for u in body["items"])
    assert client.get("/api/users?q=%25").get_json()["total"] == 0  # LIKE wildcards escaped


def test_create_user(client: FlaskClient, row_counts: Counts) -> None:
    before = row_counts()["users"]
    resp = client.post("/api/users", json={"email": "New.Person@Example.org", "name": "New"})
    assert resp.status_code == 201
    body = resp.get_json()
    assert resp.headers["Location"] == f"/api/users/{body['id']}"
    assert body["email"] == "new.person@example.org"
    assert row_counts()["users"] == before + 1
    assert client.get(resp.headers["Location"]).get_json() == body


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "No Email"}, "email"),
        ({"email": "a@b.io"}, "name"),
        ({"email": 42, "name": "x"}, "email"),
        ({"email": "not-an-email", "name": "x"}, "email"),
        ({"email": "a@b.io", "name": ""}, "name"),
        ({"email": "a@b.io", "name": ["x"]}, "name"),
        ({"email": "a@b.io", "name": "x", "admin": True}, "admin"),
        ([1, 2], "body"),
    ],
)
def test_create_user_validation(
    client: FlaskClient, row_counts: Counts, payload: Any, field: str
) -> None:
    before = row_counts()
    resp = client.post("/api/users", json=payload)
    assert resp.status_code == 400
    body = resp.get_json()
    assert list(body) == ["error", "message", "field"]
    assert (body["error"], body["field"]) == ("validation_error", field)
    assert row_counts() == before


def test_create_user_malformed_json(client: FlaskClient, row_counts: Counts) -> None:
    before = row_counts()
    resp = client.post("/api/users", data='{"email": ', content_type="application/json")
    assert resp.status_code == 400
    assert resp.get_json() == {
        "error": "invalid_json",
        "message": "request body is not valid JSON",
        "field": "body",
    }
    assert row_counts() == before


def test_create_user_wrong_content_type(client: FlaskClient, row_counts: Counts) -> None:
    before = row_counts()
    resp = client.post("/api/users", data="email=a@b.io", content_type="text/plain")
    assert resp.status_code == 415
    assert resp.get_json()["error"] == "unsupported_media_type"
    assert row_counts() == before


def test_create_user_duplicate_email(client: FlaskClient, row_counts: Counts) -> None:
    existing = client.get("/api/users/1").get_json()["email"]
    before = row_counts()
    resp = client.post("/api/users", json={"email": existing.upper(), "name": "Dup"})
    assert resp.status_code == 409
    assert resp.get_json() == {
        "error": "conflict",
        "message": "email already registered",
        "field": "email",
    }
    assert row_counts() == before


def test_patch_user(client: FlaskClient) -> None:
    resp = client.patch("/api/users/2", json={"name": "Renamed"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["name"] == "Renamed"
    assert client.get("/api/users/2").get_json() == body


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "body"), ({"name": None}, "name"), ({"email": "bad"}, "email"), ({"id": 5}, "id")],
)
def test_patch_user_validation(
    client: FlaskClient, snapshot: Callable[[], Any], payload: Any, field: str
) -> None:
    before = snapshot()
    resp = client.patch("/api/users/2", json=payload)
    assert resp.status_code == 400
    assert resp.get_json()["field"] == field
    assert snapshot() == before


def test_patch_user_email_conflict(client: FlaskClient, snapshot: Callable[[], Any]) -> None:
    taken = client.get("/api/users/1").get_json()["email"]
    before = snapshot()
    resp = client.patch("/api/users/2", json={"email": taken})
    assert resp.status_code == 409
    assert resp.get_json()["field"] == "email"
    assert snapshot() == before


def test_patch_missing_user(client: FlaskClient) -> None:
    assert client.patch("/api/users/9999", json={"name": "x"}).status_code == 404


def test_delete_user_without_orders(client: FlaskClient, row_counts: Counts) -> None:
    location = client.post("/api/users", json={"email": "gone@x.io", "name": "G"}).location
    before = row_counts()["users"]
    resp = client.delete(location)
    assert resp.status_code == 204
    assert resp.data == b""
    assert row_counts()["users"] == before - 1
    assert client.get(location).status_code == 404
    assert client.delete(location).status_code == 404


def test_delete_user_with_orders_conflicts(client: FlaskClient, row_counts: Counts) -> None:
    user_id = client.get("/api/orders/1").get_json()["user_id"]
    before = row_counts()
    resp = client.delete(f"/api/users/{user_id}")
    assert resp.status_code == 409
    assert resp.get_json()["error"] == "conflict"
    assert row_counts() == before
