"""The Django app: ``INSTALLED_APPS = [..., "closedloop.contrib.django"]``."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["ClosedloopConfig"]


class ClosedloopConfig(AppConfig):
    """closedloop as a Django app, labelled ``closedloop``: its migrations set up the tables
    :class:`~closedloop.contrib.django.DjangoStore` uses."""

    name = "closedloop.contrib.django"
    label = "closedloop"
    verbose_name = "closedloop"
    default_auto_field = "django.db.models.BigAutoField"
