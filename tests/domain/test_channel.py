from __future__ import annotations

import pytest

from closedloop import Channel, ValidationError


def test_ten_builtin_channels_with_their_facts() -> None:
    names = [c.name for c in Channel.builtins()]
    assert names == [
        "email",
        "web_form",
        "phone",
        "chat",
        "social_media",
        "point_of_sale",
        "field_staff",
        "crm",
        "survey",
        "ombudsman",
    ]
    assert Channel.SOCIAL_MEDIA.public
    assert not Channel.EMAIL.public
    assert not Channel.PHONE.written
    assert Channel.EMAIL.written


def test_custom_channel_is_a_value() -> None:
    whatsapp = Channel.custom("whatsapp", public=False, written=True)
    assert whatsapp == Channel.custom("whatsapp")
    assert whatsapp not in Channel.builtins()
    assert str(whatsapp) == "whatsapp"


@pytest.mark.parametrize("name", ["", "WhatsApp", "2go", "web form", None])
def test_bad_channel_names_are_refused(name: object) -> None:
    with pytest.raises(ValidationError, match="channel name must be lower-case"):
        Channel.custom(name)  # type: ignore[arg-type]
