"""Every public name is documented, and every public module has a page in the API reference.

Public means: in the ``__all__`` of a public module; a public method or property of such a
class (also one it inherits from a closedloop base); a field of such an attrs class (its
docstring is the string literal right after it, the form the reference renders); an
attribute the class's ``__init__`` sets on ``self``; a member of such an enum.
"""

from __future__ import annotations

import ast
import enum
import importlib
import re
import typing
from collections.abc import Iterator
from functools import cache, cached_property
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src"

# The modules a host application imports from. A new module with an ``__all__`` is either
# listed here (and gets a reference page) or only re-exports names a listed one exports.
PUBLIC_MODULES = (
    "closedloop",
    "closedloop.aio",
    "closedloop.cli",
    "closedloop.codec",
    "closedloop.domain",
    "closedloop.events",
    "closedloop.hostevents",
    "closedloop.insights",
    "closedloop.ports",
    "closedloop.testing",
    "closedloop.testing.conformance",
    "closedloop.testing.strategies",
)


@cache
def _tree(module: str) -> ast.Module:
    path = SOURCE / module.replace(".", "/")
    file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return ast.parse(file.read_text())


def _statements(body: list[ast.stmt]) -> Iterator[tuple[ast.stmt, ast.stmt | None]]:
    """Each statement with the one after it, looking inside ``if`` and ``try`` blocks."""
    for index, statement in enumerate(body):
        yield statement, body[index + 1] if index + 1 < len(body) else None
        if isinstance(statement, ast.If | ast.Try):
            for block in (statement.body, statement.orelse):
                yield from _statements(block)


def _string(node: ast.stmt | None) -> str | None:
    value = (
        node.value.value
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        else None
    )
    return value if isinstance(value, str) and value.strip() else None


def _assigned(statement: ast.stmt, *, on_self: bool = False) -> list[str]:
    """The names ``statement`` assigns; with ``on_self``, only its ``self.x`` targets."""
    if isinstance(statement, ast.AnnAssign):
        targets = [statement.target]
    elif isinstance(statement, ast.Assign):
        targets = statement.targets
    else:
        return []
    names = []
    for target in targets:
        if isinstance(target, ast.Name) and not on_self:
            names.append(target.id)
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
        ):
            names.append(target.attr)
    return names


def _docstring(module: str, name: str) -> str | None:
    """The docstring of ``name`` where it is defined, following ``from ... import``."""
    for statement, after in _statements(_tree(module).body):
        if isinstance(statement, ast.ClassDef | ast.FunctionDef) and statement.name == name:
            return ast.get_docstring(statement)
        if name in _assigned(statement):
            return _string(after)
        if isinstance(statement, ast.ImportFrom) and statement.module:
            for alias in statement.names:
                if (alias.asname or alias.name) == name:
                    return _docstring(statement.module, alias.name)
    raise LookupError(f"{name} is not defined in {module}")


def _class_def(cls: type) -> ast.ClassDef:
    for statement in _tree(cls.__module__).body:
        if isinstance(statement, ast.ClassDef) and statement.name == cls.__qualname__:
            return statement
    raise LookupError(f"{cls.__qualname__} is not defined in {cls.__module__}")


def _own_bases(cls: type) -> list[type]:
    return [
        base
        for base in cls.__mro__
        if base.__module__.startswith("closedloop") and "<" not in base.__qualname__
    ]


def _attribute_docs(cls: type) -> dict[str, str | None]:
    """Class-body and ``self.x = ...`` attributes of ``cls`` and its closedloop bases (an
    exception's ``__init__`` excepted: its message says what it holds)."""
    found: dict[str, str | None] = {}
    for base in reversed(_own_bases(cls)):
        node = _class_def(base)
        inits = [
            item.body
            for item in node.body
            if isinstance(item, ast.FunctionDef) and item.name == "__init__"
        ] * (not issubclass(cls, BaseException))
        for body, on_self in [(node.body, False)] + [(init, True) for init in inits]:
            for statement, after in _statements(body):
                for name in _assigned(statement, on_self=on_self):
                    found[name] = _string(after) or found.get(name)
    return found


def _undocumented_members(cls: type) -> Iterator[str]:
    docs = _attribute_docs(cls)
    if attrs.has(cls):
        for field in attrs.fields(cls):
            if not field.name.startswith("_") and not docs.get(field.name):
                yield f"field {field.name}"
    if issubclass(cls, enum.Enum):
        listed = ast.get_docstring(_class_def(cls)) or ""
        for member in cls.__members__:
            if not docs.get(member) and f"``{member}``" not in listed:
                yield f"member {member}"
        return
    for base in _own_bases(cls):
        for item in _class_def(base).body:
            # A conformance test's name is its documentation: the requirement it checks.
            if (
                isinstance(item, ast.FunctionDef)
                and not item.name.startswith(("_", "test_"))
                and not ast.get_docstring(item)
            ):
                yield f"method {base.__qualname__}.{item.name}"
    fields = {field.name for field in attrs.fields(cls)} if attrs.has(cls) else set()
    for name, doc in docs.items():
        if not name.startswith("_") and not doc and name not in fields:
            yield f"attribute {name}"


def _desk_areas() -> list[type]:
    """The classes of the Desk's areas (``desk.conversation``, ...): public, though no
    module exports them."""
    from closedloop import Desk

    return [
        typing.get_type_hints(member.func)["return"]
        for name, member in vars(Desk).items()
        if isinstance(member, cached_property) and not name.startswith("_")
    ]


def _public_names() -> list[tuple[str, str]]:
    return [
        (module, name)
        for module in PUBLIC_MODULES
        for name in importlib.import_module(module).__all__
        if not name.startswith("__")
    ]


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_module_says_what_it_is(module: str) -> None:
    assert ast.get_docstring(_tree(module))


def test_every_public_name_has_a_docstring() -> None:
    names = _public_names()
    missing = [f"{module}.{name}" for module, name in names if not _docstring(module, name)]
    assert missing == []


# Still undocumented, one "module.Class: kind name" a line: the list may only shrink (it is
# empty now: keep it so).
GAPS = ROOT / "tests" / "undocumented.txt"


def test_every_field_method_and_member_of_a_public_class_is_documented() -> None:
    classes = [getattr(importlib.import_module(module), name) for module, name in _public_names()]
    missing = set()
    for obj in [*classes, *_desk_areas()]:
        if isinstance(obj, type):
            assert ast.get_docstring(_class_def(obj)), obj
            home = f"{obj.__module__}.{obj.__qualname__}"
            missing |= {f"{home}: {what}" for what in _undocumented_members(obj)}
    known = set(GAPS.read_text().splitlines()) - {""} if GAPS.exists() else set()
    assert sorted(missing - known) == [], "document these (a string literal after each field)"
    assert sorted(known - missing) == [], f"documented now: remove them from {GAPS.name}"


def test_every_module_that_exports_names_is_public_or_re_exported() -> None:
    """A top-level module or package, or a module of the test kit, with an ``__all__``."""
    exported = {name for module, name in _public_names()}
    package = SOURCE / "closedloop"
    candidates = [
        file
        for folder in (package, package / "testing")
        for file in (*folder.glob("*.py"), *folder.glob("*/__init__.py"))
    ]
    hidden = []
    for file in sorted(candidates):
        module = ".".join(file.relative_to(SOURCE).with_suffix("").parts).removesuffix(".__init__")
        if module in PUBLIC_MODULES or "__all__" not in file.read_text():
            continue
        names = set(importlib.import_module(module).__all__)
        if not names <= exported:
            hidden.append(f"{module}: {sorted(names - exported)}")
    assert hidden == []


def test_every_public_module_has_a_reference_page_in_the_site() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = {
        page.name: page.read_text() for page in sorted((ROOT / "docs" / "reference").glob("*.md"))
    }
    unreferenced = []
    for module in PUBLIC_MODULES:
        rendering = re.compile(rf"^::: {re.escape(module)}$", re.MULTILINE)
        holding = [name for name, text in pages.items() if rendering.search(text)]
        if not holding or not any(f"reference/{name}" in nav for name in holding):
            unreferenced.append(module)
    for area in _desk_areas():
        path = f"{area.__module__}.{area.__qualname__}"
        if not any(f"::: {path}\n" in text for text in pages.values()):
            unreferenced.append(path)
    assert unreferenced == []


GUIDE = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DOTTED = re.compile(r"\b([A-Z][A-Za-z]+)\.([a-z_][a-z_0-9]*|[A-Z][A-Z_]+)\b")
AREA_CALL = re.compile(r"\bdesk\.([a-z_]+)\.([a-z_]+)\b")


def _documented(cls: type, name: str) -> bool:
    if _attribute_docs(cls).get(name):
        return True
    for base in _own_bases(cls):
        for item in _class_def(base).body:
            if isinstance(item, ast.FunctionDef) and item.name == name:
                return bool(ast.get_docstring(item))
    return False


@pytest.mark.parametrize("path", GUIDE, ids=[f.name for f in GUIDE])
def test_every_attribute_the_guide_names_is_documented(path: Path) -> None:
    """``Priority.rank``, ``desk.reports.no_log``: the reference explains what the guide uses."""
    classes: dict[str, type] = {}
    for module, name in _public_names():  # closedloop's own first: its Queue, not insights'
        obj = getattr(importlib.import_module(module), name)
        if isinstance(obj, type):
            classes.setdefault(name, obj)
    areas = {area.__name__: area for area in _desk_areas()}
    from closedloop import Desk

    text = path.read_text()
    used = {(classes[c], a) for c, a in DOTTED.findall(text) if c in classes}
    for area, name in AREA_CALL.findall(text):
        hint = (
            typing.get_type_hints(vars(Desk)[area].func)["return"] if area in vars(Desk) else None
        )
        used.add((areas.get(getattr(hint, "__name__", ""), Desk), name))
    unexplained = sorted(
        f"{cls.__name__}.{name}" for cls, name in used if not _documented(cls, name)
    )
    assert unexplained == []
