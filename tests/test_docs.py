"""Every ```python block in the README and docs/ runs, in order, one namespace per file."""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_there_are_docs_to_run() -> None:
    assert sum(len(BLOCK.findall(f.read_text())) for f in FILES) >= 8


@pytest.fixture
def server(path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """For docs/postgres.md: the test server, and a schema of its own."""
    if path.name != "postgres.md":
        yield
        return
    dsn = dsn_or_skip()
    schema = new_schema()
    monkeypatch.setenv("DATABASE_URL", dsn)
    monkeypatch.setenv("CLOSEDLOOP_SCHEMA", schema)
    try:
        yield
    finally:
        drop_schema(dsn, schema)


@pytest.fixture
def closedloop_loggers() -> Iterator[None]:
    """For docs/operations.md, which configures the ``closedloop`` loggers: put them back."""

    def ours() -> dict[str, logging.Logger]:
        return {
            name: logger
            for name, logger in logging.Logger.manager.loggerDict.items()
            if isinstance(logger, logging.Logger) and name.split(".")[0] == "closedloop"
        }

    before = {n: (g.level, list(g.handlers), g.propagate, g.disabled) for n, g in ours().items()}
    yield
    for name, logger in ours().items():
        level, handlers, propagate, disabled = before.get(name, (logging.NOTSET, [], True, False))
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.propagate, logger.disabled = propagate, disabled


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(f, id=f.name, marks=[pytest.mark.postgres] if f.name == "postgres.md" else [])
        for f in FILES
    ],
)
@pytest.mark.usefixtures("server", "closedloop_loggers")
def test_code_blocks_run(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    for number, block in enumerate(BLOCK.findall(path.read_text()), start=1):
        code = compile(block, f"{path.name}[block {number}]", "exec")
        exec(code, namespace)


LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = BLOCK.sub("", path.read_text())  # a "# comment" in a code block is no heading
    return {_anchor(m) for m in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}


REPOSITORY = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
IN_REPOSITORY = re.compile(rf"^{re.escape(REPOSITORY)}/(?:blob|tree)/main/(.*)$")


@pytest.mark.parametrize("path", FILES, ids=lambda f: f.name)
def test_links_between_the_docs_lead_somewhere(path: Path) -> None:
    """Relative links, and links to a file of this repository on GitHub, find their target."""
    broken = []
    for target in LINK.findall(path.read_text()):
        in_repository = IN_REPOSITORY.match(target)
        if not in_repository and ("://" in target or target.startswith("mailto:")):
            continue
        file, _, anchor = (in_repository.group(1) if in_repository else target).partition("#")
        base = ROOT if in_repository else path.parent
        linked = (base / file).resolve() if file else path
        if not linked.exists() or (
            anchor and linked.suffix == ".md" and anchor not in _anchors(linked)
        ):
            broken.append(target)
    assert broken == []


def test_the_readme_links_work_on_the_package_index() -> None:
    """The package index shows the README without the repository: its links are absolute."""
    relative = [t for t in LINK.findall((ROOT / "README.md").read_text()) if "://" not in t]
    assert relative == []


# Where the guide may send a reader for a name: each module has an ``__all__``.
PUBLIC_HOMES = (
    "closedloop",
    "closedloop.aio",
    "closedloop.events",
    "closedloop.domain",
    "closedloop.ports",
    "closedloop.testing",
    "closedloop.testing.conformance",
)
NAME = re.compile(r"`([A-Z][a-z]+[A-Z]?\w*)")


def _defined_classes() -> set[str]:
    source = ROOT / "src" / "closedloop"
    found: set[str] = set()
    for module in source.rglob("*.py"):
        found.update(re.findall(r"^class ([A-Z]\w+)", module.read_text(), re.MULTILINE))
    return found


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_every_class_the_guide_names_is_importable_from_where_it_says(path: Path) -> None:
    """A class named in `backticks` is exported by ``closedloop``, or by a public module
    the page names; never only by an internal module."""
    import importlib

    homes = {name: set(importlib.import_module(name).__all__) for name in PUBLIC_HOMES}
    text = path.read_text()
    named = {m.group(1) for m in NAME.finditer(text)} & _defined_classes()
    lost = []
    for name in sorted(named):
        where = [home for home, exported in homes.items() if name in exported]
        said = [
            home
            for home in where
            if home == "closedloop" or f"`{home}`" in text or f"`{home}.{name}" in text
        ]
        if not where and re.search(rf"`closedloop(\.\w+)+\.{name}`", text):
            continue  # an internal class, named by its full path (for contributors)
        if not said:
            lost.append(f"{name} (exported by {where or 'no public module'})")
    assert not lost, f"{path.name} names classes a reader cannot find: {lost}"
