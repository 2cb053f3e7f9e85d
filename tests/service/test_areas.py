"""The Desk keeps the LATTE steps; every other capability is a small area reached from it."""

from __future__ import annotations

import inspect

import pytest

import closedloop.service
from closedloop import Desk
from closedloop.service.desk import MOVED


def public_methods(cls: type) -> set[str]:
    return {n for n, v in vars(cls).items() if not n.startswith("_") and callable(v)}


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_an_old_name_says_where_it_moved(desk: Desk, old: str, new: str) -> None:
    with pytest.raises(AttributeError, match=rf"Desk\.{old} moved to desk\.{new} when"):
        getattr(desk, old)
    area, method = new.split(".")
    assert callable(getattr(getattr(desk, area), method))


def test_an_unknown_name_is_a_plain_attribute_error(desk: Desk) -> None:
    with pytest.raises(AttributeError, match="'Desk' object has no attribute 'nonsense'"):
        desk.nonsense  # type: ignore[attr-defined]  # noqa: B018


def test_each_area_is_built_once(desk: Desk) -> None:
    areas = ["conversation", "standards", "promises", "surveys", "customers", "outbox", "reports"]
    for name in areas:
        assert getattr(desk, name) is getattr(desk, name)
    assert {type(getattr(desk, n)).__name__.lower() for n in areas} == set(areas)


def test_the_desk_and_its_areas_stay_small() -> None:
    import importlib
    import pkgutil

    desk_names = {n for n in dir(Desk) if not n.startswith("_")}
    assert len(desk_names) <= 27, sorted(desk_names)
    for info in pkgutil.iter_modules(closedloop.service.__path__):
        module = importlib.import_module(f"closedloop.service.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__:
                assert len(public_methods(cls)) <= 20, (cls, sorted(public_methods(cls)))
