"""Channels: where feedback arrives and where replies go."""

from __future__ import annotations

import re
from typing import ClassVar

import attrs

from closedloop.domain.checks import shown
from closedloop.domain.errors import ValidationError

__all__ = ["Channel"]

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


def _check_name(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or len(value) > 64 or not _NAME.match(value):
        raise ValidationError.of(
            "name",
            f"channel name must be lower-case letters, digits and underscores, "
            f"starting with a letter, at most 64 (e.g. 'whatsapp'); got {shown(value)}",
        )


def _check_flag(_: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError.of(
            attribute.name, f"{attribute.name} must be True or False, got {shown(value)}"
        )


@attrs.frozen
class Channel:
    """A way customers reach the organisation.

    ``public`` channels are seen by others (social media); ``written`` channels can carry
    a written reply (a phone call or a shop counter cannot). The ten built-in channels are
    class attributes (``Channel.EMAIL``); hosts add their own with :meth:`custom`.
    """

    name: str = attrs.field(validator=_check_name)
    """The channel's name, unique in a policy (`"email"`, or the host's own)."""
    public: bool = attrs.field(default=False, validator=_check_flag)
    """Whether others see what is said there (social media)."""
    written: bool = attrs.field(default=True, validator=_check_flag)
    """Whether it can carry a written reply (a phone call cannot)."""

    EMAIL: ClassVar[Channel]
    """Email: written, private."""
    WEB_FORM: ClassVar[Channel]
    """A form on the organisation's website."""
    PHONE: ClassVar[Channel]
    """A phone call: no written reply."""
    CHAT: ClassVar[Channel]
    """Live chat or messaging."""
    SOCIAL_MEDIA: ClassVar[Channel]
    """Social media: public, others see what is said."""
    POINT_OF_SALE: ClassVar[Channel]
    """A shop counter or till: no written reply."""
    FIELD_STAFF: ClassVar[Channel]
    """Sales or field staff in person: no written reply."""
    CRM: ClassVar[Channel]
    """Entered in the host's CRM."""
    SURVEY: ClassVar[Channel]
    """A survey answer, perhaps a score without text."""
    OMBUDSMAN: ClassVar[Channel]
    """An ombudsman or regulator."""

    @classmethod
    def custom(cls, name: str, *, public: bool = False, written: bool = True) -> Channel:
        """A host-defined channel; register it with the desk's ``Policy(channels=...)``."""
        return cls(name, public=public, written=written)

    @classmethod
    def builtins(cls) -> tuple[Channel, ...]:
        """The ten channels closedloop knows without being told."""
        return _BUILTINS

    def __str__(self) -> str:
        return self.name


_BUILTINS = (
    Channel("email"),
    Channel("web_form"),
    Channel("phone", written=False),
    Channel("chat"),
    Channel("social_media", public=True),
    Channel("point_of_sale", written=False),
    Channel("field_staff", written=False),
    Channel("crm"),
    Channel("survey"),
    Channel("ombudsman"),
)
for _channel in _BUILTINS:
    setattr(Channel, _channel.name.upper(), _channel)
del _channel
