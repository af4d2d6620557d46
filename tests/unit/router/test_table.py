"""Example-based tests for router.table: API Gateway REST matching semantics."""

from __future__ import annotations

import pytest

from router.paths import PathSyntaxError
from router.table import Match, RouteTable


def _table(*routes: tuple[str, str]) -> RouteTable[str]:
    """A table whose value for each route is "METHOD resource"."""
    return RouteTable((method, resource, f"{method} {resource}") for method, resource in routes)


def _hit(table: RouteTable[str], method: str, path: str) -> Match[str]:
    found = table.match(method, path)
    assert found is not None, f"{method} {path} did not match"
    return found


# --- methods ---------------------------------------------------------------------------


def test_exact_method_beats_any_on_same_resource() -> None:
    table = _table(("ANY", "/items"), ("GET", "/items"))
    assert _hit(table, "GET", "/items").method == "GET"
    assert _hit(table, "POST", "/items").method == "ANY"


def test_any_matches_every_method() -> None:
    table = _table(("ANY", "/items"))
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
        found = _hit(table, method, "/items")
        assert (found.method, found.value) == ("ANY", "ANY /items")


def test_method_input_is_case_insensitive() -> None:
    table = _table(("get", "/items"))
    found = _hit(table, "gEt", "/items")
    assert found.method == "GET"
    assert len(table) == 1


def test_head_is_not_served_by_get() -> None:
    assert _table(("GET", "/items")).match("HEAD", "/items") is None


def test_unsupported_method_is_rejected_on_add() -> None:
    with pytest.raises(ValueError, match="unsupported method"):
        _table(("FETCH", "/items"))


# --- fall-through and precedence ---------------------------------------------------------


def test_method_falls_through_to_proxy() -> None:
    table = _table(("GET", "/api/users/{id}"), ("ANY", "/{proxy+}"))
    get = _hit(table, "GET", "/api/users/5")
    assert (get.resource, get.path_parameters) == ("/api/users/{id}", {"id": "5"})
    delete = _hit(table, "DELETE", "/api/users/5")
    assert (delete.resource, delete.method) == ("/{proxy+}", "ANY")
    assert delete.path_parameters == {"proxy": "api/users/5"}


def test_method_falls_through_to_less_specific_param() -> None:
    table = _table(("GET", "/a/b"), ("POST", "/a/{x}"), ("ANY", "/{proxy+}"))
    assert _hit(table, "GET", "/a/b").resource == "/a/b"
    assert _hit(table, "POST", "/a/b").path_parameters == {"x": "b"}
    assert _hit(table, "PUT", "/a/b").resource == "/{proxy+}"


def test_no_match_without_catch_all() -> None:
    table = _table(("GET", "/api/users/{id}"))
    assert table.match("DELETE", "/api/users/5") is None
    assert table.match("GET", "/api/users") is None
    assert table.match("GET", "/api/users/5/extra") is None


def test_literal_beats_param_beats_greedy() -> None:
    table = _table(("GET", "/a/b"), ("GET", "/a/{x}"), ("GET", "/{proxy+}"))
    assert _hit(table, "GET", "/a/b").resource == "/a/b"
    assert _hit(table, "GET", "/a/c").resource == "/a/{x}"
    assert _hit(table, "GET", "/a/c/d").resource == "/{proxy+}"


def test_greedy_deeper_literal_prefix_beats_shallow_greedy() -> None:
    table = _table(("ANY", "/{proxy+}"), ("ANY", "/files/{path+}"))
    found = _hit(table, "GET", "/files/x/y.txt")
    assert (found.resource, found.path_parameters) == ("/files/{path+}", {"path": "x/y.txt"})


def test_backtracks_from_literal_to_param() -> None:
    table = _table(("GET", "/a/b/c"), ("GET", "/a/{x}/d"))
    found = _hit(table, "GET", "/a/b/d")
    assert (found.resource, found.path_parameters) == ("/a/{x}/d", {"x": "b"})


def test_backtracks_across_several_levels_to_greedy() -> None:
    table = _table(("GET", "/a/b/c/d"), ("GET", "/a/{x}/c/e"), ("GET", "/{y+}"))
    assert _hit(table, "GET", "/a/b/c/e").resource == "/a/{x}/c/e"
    found = _hit(table, "GET", "/a/b/c/f")
    assert (found.resource, found.path_parameters) == ("/{y+}", {"y": "a/b/c/f"})


def test_backtracks_when_specific_branch_lacks_the_method() -> None:
    table = _table(("GET", "/a/b/c"), ("POST", "/a/{x}/c"))
    assert _hit(table, "POST", "/a/b/c").resource == "/a/{x}/c"


def test_intermediate_resource_without_methods_does_not_match() -> None:
    table = _table(("GET", "/a/b/c"))
    assert table.match("GET", "/a/b") is None


def test_paths_are_case_sensitive() -> None:
    table = _table(("GET", "/Users"))
    assert table.match("GET", "/users") is None
    assert _hit(table, "GET", "/Users").resource == "/Users"


# --- root and greedy -----------------------------------------------------------------


def test_proxy_does_not_match_root() -> None:
    table = _table(("ANY", "/{proxy+}"))
    assert table.match("GET", "/") is None
    assert _hit(table, "GET", "/x").path_parameters == {"proxy": "x"}


def test_root_needs_its_own_resource() -> None:
    table = _table(("ANY", "/{proxy+}"), ("ANY", "/"))
    found = _hit(table, "GET", "/")
    assert (found.resource, found.path_parameters) == ("/", {})


def test_nested_greedy_needs_at_least_one_segment() -> None:
    table = _table(("ANY", "/files/{path+}"))
    assert table.match("GET", "/files") is None
    assert table.match("GET", "/files/") is None
    assert _hit(table, "GET", "/files/a/b/c").path_parameters == {"path": "a/b/c"}


def test_params_and_greedy_together() -> None:
    table = _table(("GET", "/users/{id}/files/{path+}"))
    found = _hit(table, "GET", "/users/42/files/docs/cv.pdf")
    assert found.path_parameters == {"id": "42", "path": "docs/cv.pdf"}


# --- decoding -------------------------------------------------------------------------


def test_params_are_percent_decoded() -> None:
    table = _table(("GET", "/users/{name}"))
    assert _hit(table, "GET", "/users/J%C3%BCrgen%20M").path_parameters == {"name": "Jürgen M"}


def test_encoded_slash_stays_inside_param() -> None:
    table = _table(("GET", "/users/{id}"), ("GET", "/users/{id}/x"))
    found = _hit(table, "GET", "/users/a%2Fx")
    assert (found.resource, found.path_parameters) == ("/users/{id}", {"id": "a/x"})


def test_plus_is_not_a_space() -> None:
    table = _table(("GET", "/q/{term}"))
    assert _hit(table, "GET", "/q/a+b%2Bc").path_parameters == {"term": "a+b+c"}


def test_greedy_capture_is_decoded_per_segment() -> None:
    table = _table(("ANY", "/{proxy+}"))
    found = _hit(table, "GET", "/a%20b/c%2Fd/e")
    assert found.path_parameters == {"proxy": "a b/c/d/e"}


def test_literal_segments_compare_decoded() -> None:
    table = _table(("GET", "/users"))
    assert _hit(table, "GET", "/us%65rs").resource == "/users"


def test_malformed_escape_is_kept_verbatim() -> None:
    table = _table(("GET", "/q/{term}"))
    assert _hit(table, "GET", "/q/100%zz").path_parameters == {"term": "100%zz"}


# --- trailing slash and empty segments ------------------------------------------------


def test_trailing_slash_is_ignored() -> None:
    table = _table(("GET", "/a/b"), ("GET", "/users/{id}"), ("ANY", "/{proxy+}"))
    assert _hit(table, "GET", "/a/b/").resource == "/a/b"
    assert _hit(table, "GET", "/users/7/").path_parameters == {"id": "7"}
    assert _hit(table, "PUT", "/a/b/").path_parameters == {"proxy": "a/b"}


def test_repeated_slashes_collapse() -> None:
    table = _table(("GET", "/a/b"), ("ANY", "/{proxy+}"), ("ANY", "/"))
    assert _hit(table, "GET", "//a//b").resource == "/a/b"
    assert _hit(table, "POST", "/x///y").path_parameters == {"proxy": "x/y"}
    assert _hit(table, "GET", "//").resource == "/"


def test_path_must_start_with_slash() -> None:
    table = _table(("ANY", "/{proxy+}"), ("ANY", "/"))
    assert table.match("GET", "a/b") is None
    assert table.match("GET", "") is None


# --- registration ---------------------------------------------------------------------


def test_duplicate_route_is_rejected() -> None:
    table = _table(("GET", "/a"))
    with pytest.raises(ValueError, match="duplicate route: GET /a"):
        table.add("get", "/a", "again")
    assert len(table) == 1


def test_same_resource_different_methods_is_fine() -> None:
    table = _table(("GET", "/a"), ("POST", "/a"), ("ANY", "/a"))
    assert len(table) == 3


@pytest.mark.parametrize(
    "resource",
    ["", "a/b", "/a/", "/a//b", "/{proxy+}/x", "/{id}/{id}", "/a b", "/{bad", "/x\n"],
)
def test_invalid_paths_are_rejected(resource: str) -> None:
    with pytest.raises(PathSyntaxError):
        RouteTable[str]().add("GET", resource, "v")


@pytest.mark.parametrize(
    ("first", "second"),
    [("/{id}", "/{name}"), ("/{id}", "/{proxy+}"), ("/a/{x}/b", "/a/{y}/c"), ("/{p+}", "/{q+}")],
)
def test_variable_siblings_are_rejected(first: str, second: str) -> None:
    table = _table(("GET", first))
    with pytest.raises(ValueError, match="only one is allowed"):
        table.add("GET", second, "v")


def test_rejected_add_leaves_table_unchanged() -> None:
    table = _table(("GET", "/a/{x}"))
    for resource in ("/a/{y}/c", "/a/{x}/{z+}/c", "/a/{x}"):
        with pytest.raises(ValueError):
            table.add("GET", resource, "v")
    assert len(table) == 1
    assert table.match("GET", "/a/1/c") is None
    assert _hit(table, "GET", "/a/1").value == "GET /a/{x}"


def test_percent_equivalent_literals_are_one_resource() -> None:
    table = _table(("GET", "/%41"))
    with pytest.raises(ValueError, match="equivalent"):
        table.add("POST", "/A", "v")


def test_shared_variable_keeps_per_resource_names() -> None:
    table = _table(("GET", "/u/{id}"), ("GET", "/u/{id}/posts/{post}"))
    found = _hit(table, "GET", "/u/1/posts/2")
    assert found.path_parameters == {"id": "1", "post": "2"}
    assert _hit(table, "GET", "/u/1").path_parameters == {"id": "1"}


def test_match_returns_fresh_parameter_dicts() -> None:
    table = _table(("GET", "/u/{id}"))
    first = _hit(table, "GET", "/u/1")
    first.path_parameters["id"] = "mutated"
    assert _hit(table, "GET", "/u/1").path_parameters == {"id": "1"}


def test_len_and_constructor() -> None:
    assert len(RouteTable[int]()) == 0
    table = RouteTable([("GET", "/a", 1), ("POST", "/a", 2)])
    assert len(table) == 2
    assert _hit_int(table, "POST", "/a") == 2


def _hit_int(table: RouteTable[int], method: str, path: str) -> int:
    found = table.match(method, path)
    assert found is not None
    return found.value
