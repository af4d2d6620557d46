from __future__ import annotations

import pytest
from flask import Blueprint, Flask

from router.inventory import flask_rule_to_path, inventory_app, merge_inventory, route_id_for
from router.manifest.model import Legacy, Manifest, Route


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ("/", "/"),
        ("/api/users", "/api/users"),
        ("/api/users/", "/api/users"),
        ("/api/users/<id>", "/api/users/{id}"),
        ("/api/users/<int:user_id>", "/api/users/{user_id}"),
        ("/api/things/<uuid:tid>/parts/<string:name>", "/api/things/{tid}/parts/{name}"),
        ("/api/price/<float:amount>", "/api/price/{amount}"),
        ("/api/items/<string(length=2):code>", "/api/items/{code}"),
        ("/files/<path:rest>", "/files/{rest+}"),
    ],
)
def test_flask_rule_to_path(rule: str, path: str) -> None:
    assert flask_rule_to_path(rule) == path


@pytest.mark.parametrize("rule", ["/files/<path:rest>/edit", "/report-<int:year>.csv"])
def test_inexpressible_rules(rule: str) -> None:
    with pytest.raises(ValueError):
        flask_rule_to_path(rule)


def _unseen_app() -> Flask:
    """An app this repository has never seen: every converter, several methods, root, greedy."""
    app = Flask("unseen")
    bp = Blueprint("things", __name__, url_prefix="/v2")

    def view(**_: object) -> str:
        return "ok"

    app.add_url_rule("/", "index", view)
    app.add_url_rule("/ping", "ping", view, methods=["GET", "HEAD"])
    app.add_url_rule("/opts", "opts", view, methods=["OPTIONS"], provide_automatic_options=False)
    bp.add_url_rule("/things", "list", view, methods=["GET", "POST"])
    bp.add_url_rule("/things/<int:tid>", "one", view, methods=["GET", "PUT", "PATCH", "DELETE"])
    bp.add_url_rule("/things/<uuid:tid>/tags/<string:tag>", "tag", view)
    bp.add_url_rule("/by-name/<name>", "byname", view)
    bp.add_url_rule("/blobs/<path:key>", "blob", view, methods=["GET", "PUT"])
    bp.add_url_rule("/bad/<path:key>/meta", "badmeta", view)
    app.register_blueprint(bp)
    return app


def test_unseen_app_is_inventoried_exactly() -> None:
    inventory = inventory_app(_unseen_app())
    found = [(r.method, r.path) for r in inventory.routes]
    assert found == [
        ("GET", "/"),
        ("OPTIONS", "/opts"),
        ("GET", "/ping"),
        ("GET", "/v2/blobs/{key+}"),
        ("PUT", "/v2/blobs/{key+}"),
        ("GET", "/v2/by-name/{name}"),
        ("GET", "/v2/things"),
        ("POST", "/v2/things"),
        ("GET", "/v2/things/{tid}"),
        ("PUT", "/v2/things/{tid}"),
        ("PATCH", "/v2/things/{tid}"),
        ("DELETE", "/v2/things/{tid}"),
        ("GET", "/v2/things/{tid}/tags/{tag}"),
    ]
    assert len(inventory.warnings) == 1 and "/v2/bad/<path:key>/meta" in inventory.warnings[0]


def test_static_endpoint_left_out() -> None:
    app = Flask("withstatic", static_folder="static")
    assert app.url_map._rules_by_endpoint.get("static")
    assert inventory_app(app).routes == ()


def test_route_ids_are_readable_and_unique() -> None:
    taken: set[str] = set()
    first = route_id_for("GET", "/api/users/{id}", taken)
    taken.add(first)
    assert first == "get-api-users-id"
    assert route_id_for("GET", "/api/users/id", taken) == "get-api-users-id-2"
    assert route_id_for("GET", "/", set()) == "get-root"


def test_merge_keeps_targets_adds_new_and_marks_vanished() -> None:
    manifest = Manifest.model_validate(
        {
            "legacy": {"url": "http://old:5000"},
            "routes": [
                {
                    "id": "get-v2-things",
                    "method": "GET",
                    "path": "/v2/things",
                    "target": "lambda",
                    "weight": 40,
                    "function": "pkg.mod.fn",
                },
                {"id": "get-gone", "method": "GET", "path": "/gone"},
            ],
        }
    )
    inventory = inventory_app(_unseen_app())
    added, vanished = merge_inventory(manifest, inventory.routes, Legacy(url="http://new:5000"))
    things = manifest.route("GET /v2/things")
    assert things is not None and (things.target, things.weight, things.function) == (
        "lambda",
        40,
        "pkg.mod.fn",
    )
    assert [r.id for r in vanished] == ["get-gone"]
    assert len(added) == len(inventory.routes) - 1
    assert manifest.legacy.url == "http://new:5000"
    Manifest.model_validate(manifest.model_dump())


def test_reappearing_route_is_active_again() -> None:
    route = Route(id="get-ping", method="GET", path="/ping", status="vanished")
    manifest = Manifest(legacy=Legacy(url="http://x"), routes=[route])
    merge_inventory(manifest, inventory_app(_unseen_app()).routes, Legacy(url="http://x"))
    assert manifest.routes[0].status == "active"


def test_sibling_variables_are_unified() -> None:
    app = Flask("siblings")

    def view(**_: object) -> str:
        return "ok"

    app.add_url_rule("/u/<int:uid>", "one", view)
    app.add_url_rule("/u/<name>/posts", "posts", view)
    app.add_url_rule("/u/<path:rest>", "rest", view, methods=["POST"])
    inventory = inventory_app(app)
    assert [(r.method, r.path) for r in inventory.routes] == [
        ("GET", "/u/{name}"),
        ("GET", "/u/{name}/posts"),
    ]
    assert any("renamed to /u/{name}" in w for w in inventory.warnings)
    assert any("POST /u/{rest+}" in w for w in inventory.warnings)
    Manifest.model_validate(
        {
            "legacy": {"url": "http://x"},
            "routes": [
                {"id": f"r{i}", "method": r.method, "path": r.path}
                for i, r in enumerate(inventory.routes)
            ],
        }
    )
