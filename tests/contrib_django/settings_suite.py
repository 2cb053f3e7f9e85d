"""The Django project of closedloop's Django tests (DJANGO_SETTINGS_MODULE), configured by
tests/contrib_django/conftest.py only: no other test runs with Django set up.

Databases, in a directory and a PostgreSQL database of this run's own (the conftest names
them in the environment, so that worker processes find the same ones):

- ``default``: a SQLite file in WAL mode, migrated once; each test starts with closedloop's
  tables empty;
- ``fresh``: a SQLite file (rollback journal) the migration tests create and delete;
- ``other``: Django's dummy backend, a vendor closedloop refuses;
- ``pg``: when CLOSEDLOOP_TEST_POSTGRES_DSN is set, a database on that server.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

_DIR = Path(os.environ["CLOSEDLOOP_DJANGO_TEST_DIR"])

SECRET_KEY = "closedloop-tests-only"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "closedloop.contrib.django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# Django's transactions stay DEFERRED (no transaction_mode), the harder case for DjangoStore.
_SQLITE_OPTIONS = {"timeout": 30}

DATABASES: dict[str, dict[str, object]] = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(_DIR / "host.db"),
        # WAL, as docs/django.md recommends (and the erasure's checkpoint needs).
        "OPTIONS": {**_SQLITE_OPTIONS, "init_command": "PRAGMA journal_mode = WAL"},
    },
    "fresh": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(_DIR / "fresh.db"),
        "OPTIONS": _SQLITE_OPTIONS,
    },
    # A vendor closedloop does not run on.
    "other": {"ENGINE": "django.db.backends.dummy"},
}

_DSN = os.environ.get("CLOSEDLOOP_TEST_POSTGRES_DSN")
if _DSN:
    _url = urlsplit(_DSN)
    DATABASES["pg"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["CLOSEDLOOP_DJANGO_TEST_PGDB"],
        "USER": unquote(_url.username or ""),
        "PASSWORD": unquote(_url.password or ""),
        "HOST": _url.hostname or "",
        "PORT": str(_url.port or ""),
    }
