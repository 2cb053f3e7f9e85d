"""What the package publishes: its dependencies, its extras, and links that lead somewhere."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
REPOSITORY = PROJECT["urls"]["Repository"]
LINK = re.compile(r"\]\((https?://[^)\s]+)\)|<(https?://[^>\s]+)>|(https?://[^\s)>`\"']+)")


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()


def test_no_extra_publishes_the_linters() -> None:
    """Linters and type checkers are the `dev` dependency group (PEP 735), which is not part of
    the package's metadata; an extra would be offered to every user."""
    linters = {"ruff", "mypy", "types-python-dateutil"}
    published = {_name(r) for extra in PROJECT["optional-dependencies"].values() for r in extra} | {
        _name(r) for r in PROJECT["dependencies"]
    }
    assert published & linters == set()
    assert {_name(r) for r in PYPROJECT["dependency-groups"]["dev"]} >= linters
    assert '["dependency-groups"]["dev"]' in (ROOT / ".ci" / "run").read_text()


def test_every_runtime_dependency_is_imported() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "src" / "closedloop").rglob("*.py"))
    modules = {"attrs": "attrs", "python-dateutil": "dateutil"}
    for requirement in PROJECT["dependencies"]:
        module = modules[_name(requirement)]
        assert re.search(rf"^\s*(from|import) {module}\b", source, re.MULTILINE), requirement


def _links(text: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in LINK.finditer(text)]


def test_one_repository_address_everywhere() -> None:
    """The project's URLs, the docs site and the README name the repository one way."""
    assert all(url.startswith(REPOSITORY) for url in PROJECT["urls"].values())
    assert f"repo_url: {REPOSITORY}\n" in (ROOT / "mkdocs.yml").read_text()
    github = [u for u in _links((ROOT / "README.md").read_text()) if "github.com" in u]
    assert github
    assert [u for u in github if not u.startswith(f"{REPOSITORY}/")] == []


def test_every_readme_link_into_the_repository_finds_its_file() -> None:
    """A file is linked as ``<repository>/blob/main/<path>``, a folder as ``/tree/main/``;
    the path exists in this checkout (the README is shown on the package index, away from
    the repository, so its links are absolute)."""
    broken = []
    for url in _links((ROOT / "README.md").read_text()):
        if not url.startswith(REPOSITORY):
            continue
        found = re.fullmatch(rf"{re.escape(REPOSITORY)}/(blob|tree)/main/([^#?]+)(#.*)?", url)
        target = ROOT / found[2] if found else None
        kind_ok = target is not None and (
            target.is_file() if found and found[1] == "blob" else target.is_dir()
        )
        if not kind_ok:
            broken.append(url)
    assert broken == []
