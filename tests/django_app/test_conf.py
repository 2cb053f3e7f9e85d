"""closedloop.contrib.django.desk(): the Desk settings.CLOSEDLOOP configures, built once and
shared, rebuilt when the settings change; a setting it cannot use is a clear error."""

from __future__ import annotations

import pytest

from closedloop import Desk, Policy, Subscribe, ValidationError
from tests.helpers import START, in_threads, make_feedback

#: Objects the settings below name by MODULE:NAME.
POLICY = Policy()
NOT_A_POLICY = "a string"
EVENTS: list[object] = []


def on_event(event: object) -> None:
    EVENTS.append(event)


class BrokenClock:
    def __init__(self) -> None:
        raise RuntimeError("no time zone data")


def broken_factory() -> object:
    raise RuntimeError("the disk is gone")


def not_a_store() -> object:
    return 42


@pytest.fixture
def configured(tenant: str) -> dict[str, object]:
    """The test's settings.CLOSEDLOOP, as a dict to extend."""
    return {
        "STORE": "tests.django_app.support:sqlite_store",
        "CLOCK": "tests.django_app.support:CLOCK",
        "TENANT": tenant,
    }


def test_desk_is_built_from_the_settings_once_and_shared(tenant: str) -> None:
    from closedloop.contrib.django import desk
    from closedloop.contrib.django.conf import wiring

    first = desk()
    assert isinstance(first, Desk)
    assert desk() is first
    assert wiring().store.tenant == tenant
    case = first.listen(make_feedback())
    assert case.opened_at == START  # the configured clock
    assert desk().get(case.id).id == case.id


def test_threads_asking_at_once_get_one_desk(tenant: str) -> None:
    from closedloop.contrib.django import desk

    desks = in_threads(8, lambda _: desk())
    assert len({id(d) for d in desks}) == 1


def test_changed_settings_build_a_new_desk(configured: dict[str, object]) -> None:
    from django.test import override_settings

    from closedloop.contrib.django import desk, reset

    before = desk()
    with override_settings(CLOSEDLOOP={**configured, "POLICY": f"{__name__}:POLICY"}):
        during = desk()
        assert during is not before
        assert during.policy is POLICY
    assert desk() is not during
    reset()
    assert desk() is not before


def test_the_default_notifier_is_django_mail_and_events_go_to_the_named_handler(
    configured: dict[str, object],
) -> None:
    from django.core import mail
    from django.test import override_settings

    from closedloop.contrib.django import DjangoMailNotifier, desk
    from closedloop.contrib.django.conf import wiring

    EVENTS.clear()
    with override_settings(CLOSEDLOOP={**configured, "EVENTS": f"{__name__}:on_event"}):
        assert isinstance(wiring().notifier, DjangoMailNotifier)
        assert isinstance(wiring().events, Subscribe)
        case = desk().listen(make_feedback())
        desk().acknowledge(case.id, by="amy")
        desk().outbox.dispatch()
    assert [m.to for m in mail.outbox] == [["mary@example.com"]]
    assert {(e.tenant, e.case_id) for e in EVENTS} == {(configured["TENANT"], case.id)}  # type: ignore[attr-defined]


BAD = [
    ("not a dict", "CLOSEDLOOP", "must be a dict"),
    ({"POLCY": "x:y"}, "CLOSEDLOOP", "POLCY"),
    ({"POLICY": "no such thing"}, 'CLOSEDLOOP["POLICY"]', "MODULE:NAME"),
    ({"POLICY": "tests.nowhere:POLICY"}, 'CLOSEDLOOP["POLICY"]', "cannot load"),
    ({"POLICY": f"{__name__}:NOT_A_POLICY"}, 'CLOSEDLOOP["POLICY"]', "not a closedloop Policy"),
    ({"NOTIFIER": f"{__name__}:POLICY"}, 'CLOSEDLOOP["NOTIFIER"]', "not a Notifier"),
    ({"CLOCK": f"{__name__}:POLICY"}, 'CLOSEDLOOP["CLOCK"]', "not a Clock"),
    ({"CLOCK": f"{__name__}:BrokenClock"}, 'CLOSEDLOOP["CLOCK"]', "no time zone data"),
    ({"EVENTS": f"{__name__}:POLICY"}, 'CLOSEDLOOP["EVENTS"]', "not a closedloop Subscribe"),
    ({"STORE": f"{__name__}:broken_factory"}, 'CLOSEDLOOP["STORE"]', "the disk is gone"),
    ({"STORE": f"{__name__}:not_a_store"}, 'CLOSEDLOOP["STORE"]', "not a closedloop store"),
    ({"STORE": "django", "USING": "elsewhere"}, 'CLOSEDLOOP["USING"]', "not in settings.DATABASES"),
    ({"USING": "replica"}, 'CLOSEDLOOP["USING"]', "a STORE factory opens its own"),
    ({"STORE": "postgres"}, 'CLOSEDLOOP["STORE"]', 'give "django"'),
    ({"STORE": POLICY}, 'CLOSEDLOOP["STORE"]', "give a function that takes no arguments"),
    ({"POLICY": "tests.django_app.test_conf.POLICY"}, 'CLOSEDLOOP["POLICY"]', "write tests"),
    ({"POLICY": NOT_A_POLICY * 3}, 'CLOSEDLOOP["POLICY"]', "MODULE:NAME"),
    ({"CLOCK": POLICY}, 'CLOSEDLOOP["CLOCK"]', "not a Clock"),
    ({"NOTIFIER": 42}, 'CLOSEDLOOP["NOTIFIER"]', "not a Notifier"),
    (
        {"NOTIFIER": "django-mial", "FROM_EMAIL": "care@shop.example"},
        'CLOSEDLOOP["NOTIFIER"]',
        'give "django-mail"',
    ),
    ({"TENANT": ""}, 'CLOSEDLOOP["TENANT"]', "non-empty string"),
    ({"TENANT": "a tenant\n"}, 'CLOSEDLOOP["TENANT"]', "tenant"),
    ({"FROM_EMAIL": "nobody"}, 'CLOSEDLOOP["FROM_EMAIL"]', "email address"),
    ({"REPLY_TO": 7}, 'CLOSEDLOOP["REPLY_TO"]', "non-empty string"),
    ({"ADDRESS_OF": f"{__name__}:NOT_A_POLICY"}, 'CLOSEDLOOP["ADDRESS_OF"]', "function"),
    (
        {"NOTIFIER": "tests.django_app.support:KeysFile", "REPLY_TO": "a@b.example"},
        'CLOSEDLOOP["REPLY_TO"]',
        "is for NOTIFIER 'django-mail'",
    ),
]


@pytest.mark.parametrize(("given", "field", "said"), BAD, ids=[str(b[0])[:40] for b in BAD])
def test_a_setting_closedloop_cannot_use_is_a_clear_error(
    configured: dict[str, object], given: object, field: str, said: str
) -> None:
    from django.core.exceptions import ImproperlyConfigured
    from django.test import override_settings

    from closedloop.contrib.django import desk
    from closedloop.contrib.django.conf import SettingsError

    setting = {**configured, **given} if isinstance(given, dict) else given
    with override_settings(CLOSEDLOOP=setting), pytest.raises(SettingsError) as raised:
        desk()
    assert isinstance(raised.value, ImproperlyConfigured)
    assert isinstance(raised.value, ValidationError)
    assert raised.value.field == field
    assert said in str(raised.value)
    assert field in str(raised.value)
    assert len(str(raised.value)) < 400  # no object's whole repr


def test_a_python_dotted_path_is_told_how_to_write_module_name(
    configured: dict[str, object],
) -> None:
    from django.test import override_settings

    from closedloop.contrib.django import desk
    from closedloop.contrib.django.conf import SettingsError

    spec = "tests.django_app.test_conf.POLICY"
    with (
        override_settings(CLOSEDLOOP={**configured, "POLICY": spec}),
        pytest.raises(SettingsError) as raised,
    ):
        desk()
    assert "write tests.django_app.test_conf:POLICY" in str(raised.value)


def test_objects_are_accepted_as_well_as_their_module_name(
    configured: dict[str, object],
) -> None:
    """A test's settings give the objects themselves: a ManualClock, a Policy, a notifier,
    an event handler and a store factory."""
    from django.test import override_settings

    from closedloop.contrib.django import desk
    from closedloop.contrib.django.conf import wiring
    from closedloop.testing import ManualClock, RecordingNotifier
    from tests.django_app.support import sqlite_store

    clock = ManualClock(START)
    notifier = RecordingNotifier()
    EVENTS.clear()
    given = {
        "CLOCK": clock,
        "POLICY": POLICY,
        "NOTIFIER": notifier,
        "EVENTS": on_event,
        "STORE": sqlite_store,
        "USING": "default",  # the default value: allowed beside a STORE factory
        "TENANT": configured["TENANT"],
    }
    with override_settings(CLOSEDLOOP=given):
        assert wiring().clock is clock
        assert wiring().notifier is notifier
        assert desk().policy is POLICY
        case = desk().listen(make_feedback())
        assert case.opened_at == START
        desk().acknowledge(case.id, by="amy")
        desk().outbox.dispatch()
    assert [n.to for n in notifier.sent] == ["mary@example.com"]
    assert EVENTS


def test_a_refused_setting_is_refused_again_until_it_is_fixed(
    configured: dict[str, object],
) -> None:
    from django.test import override_settings

    from closedloop.contrib.django import desk
    from closedloop.contrib.django.conf import SettingsError

    with override_settings(CLOSEDLOOP={**configured, "POLICY": "nowhere"}):
        for _ in range(2):
            with pytest.raises(SettingsError):
                desk()
    assert isinstance(desk(), Desk)
