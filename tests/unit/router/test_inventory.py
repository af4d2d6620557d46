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
        ("/api/users/", "/api/users"),  # the slash is kept as the route's trailing_slash
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


def test_trailing_slash_is_recorded_not_lost() -> None:
    app = Flask("slashes")

    def view(**_: object) -> str:
        return "ok"

    app.add_url_rule("/items/", "items", view, methods=["GET", "POST"])
    app.add_url_rule("/items/<int:item_id>/parts/", "parts", view)
    app.add_url_rule("/plain", "plain", view)
    app.add_url_rule("/", "root", view)
    found = {(r.method, r.path): r.trailing_slash for r in inventory_app(app).routes}
    assert found == {
        ("GET", "/"): False,
        ("GET", "/items"): True,
        ("POST", "/items"): True,
        ("GET", "/items/{item_id}/parts"): True,
        ("GET", "/plain"): False,
    }


def test_rule_with_and_without_slash_warns() -> None:
    app = Flask("both")
    app.add_url_rule("/a", "a", lambda: "a")
    app.add_url_rule("/a/", "a_slash", lambda: "a/")
    inventory = inventory_app(app)
    assert [(r.path, r.trailing_slash) for r in inventory.routes] == [("/a", False)]
    assert len(inventory.warnings) == 1
    assert "with and without a trailing slash" in inventory.warnings[0]


def test_reinit_records_the_slash_on_an_existing_route() -> None:
    """A manifest written before trailing slashes were kept is fixed by the next ``init``."""
    legacy = Legacy(url="http://127.0.0.1:5000")
    manifest = Manifest(
        legacy=legacy,
        routes=[
            Route(id="get-items", method="GET", path="/items", target="lambda", function="h.m.f")
        ],
    )
    app = Flask("again")
    app.add_url_rule("/items/", "items", lambda: "ok")
    added, vanished = merge_inventory(manifest, inventory_app(app).routes, legacy)
    assert (added, vanished) == ([], [])
    route = manifest.routes[0]
    assert route.trailing_slash and route.legacy_path == "/items/"
    assert (route.target, route.function) == ("lambda", "h.m.f")
    assert manifest.route("GET /items/") is route


@pytest.mark.parametrize(
    ("kwargs", "bound"),
    [({"subdomain": "admin"}, "subdomain 'admin'"), ({"host": "api.example.com"}, "host")],
)
def test_host_and_subdomain_rules_are_left_to_the_catch_all(
    kwargs: dict[str, str], bound: str
) -> None:
    host_matching = "host" in kwargs
    app = Flask("hosts", host_matching=host_matching, static_host="x" if host_matching else None)
    app.config["SERVER_NAME"] = "example.com"
    app.add_url_rule("/dashboard", "dash", lambda: "ok", **kwargs)  # type: ignore[arg-type]
    inventory = inventory_app(app)
    assert [r.path for r in inventory.routes] == []
    assert len(inventory.warnings) == 1
    assert "/dashboard" in inventory.warnings[0] and bound in inventory.warnings[0]
    assert "/{proxy+}" in inventory.warnings[0]
