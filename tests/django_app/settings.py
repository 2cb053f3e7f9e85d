"""The Django project the integration's tests run in: the admin, locmem mail, and a
closedloop Desk (on DjangoStore, unless a test names another store in CLOSEDLOOP["STORE"]).

``CLOSEDLOOP_TEST_DJANGO_DB`` names the database file (the tests' fixture sets it);
``CLOSEDLOOP_TEST_KEYS_FILE``, when set, makes the notifier one that appends each key it
delivers to that file (for commands run in other processes)."""

from __future__ import annotations

import os

SECRET_KEY = "closedloop-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
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
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.django_app.urls"
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
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("CLOSEDLOOP_TEST_DJANGO_DB", "closedloop-tests.db"),
    }
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "Care <care@shop.example>"
CLOSEDLOOP = {
    "CLOCK": "tests.django_app.support:CLOCK",
}
if os.environ.get("CLOSEDLOOP_TEST_KEYS_FILE"):
    CLOSEDLOOP["NOTIFIER"] = "tests.django_app.support:KeysFile"
