"""The diff engine: flattening, list collapsing, missing fields, noise, thresholds."""

from __future__ import annotations

from collections.abc import Iterable

from router.shadow.diff import MISSING, PathReport, Thresholds, compare_samples, fields, flatten
from router.shadow.record import Observed
from tests.helpers.shadow import json_response, sample


def paths(reports: Iterable[PathReport]) -> list[str]:
    return [p.path for p in reports]


def test_flatten_names_nested_fields_and_collapses_list_indexes() -> None:
    body = {"user": {"email": "a@x", "tags": ["a", "b"]}, "items": [{"price": 1}, {"price": 2}]}
    assert list(flatten(body)) == [
        ("user.email", "a@x"),
        ("user.tags[]", "a"),
        ("user.tags[]", "b"),
        ("items[].price", 1),
        ("items[].price", 2),
    ]


def test_flatten_edge_cases() -> None:
    assert list(flatten(5)) == [("$", 5)]
    assert list(flatten([{"id": 1}])) == [("[].id", 1)]
    assert list(flatten({"a": {}, "b": []})) == [("a", {}), ("b", [])]
    assert list(flatten({"x.y": 1, "ok-key": 2})) == [('["x.y"]', 1), ("ok-key", 2)]


def test_fields_include_status_headers_and_hashed_bodies() -> None:
    observed = Observed(201, {"location": "/a/1"}, "sha256", "abc", 3)
    assert fields(observed, with_body=True) == {
        ":status": [201],
        ":header:location": ["/a/1"],
        ":body": ["sha256:abc"],
    }
    assert ":body" not in fields(observed, with_body=False)


def test_one_changed_field_is_a_real_mismatch() -> None:
    report = compare_samples(
        [sample({"id": n, "email": "a"}, {"id": n, "email": "b"}) for n in range(20)]
    )
    assert paths(report.mismatches) == ["email"]
    email = report.mismatches[0]
    assert (email.compared, email.differing, email.candidate_rate, email.noise_rate) == (
        20, 20, 1.0, 0.0,
    )  # fmt: skip
    assert len(email.examples) == 3
    assert (email.examples[0].primary, email.examples[0].candidate) == ("a", "b")
    assert email.examples[0].request == "GET /api/users/1"


def test_a_field_that_differs_between_monolith_calls_is_noise_not_a_mismatch() -> None:
    samples = [
        sample({"at": f"t{n}", "id": 1}, {"at": f"c{n}", "id": 1}, {"at": f"s{n}", "id": 1})
        for n in range(20)
    ]
    report = compare_samples(samples)
    assert report.mismatches == ()
    assert paths(report.noise) == ["at"] and report.noise[0].noise_rate == 1.0


def test_a_field_that_differs_only_for_the_candidate_is_reported_next_to_noise() -> None:
    samples = [
        sample({"at": f"t{n}", "id": 1}, {"at": f"c{n}", "id": 2}, {"at": f"s{n}", "id": 1})
        for n in range(20)
    ]
    report = compare_samples(samples)
    assert paths(report.mismatches) == ["id"] and paths(report.noise) == ["at"]


def test_missing_and_extra_fields_are_differences() -> None:
    report = compare_samples([sample({"a": 1, "b": 2}, {"a": 1, "c": 3}) for _ in range(10)])
    assert sorted(paths(report.mismatches)) == ["b", "c"]
    by_path = {p.path: p for p in report.mismatches}
    assert by_path["b"].examples[0].candidate == MISSING
    assert by_path["c"].examples[0].primary == MISSING


def test_list_rates_are_per_element_occurrence() -> None:
    primary = {"items": [{"price": 1}, {"price": 2}, {"price": 3}, {"price": 4}]}
    candidate = {"items": [{"price": 1}, {"price": 2}, {"price": 3}, {"price": 5}]}
    report = compare_samples([sample(primary, candidate) for _ in range(10)])
    (items,) = report.mismatches
    assert (items.path, items.compared, items.differing, items.candidate_rate) == (
        "items[].price", 40, 10, 0.25,
    )  # fmt: skip


def test_an_extra_list_element_is_a_difference() -> None:
    report = compare_samples([sample({"ids": [1, 2]}, {"ids": [1, 2, 3]}) for _ in range(10)])
    (ids,) = report.mismatches
    assert (ids.path, ids.compared, ids.differing) == ("ids[]", 30, 10)


def test_thresholds_absolute_and_relative() -> None:
    rule = Thresholds(absolute=0.05, relative=0.2)
    assert rule.is_real(0.10, 0.0)
    assert not rule.is_real(0.04, 0.0)  # under the absolute threshold
    assert not rule.is_real(1.0, 0.9)  # within 20% of the noise
    assert rule.is_real(1.0, 0.5)
    # 1 difference in 30 requests is under 5%: not reported as real by default
    rare = [sample({"a": 1}, {"a": 2})] + [sample({"a": 1}, {"a": 1}) for _ in range(29)]
    assert compare_samples(rare).mismatches == ()
    assert paths(compare_samples(rare, Thresholds(absolute=0.01)).mismatches) == ["a"]


def test_status_and_headers_are_compared() -> None:
    primary = json_response({"a": 1}, location="/x")
    candidate = json_response({"a": 1}, status=201, location="/y")
    report = compare_samples([sample(primary, candidate) for _ in range(5)])
    assert sorted(paths(report.mismatches)) == [":header:location", ":status"]


def test_types_matter_but_number_spelling_does_not() -> None:
    same = compare_samples([sample({"n": 1, "f": True}, {"n": 1.0, "f": True})])
    assert same.paths == ()
    report = compare_samples([sample({"n": 1, "f": True, "s": "1"}, {"n": True, "f": 1, "s": 1})])
    assert sorted(paths(report.mismatches)) == ["f", "n", "s"]


def test_truncated_bodies_are_compared_by_status_only() -> None:
    big = Observed(200, {"content-type": "application/json"}, "truncated", None, 2_000_000)
    report = compare_samples([sample(big, {"totally": "different"}, big)])
    assert report.paths == () and report.truncated == 1


def test_head_requests_skip_the_body() -> None:
    head = Observed(200, {"content-type": "application/json"})  # no body
    report = compare_samples([sample(head, {"a": 1}, head, method="HEAD")])
    assert report.paths == () and report.truncated == 0


def test_no_samples_is_an_empty_report() -> None:
    report = compare_samples([])
    assert (report.samples, report.paths, report.mismatches) == (0, (), ())
