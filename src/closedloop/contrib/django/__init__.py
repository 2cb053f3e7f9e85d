"""closedloop inside a Django project: :class:`DjangoStore`, closedloop's storage on the
project's own database connection, so that a host's ``transaction.atomic()`` block commits
its models and closedloop's step together, or neither; :func:`desk`, the Desk configured
from ``settings.CLOSEDLOOP``; :class:`DjangoMailNotifier`, delivery through the project's
``EMAIL_BACKEND``; :func:`flush_closedloop`, closedloop's tables emptied for a project's
``TransactionTestCase``.

Add ``"closedloop.contrib.django"`` to ``INSTALLED_APPS`` and run ``manage.py migrate``.
Importing this package imports nothing of Django; each name is loaded on first use.
"""

from __future__ import annotations

from importlib import import_module as _import_module
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

if _TYPE_CHECKING:
    from closedloop.contrib.django.conf import desk, reset
    from closedloop.contrib.django.mail import DjangoMailNotifier
    from closedloop.contrib.django.store import DjangoStore
    from closedloop.contrib.django.testing import flush_closedloop

__all__ = ["DjangoMailNotifier", "DjangoStore", "desk", "flush_closedloop", "reset"]

#: Where each name lives, imported on first use (they import Django).
_LAZY = {
    "DjangoStore": "closedloop.contrib.django.store",
    "DjangoMailNotifier": "closedloop.contrib.django.mail",
    "desk": "closedloop.contrib.django.conf",
    "reset": "closedloop.contrib.django.conf",
    "flush_closedloop": "closedloop.contrib.django.testing",
}


def __getattr__(name: str) -> _Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(_import_module(module), name)
