"""Settings of the example helpdesk: one SQLite database holds the tickets and closedloop's
cases, so saving a ticket and recording its closedloop step commit together."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("HELPDESK_SECRET_KEY", "example-only-never-in-production")
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "closedloop.contrib.django",  # closedloop's tables, commands and admin pages
    "tickets",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "helpdesk_site.urls"
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
        "NAME": os.environ.get("HELPDESK_DB", BASE_DIR / "helpdesk.db"),
    }
}

# closedloop's mail goes where the site's mail goes: printed to the terminal here.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "Harbour & Pine care <care@harbour-pine.example>"

CLOSEDLOOP = {
    "POLICY": "tickets.support:POLICY",
    "NOTIFIER": "django-mail",  # the default: DjangoMailNotifier on EMAIL_BACKEND
    "REPLY_TO": "support@harbour-pine.example",
    "ADDRESS_OF": "tickets.support:staff_address",  # escalations go to a team lead's mailbox
    # "STORE": "django" (the default): closedloop's tables in DATABASES["default"]
}
