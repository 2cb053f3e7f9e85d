"""closedloop inside a Django project: :class:`DjangoStore`, closedloop's storage on the
project's own database connection, so that a host's ``transaction.atomic()`` block commits
its models and closedloop's step together, or neither.

Add ``"closedloop.contrib.django"`` to ``INSTALLED_APPS`` and run ``manage.py migrate``.
Importing this package imports nothing of Django; :class:`DjangoStore` is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from closedloop.contrib.django.store import DjangoStore

__all__ = ["DjangoStore"]


def __getattr__(name: str) -> Any:
    if name == "DjangoStore":
        from closedloop.contrib.django.store import DjangoStore

        return DjangoStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
