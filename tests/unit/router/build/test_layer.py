"""The dependency layer: pip flags per architecture, zip layout, determinism, cache."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from router.build.layer import LayerBuilder
from router.errors import BuildError
from tests.helpers.build import Project


class Recording:
    """Runs pip for real and keeps each command line."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        return subprocess.run(list(argv), capture_output=True, text=True, check=False)


def _builder(project: Project, runner: Recording) -> LayerBuilder:
    pip_args = ["--no-index", "--find-links", str(project.wheelhouse)]
    return LayerBuilder(project.root / "cache", pip_args=pip_args, runner=runner)


@pytest.mark.parametrize(("arch", "platform"), [("x86_64", "manylinux2014_x86_64"),
                                                ("arm64", "manylinux2014_aarch64")])  # fmt: skip
def test_layer_is_built_from_manylinux_wheels_for_the_runtime(
    project: Project, arch: str, platform: str
) -> None:
    runner = Recording()
    layer = _builder(project, runner).layer(project.lock, "python3.12", arch)
    (argv,) = runner.calls
    for flag in (["--platform", platform], ["--python-version", "3.12"], ["-r", str(project.lock)]):
        assert any(argv[i : i + 2] == flag for i in range(len(argv)))
    assert {"--only-binary=:all:", "--require-hashes", "--no-deps"} <= set(argv)
    with zipfile.ZipFile(layer.zip_path) as archive:
        names = archive.namelist()
        assert "python/tinydep/__init__.py" in names
        assert names == sorted(names)
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert layer.size == layer.zip_path.stat().st_size and not layer.cached


def test_an_unchanged_lock_is_not_rebuilt_and_a_changed_one_is(project: Project) -> None:
    runner = Recording()
    first = _builder(project, runner).layer(project.lock, "python3.12", "x86_64")
    again = _builder(project, runner).layer(project.lock, "python3.12", "x86_64")
    assert again.cached and again.sha256 == first.sha256 and len(runner.calls) == 1
    other = _builder(project, runner).layer(project.lock, "python3.12", "arm64")
    assert other.key != first.key and not other.cached
    project.lock.write_text(project.lock.read_text() + "# changed\n")
    changed = _builder(project, runner).layer(project.lock, "python3.12", "x86_64")
    assert changed.key != first.key and len(runner.calls) == 3


def test_a_rebuild_from_scratch_gives_the_same_bytes(project: Project, tmp_path: Path) -> None:
    one = _builder(project, Recording()).layer(project.lock, "python3.12", "x86_64")
    pip_args = ["--no-index", "--find-links", str(project.wheelhouse)]
    two = LayerBuilder(tmp_path / "other", pip_args=pip_args).layer(
        project.lock, "python3.12", "x86_64"
    )
    assert one.zip_path.read_bytes() == two.zip_path.read_bytes()


def test_local_layer_imports_in_this_interpreter(project: Project) -> None:
    path = _builder(project, Recording()).local(project.lock)
    code = "import tinydep; print(tinydep.VALUE)"
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", f"import sys; sys.path[:0] = [{str(path)!r}]; {code}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "41"


def test_a_hash_mismatch_fails_the_build_and_leaves_no_layer(project: Project) -> None:
    text = project.lock.read_text()
    digest = text.split("sha256:")[-1].strip()
    project.lock.write_text(text.replace(digest, "0" * 64))
    builder = _builder(project, Recording())
    with pytest.raises(BuildError, match="pip exited 1"):
        builder.layer(project.lock, "python3.12", "x86_64")
    assert not list((project.root / "cache" / "layers").iterdir())


def test_lambda_platform_tags_follow_the_runtimes_glibc() -> None:
    from router.build.layer import _platforms

    al2023 = _platforms("python3.12", "arm64")  # Amazon Linux 2023: glibc 2.34
    assert al2023[1::2] == [
        "manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64"
    ]  # fmt: skip
    assert _platforms("python3.11", "x86_64") == ["--platform", "manylinux2014_x86_64"]  # AL2
