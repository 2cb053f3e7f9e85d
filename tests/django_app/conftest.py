"""Django set up for these tests only, when they run. If no other test set Django up, the
test project in settings.py on a database file of the session; if one did (one pytest
process configures Django once), its settings, with what these tests need on top (the
admin's URLs, locmem mail). closedloop runs on DjangoStore, its tables made by
``migrate``. Each test works on a tenant of its own, so the tests share the database and
still see only their own cases, outbox and mail."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from tests.helpers import START

_tenants = itertools.count(1)
_VARIABLES = ("CLOSEDLOOP_TEST_DJANGO_DB", "DJANGO_SETTINGS_MODULE")

#: What these tests need of any project's settings.
NEEDED = {
    "ROOT_URLCONF": "tests.django_app.urls",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "DEFAULT_FROM_EMAIL": "Care <care@shop.example>",
    "ALLOWED_HOSTS": ["testserver"],
}


@pytest.fixture(scope="session")
def django_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Django set up (tests/django_app/settings.py unless set up already), migrated."""
    import django
    from django.conf import settings

    before = {name: os.environ.get(name) for name in _VARIABLES}
    if not settings.configured and "DJANGO_SETTINGS_MODULE" not in os.environ:
        db = tmp_path_factory.mktemp("django") / "project.db"
        os.environ["CLOSEDLOOP_TEST_DJANGO_DB"] = str(db)
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.django_app.settings"
    django.setup()
    from django.core.management import call_command
    from django.test import override_settings
    from django.test.utils import setup_test_environment, teardown_test_environment

    needed = override_settings(**NEEDED)
    needed.enable()
    call_command("migrate", verbosity=0)
    setup_test_environment()
    yield
    teardown_test_environment()
    needed.disable()
    for name, value in before.items():  # other tests' subprocesses do not inherit them
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def tenant(django_project: None) -> Iterator[str]:
    """A tenant of this test's own: the Desk of closedloop.contrib.django works on it."""
    from django.core import mail
    from django.test import override_settings

    from closedloop.contrib.django import reset
    from tests.django_app.support import CLOCK, OPENED

    name = f"test{next(_tenants)}"
    CLOCK.set(START)
    mail.outbox = []
    config = {"CLOCK": "tests.django_app.support:CLOCK", "TENANT": name}
    with override_settings(CLOSEDLOOP=config):
        yield name
    reset()
    while OPENED:
        OPENED.pop().close()


@pytest.fixture
def pg(django_project: None) -> Iterator[str]:
    """The alias of a PostgreSQL database of this test's own, added to Django's connections;
    its DSN is ``connections.settings[alias]["DSN"]``."""
    import uuid

    import psycopg
    from django.db import connections

    from tests.adapters.postgres_support import dsn_or_skip

    server = dsn_or_skip()
    name = f"closedloop_djapp_{uuid.uuid4().hex[:10]}"
    alias = "djapp_pg"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        dsn = server.rsplit("/", 1)[0] + "/" + name
        parts = psycopg.conninfo.conninfo_to_dict(dsn)
        connections.settings[alias] = connections.configure_settings(
            {
                "default": connections.settings["default"],
                alias: {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": name,
                    "USER": parts.get("user", ""),
                    "PASSWORD": parts.get("password", ""),
                    "HOST": parts.get("host", ""),
                    "PORT": str(parts.get("port", "")),
                    "DSN": dsn,
                },
            }
        )[alias]
        yield alias
    finally:
        if alias in connections.settings:
            connections[alias].close()
            del connections[alias]
            del connections.settings[alias]
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
