"""The Desk a Django project configures in its settings: ``desk()`` builds it once from
``settings.CLOSEDLOOP`` and hands out the same one to every thread; ``reset()`` drops it
(Django's ``setting_changed`` signal, sent by ``override_settings``, does so too).

::

    CLOSEDLOOP = {
        "POLICY": "myapp.support:POLICY",   # MODULE:NAME; default: closedloop's defaults
        "NOTIFIER": "django-mail",          # the default: DjangoMailNotifier on EMAIL_BACKEND
        "FROM_EMAIL": "Care <care@example.com>",  # django-mail: default DEFAULT_FROM_EMAIL
        "REPLY_TO": "support@example.com",  # django-mail: where answers go
        "ADDRESS_OF": "myapp.support:address_of",  # django-mail: staff names to addresses
        "CLOCK": "myapp.support:CLOCK",     # default: the system clock
        "STORE": "django",                  # the default: DjangoStore on USING; or MODULE:NAME
        "USING": "default",                 # the database alias DjangoStore works on
        "TENANT": "default",
        "EVENTS": "myapp.crm:EVENTS",       # a Subscribe, or an event handler
    }

Every ``MODULE:NAME`` is loaded as the ``closedloop`` command loads ``--policy``,
``--notifier`` and ``--events``; POLICY, NOTIFIER, ADDRESS_OF, CLOCK, STORE (the function)
and EVENTS may also be given as the objects themselves (a ManualClock in tests). A
setting closedloop cannot use raises :class:`SettingsError` naming the key, what was wrong
and what to give instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar, cast

import attrs
from django.core.exceptions import ImproperlyConfigured

from closedloop.domain.errors import ValidationError

if TYPE_CHECKING:
    from closedloop import Desk, Policy, Subscribe
    from closedloop.ports import CaseStore, Clock, Notifier

__all__ = [
    "DJANGO_MAIL",
    "SETTING",
    "SettingsError",
    "Wiring",
    "configured_database",
    "desk",
    "reset",
    "wiring",
]

#: The name of the Django setting closedloop reads.
SETTING = "CLOSEDLOOP"

#: ``NOTIFIER``'s default: :class:`~closedloop.contrib.django.mail.DjangoMailNotifier`.
DJANGO_MAIL = "django-mail"

_KEYS = (
    "POLICY",
    "NOTIFIER",
    "FROM_EMAIL",
    "REPLY_TO",
    "ADDRESS_OF",
    "CLOCK",
    "STORE",
    "USING",
    "TENANT",
    "EVENTS",
)

T = TypeVar("T")


class SettingsError(ValidationError, ImproperlyConfigured):
    """``settings.CLOSEDLOOP`` names something closedloop cannot use; ``field`` is the key
    (``CLOSEDLOOP["POLICY"]``). A closedloop ValidationError and Django's
    ImproperlyConfigured both, so either handler catches it."""


@attrs.frozen
class Wiring:
    """The parts built from the settings, and the Desk made of them."""

    store: CaseStore
    """The store of the configured tenant."""
    notifier: Notifier
    """Where the Desk's outbox delivers."""
    policy: Policy | None
    """The configured policy; None for closedloop's defaults."""
    clock: Clock | None
    """The configured clock; None for the system clock."""
    events: Subscribe | None
    """The host events subscription; None for none."""
    desk: Desk
    """The Desk of these parts."""

    def at(self, clock: Clock | None = None, tenant: str | None = None) -> Desk:
        """A new Desk of the same parts with another ``clock`` (None: the configured one),
        or on another ``tenant`` of the same database."""
        from closedloop import Desk

        chosen = self.store if tenant is None else self.store.for_tenant(tenant)
        return Desk(
            chosen,
            self.notifier,
            clock=clock if clock is not None else self.clock,
            policy=self.policy,
            events=self.events,
        )


_lock = threading.Lock()
_built: Wiring | None = None


def wiring() -> Wiring:
    """The parts configured in ``settings.CLOSEDLOOP``, built on first use."""
    global _built
    built = _built
    if built is not None:
        return built
    with _lock:
        if _built is None:
            _listen_for_changes()
            _built = _build()
        return _built


def desk() -> Desk:
    """The project's Desk, configured in ``settings.CLOSEDLOOP``: built on first use, then
    the same one in every thread and request."""
    return wiring().desk


def reset() -> None:
    """Forget the Desk, so that the next :func:`desk` builds it anew from the settings
    (tests; Django's ``setting_changed`` does it when ``CLOSEDLOOP`` changes). A store a
    ``STORE`` factory made is its factory's to close."""
    global _built
    with _lock:
        _built = None


_WATCHED = frozenset({SETTING, "DATABASES", "DEFAULT_FROM_EMAIL", "EMAIL_BACKEND"})


def _changed(*, setting: str, **_: object) -> None:
    if setting in _WATCHED:
        reset()


def _listen_for_changes() -> None:
    from django.core.signals import setting_changed

    setting_changed.connect(_changed, dispatch_uid="closedloop.contrib.django.conf")


def _build() -> Wiring:
    from django.conf import settings

    from closedloop import Desk
    from closedloop.cli.inputs import events_from, events_of, policy_from

    config = getattr(settings, SETTING, {})
    if not isinstance(config, Mapping):
        raise SettingsError.of(
            SETTING,
            f"settings.{SETTING} must be a dict such as "
            f'{{"POLICY": "myapp.support:POLICY"}}, got {type(config).__name__}',
        )
    unknown = sorted(str(key) for key in config if key not in _KEYS)
    if unknown:
        raise SettingsError.of(
            SETTING,
            f"settings.{SETTING} has keys closedloop does not know: {', '.join(unknown)}; "
            f"the keys are {', '.join(_KEYS)}",
        )
    tenant = _tenant(config)
    policy = _loaded(config, "POLICY", "policy", policy_from, default="POLICY")
    clock = _loaded(config, "CLOCK", "clock", _clock_from)
    notifier = _notifier(config)
    events = _loaded(config, "EVENTS", "events", events_from)
    if events is None:
        events = events_of(notifier)
    case_store = _store(config, tenant)
    try:
        made = Desk(case_store, notifier, clock=clock, policy=policy, events=events)
    except ValidationError as exc:
        key = {"store": "STORE", "notifier": "NOTIFIER", "clock": "CLOCK"}.get(exc.field or "")
        if key is None:
            raise
        raise _error(key, str(exc)) from None
    return Wiring(case_store, notifier, policy, clock, events, made)


def configured_database() -> tuple[str, str]:
    """The database alias (``CLOSEDLOOP["USING"]``, default ``"default"``) and the tenant
    (``CLOSEDLOOP["TENANT"]``) the settings name, without building the Desk."""
    from django.conf import settings

    config = getattr(settings, SETTING, {})
    if not isinstance(config, Mapping):
        raise SettingsError.of(
            SETTING, f"settings.{SETTING} must be a dict, got {type(config).__name__}"
        )
    return _text(config, "USING", "default"), _tenant(config)


def _error(key: str, message: str) -> SettingsError:
    return SettingsError.of(f'{SETTING}["{key}"]', f'{SETTING}["{key}"]: {message}')


def _text(config: Mapping[str, object], key: str, default: str) -> str:
    value = config.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise _error(key, f"give a non-empty string, got {value!r}")
    return value


def _loaded(
    config: Mapping[str, object],
    key: str,
    what: str,
    check: Callable[[object, str], T],
    default: str = "",
) -> T | None:
    """What ``key`` gives, checked by ``check`` (which names it by a label): the object a
    ``MODULE:NAME`` string names, or the object itself; None when the key is not set."""
    from closedloop.cli.inputs import load_object
    from closedloop.domain.checks import shown

    value = config.get(key)
    if value is None:
        return None
    try:
        if isinstance(value, str):
            spec = _text(config, key, "")
            return check(load_object(spec, what, default), repr(spec))
        return check(value, shown(value))
    except SettingsError:
        raise
    except ValidationError as exc:
        raise _error(key, str(exc)) from None


def _as_is(found: object, label: str) -> object:
    return found


def _tenant(config: Mapping[str, object]) -> str:
    from closedloop.adapters.common import check_tenant
    from closedloop.ports import DEFAULT_TENANT

    try:
        return check_tenant(_text(config, "TENANT", DEFAULT_TENANT))
    except SettingsError:
        raise
    except ValidationError as exc:
        raise _error("TENANT", str(exc)) from None


def _clock_from(found: object, label: str) -> Clock:
    if isinstance(found, type):
        try:
            found = found()
        except Exception as exc:  # the host's class may fail any way
            raise ValidationError.of(
                "CLOCK", f"calling {label} to make the clock failed: {type(exc).__name__}: {exc}"
            ) from None
    if not callable(getattr(found, "now", None)):
        raise ValidationError.of(
            "CLOCK",
            f"{label} ({type(found).__name__}) is not a Clock: give an object with a now() "
            "method returning an aware datetime (or its MODULE:NAME), or a class that makes one",
        )
    clock: Clock = found  # type: ignore[assignment]
    return clock


def _address_of(found: object, label: str) -> Callable[[str], str | None]:
    if not callable(found):
        raise ValidationError.of(
            "ADDRESS_OF", f"give a function mapping a name to an email address or None, got {label}"
        )
    return cast("Callable[[str], str | None]", found)


def _notifier(config: Mapping[str, object]) -> Notifier:
    from closedloop.cli.inputs import notifier_from
    from closedloop.contrib.django.mail import DjangoMailNotifier

    value = config.get("NOTIFIER", DJANGO_MAIL)
    if value != DJANGO_MAIL:
        if isinstance(value, str) and ":" not in value:
            raise _error(
                "NOTIFIER",
                f'give "{DJANGO_MAIL}" (the default: mail through EMAIL_BACKEND), or your '
                f"notifier's MODULE:NAME, or the notifier itself; got {value!r}",
            )
        mail_keys = [key for key in ("FROM_EMAIL", "REPLY_TO", "ADDRESS_OF") if key in config]
        if mail_keys:
            raise _error(
                mail_keys[0],
                f"{mail_keys[0]} is for NOTIFIER {DJANGO_MAIL!r}; configure your own notifier "
                "itself, or drop the key",
            )
        found = _loaded(config, "NOTIFIER", "notifier", notifier_from)
        assert found is not None  # the key is set: it is not the default
        return found
    address_of = _loaded(config, "ADDRESS_OF", "address_of", _address_of)
    from_email = _text(config, "FROM_EMAIL", "-") if "FROM_EMAIL" in config else None
    reply_to = _text(config, "REPLY_TO", "-") if "REPLY_TO" in config else None
    try:
        return DjangoMailNotifier(
            from_email=from_email,
            reply_to=reply_to,
            address_of=address_of,
        )
    except ValidationError as exc:
        raise _error((exc.field or "from_email").upper(), str(exc)) from None


def _store(config: Mapping[str, object], tenant: str) -> CaseStore:
    from django.conf import settings

    from closedloop.domain.checks import shown

    value = config.get("STORE", "django")
    if value != "django":
        if isinstance(value, str) and ":" not in value:
            raise _error(
                "STORE",
                'give "django" (the default: DjangoStore on the database USING names), or the '
                "MODULE:NAME of a function taking no arguments that returns a store; got "
                f"{value!r}",
            )
        if config.get("USING", "default") != "default":
            raise _error(
                "USING", 'USING names the database of STORE "django"; a STORE factory opens its own'
            )
        factory = _loaded(config, "STORE", "store", _as_is)
        label = repr(value) if isinstance(value, str) else shown(value)
        made = _call(factory, "STORE")
        if not callable(getattr(made, "for_tenant", None)):
            raise _error(
                "STORE",
                f"{label} made a {type(made).__name__}, not a closedloop store: give a "
                "function taking no arguments that returns one (e.g. SQLiteStore(path))",
            )
        found: CaseStore = made  # type: ignore[assignment]
        return found if found.tenant == tenant else found.for_tenant(tenant)
    using = _text(config, "USING", "default")
    if using not in settings.DATABASES:
        raise _error(
            "USING",
            f"{using!r} is not in settings.DATABASES ({', '.join(map(repr, settings.DATABASES))})"
            "; give one of its aliases",
        )
    try:
        from closedloop.contrib.django.store import (  # type: ignore[import-not-found, unused-ignore]
            DjangoStore,
        )
    except ImportError as exc:  # pragma: no cover - DjangoStore ships with this package
        raise _error("STORE", f"DjangoStore cannot be imported: {exc}") from None
    django_store: object = DjangoStore(using, tenant=tenant)
    return cast("CaseStore", django_store)  # a store of the database's vendor: a whole CaseStore


def _call(factory: object, key: str) -> object:
    if not callable(factory):
        from closedloop.domain.checks import shown

        raise _error(key, f"give a function that takes no arguments, got {shown(factory)}")
    try:
        return factory()
    except Exception as exc:  # the host's factory may fail any way
        raise _error(
            key, f"calling the factory failed: {type(exc).__name__}: {exc}; fix it, or its settings"
        ) from None
