"""``__all__`` lists exactly the public names, and the promised ones stay."""

from __future__ import annotations

import importlib
import types

import pytest

STABLE = {
    "closedloop": {
        "Desk",
        "Case",
        "Channel",
        "Feedback",
        "Stage",
        "ClosedLoopError",
        "Survey",
        "PostgresStore",
    },
    "closedloop.testing": {"InMemoryStore", "RecordingNotifier", "ManualClock"},
}


def public_names(module: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }


@pytest.mark.parametrize(
    "name",
    [
        "closedloop",
        "closedloop.aio",
        "closedloop.testing",
        "closedloop.testing.conformance",
        "closedloop.domain",
        "closedloop.events",
        "closedloop.hostevents",
        "closedloop.contrib.django",
    ],
)
def test_all_lists_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__) - {"__version__"}
    lazy = set(getattr(module, "_LAZY", ()))  # imported on first use: optional extras
    assert exported == public_names(module) | lazy
    assert all(getattr(module, name) is not None for name in lazy)
    assert len(module.__all__) == len(set(module.__all__))


@pytest.mark.parametrize(("name", "promised"), STABLE.items())
def test_the_stable_names_are_exported(name: str, promised: set[str]) -> None:
    module = importlib.import_module(name)
    assert promised <= set(module.__all__)


def test_every_error_derives_from_the_root() -> None:
    import closedloop

    errors = [getattr(closedloop, n) for n in closedloop.__all__ if n.endswith("Error")]
    assert len(errors) >= 10
    assert all(issubclass(e, closedloop.ClosedLoopError) for e in errors)


def test_the_version_comes_from_the_package_metadata() -> None:
    from importlib.metadata import version

    import closedloop

    assert closedloop.__version__ == version("closedloop")


def test_importing_the_package_does_not_import_the_test_kit() -> None:
    import subprocess
    import sys

    code = "import closedloop, sys; print('hypothesis' in sys.modules, 'pytest' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_closedloop_and_its_pytest_plugin_import_without_psycopg() -> None:
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['psycopg'] = None\n"
        "import closedloop, _closedloop_pytest, closedloop.testing\n"
        "from closedloop.adapters.postgres import PostgresStore\n"
        "try:\n"
        "    PostgresStore('postgresql://nowhere')\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install 'closedloop[postgres]'" in done.stdout


def test_the_drawn_error_tree_is_the_real_one() -> None:
    """docs/errors.md and the errors module draw every error class, under its real parents."""
    import inspect
    import re
    from pathlib import Path

    import closedloop.domain.errors as errors

    real = {
        name: {b.__name__ for b in cls.__bases__ if issubclass(b, errors.ClosedLoopError)}
        for name, cls in vars(errors).items()
        if inspect.isclass(cls) and issubclass(cls, errors.ClosedLoopError)
    }
    docs = Path(__file__).parent.parent / "docs" / "errors.md"
    for text in (errors.__doc__ or "", docs.read_text()):
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if line.strip() == "ClosedLoopError")
        indent = lines[start].index("ClosedLoopError")
        drawn: dict[str, set[str]] = {"ClosedLoopError": set()}
        stack = ["ClosedLoopError"]
        for line in lines[start + 1 :]:
            if not line.strip() or line.strip() == "```":
                break
            found = re.match(r"([│ ]*)[├└]── (\w+)", line[indent:])
            assert found, line
            depth = len(found[1]) // 4 + 1
            stack[depth:] = [found[2]]
            drawn.setdefault(found[2], set()).add(stack[depth - 1])
        assert drawn == real


def test_every_event_class_has_its_public_home() -> None:
    import closedloop.events
    from closedloop.domain.cases.events import Event

    def subclasses(cls: type) -> set[type]:
        return {cls}.union(*(subclasses(sub) for sub in cls.__subclasses__()))

    # Importing the package brings in every module that defines an event.
    importlib.import_module("closedloop")
    ours = {c.__name__ for c in subclasses(Event) if c.__module__.startswith("closedloop.")}
    homeless = ours - set(closedloop.events.__all__)
    assert not homeless, f"event classes missing from closedloop.events: {sorted(homeless)}"
