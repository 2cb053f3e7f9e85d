"""Policy: the organisation's choices, handed to the Desk."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.cases.lifecycle import LATTE, Lifecycle
from closedloop.domain.cases.priority import Priority
from closedloop.domain.checks import (
    is_a,
    items,
    positive_duration,
    require_text,
    shown,
    sure_callable,
)
from closedloop.domain.customers.consolidation import Consolidation
from closedloop.domain.errors import UnknownChannelError, ValidationError
from closedloop.domain.limits import Limits
from closedloop.domain.outbox.messages import RetryPolicy
from closedloop.domain.portal import StatusLinks
from closedloop.domain.standards.escalation import Ladder
from closedloop.domain.standards.lateness import Lateness
from closedloop.domain.standards.pauses import Silence
from closedloop.domain.standards.standard import Standards
from closedloop.domain.surveys.eligibility import SurveyRules
from closedloop.service.templates import Templates

__all__ = ["DECLINE_CATEGORIES", "Policy", "default_priority"]


def default_priority(feedback: Feedback) -> Priority:
    """HIGH for a regulator or a public channel, NORMAL otherwise."""
    if feedback.channel == Channel.OMBUDSMAN or feedback.channel.public:
        return Priority.HIGH
    return Priority.NORMAL


def written_channel_of(handle: str) -> Channel | None:
    """The default ``Policy.written_channel``: an address with an ``@`` takes email."""
    return Channel.EMAIL if "@" in handle else None


def _channel_templates(value: Mapping[Channel | str, Templates]) -> dict[str, Templates]:
    if not isinstance(value, Mapping):
        raise ValidationError.of(
            "channel_templates", f"channel_templates must map channels to Templates, got {value!r}"
        )
    checked = {}
    for channel, templates in value.items():
        name = channel.name if isinstance(channel, Channel) else channel
        if not isinstance(name, str) or not isinstance(templates, Templates):
            raise ValidationError.of(
                "channel_templates",
                f"channel_templates maps a Channel (or its name) to Templates; got {channel!r}",
            )
        checked[name] = templates
    return checked


def _locales(value: Mapping[str, Templates]) -> dict[str, Templates]:
    if not isinstance(value, Mapping) or not all(
        isinstance(tag, str) and tag.strip() and isinstance(t, Templates)
        for tag, t in value.items()
    ):
        raise ValidationError.of(
            "locales", f"locales must map language tags ('de', 'fr-CA') to Templates, got {value!r}"
        )
    return {tag.lower(): templates for tag, templates in value.items()}


def _channels(value: Iterable[Channel]) -> tuple[Channel, ...]:
    channels = items("channels")(value)
    for channel in channels:
        if not isinstance(channel, Channel):
            raise ValidationError.of(
                "channels", f"channels must be Channel objects, got {channel!r}"
            )
    return channels


def _zone(value: object) -> tzinfo:
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValidationError.of(
                "timezone", f"timezone: unknown time zone {shown(value)}; use an IANA name"
            ) from None
    if not isinstance(value, tzinfo):
        raise ValidationError.of(
            "timezone", f"timezone must be a tzinfo or an IANA name, got {shown(value)}"
        )
    return value


#: The no log's categories unless a policy says otherwise.
DECLINE_CATEGORIES = ("out_of_stock", "policy", "training", "product_gap", "other")


def _categories(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise ValidationError.of(
            "decline_categories", f"decline_categories must be a list of names, not {value!r}"
        )
    names = items("decline_categories")(value)
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise ValidationError.of(
            "decline_categories", f"decline_categories must be non-empty names, got {shown(names)}"
        )
    for name in names:
        require_text("decline_categories", name, limit=200)
    return names


def _check_url(instance: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and (not isinstance(value, str) or "{token}" not in value):
        raise ValidationError.of(
            attribute.name,
            f"survey_url must be text with {{token}} where the token goes, "
            f"e.g. 'https://example.com/survey/{{token}}'; got {value!r}",
        )


@attrs.frozen
class Policy:
    """How this organisation runs its loop: every choice closedloop leaves to it."""

    channels: tuple[Channel, ...] = attrs.field(default=(), converter=_channels)
    """Custom channels, besides the ten built in."""
    standards: Standards = attrs.field(factory=Standards, validator=is_a(Standards))
    """How fast each step must happen; they set every case's deadlines, and the acknowledgement's
    promise ("you will hear from us by") is the next of them."""
    ladder: Ladder = attrs.field(factory=Ladder, validator=is_a(Ladder))
    """Where late cases escalate, and who is alerted."""
    warn_at_amber: bool = attrs.field(default=False, validator=is_a(bool))
    """Whether the sweep warns a case's owner when a step turns amber."""
    timezone: tzinfo = attrs.field(default=UTC, converter=_zone)
    """The zone times are shown in to customers (a `tzinfo` or an IANA name)."""
    priority: Callable[[Feedback], Priority] = attrs.field(
        default=default_priority, validator=sure_callable
    )
    """Picks a new case's priority from its feedback."""
    templates: Templates = attrs.field(factory=Templates, validator=is_a(Templates))
    """The texts customers receive."""
    retry: RetryPolicy = attrs.field(factory=RetryPolicy, validator=is_a(RetryPolicy))
    """When failed deliveries are retried, and when they become dead letters."""
    lifecycle: Lifecycle = attrs.field(default=LATTE, validator=is_a(Lifecycle))
    """The LATTE table (replace it only with good reason)."""
    surveys: SurveyRules = attrs.field(factory=SurveyRules, validator=is_a(SurveyRules))
    """When customers may be invited to surveys, expiry and reminders."""
    survey_url: str | None = attrs.field(default=None, validator=_check_url)
    """The survey page's address with `{token}` where the token goes
    (`"https://example.com/survey/{token}"`); None: emails carry the bare token."""
    decline_categories: tuple[str, ...] = attrs.field(
        default=DECLINE_CATEGORIES, converter=_categories
    )
    """The categories declined requests are filed under in the no log."""
    reopen_within: timedelta = attrs.field(default=timedelta(days=14), validator=positive_duration)
    """A customer writing again within this time of the loop closing reopens the case; later, their
    message opens a new case linked to the old one."""
    consolidation: Consolidation | None = attrs.field(
        factory=Consolidation, validator=attrs.validators.optional(is_a(Consolidation))
    )
    """When new feedback joins the customer's open case on the same matter instead of opening a
    duplicate; None turns it off."""
    silence: Silence = attrs.field(factory=Silence, validator=is_a(Silence))
    """How long a customer who was asked something may stay silent before they are told their case
    will close, and then before it closes."""
    limits: Limits = attrs.field(factory=Limits, validator=is_a(Limits))
    """How long the text closedloop stores may be; longer input is refused."""
    written_channel: Callable[[str], Channel | None] = attrs.field(
        default=written_channel_of, validator=sure_callable
    )
    """For a case whose channel carries no written reply (a phone call, a shop counter), the
    written channel a handle of the same customer takes (an email address: `Channel.EMAIL`), or
    None. Customer messages go to the first such linked handle, or are not written at all."""
    channel_templates: dict[str, Templates] = attrs.field(
        factory=dict, converter=_channel_templates
    )
    """Texts for messages on a given channel (by `Channel` or name), instead of `templates`:
    `{sms: Templates.short()}`."""
    locales: dict[str, Templates] = attrs.field(factory=dict, converter=_locales)
    """Texts in the customers' languages, by BCP 47 tag: `{"de": Templates.german()}`. A
    customer's locale (`Feedback.locale`) picks its own (`"de-AT"`), else its language's
    (`"de"`), else `templates`."""
    status_links: StatusLinks | None = attrs.field(
        default=None, validator=attrs.validators.optional(is_a(StatusLinks))
    )
    """The customer's status page links (`desk.portal`); None: no links are issued."""
    lateness: Lateness = attrs.field(factory=Lateness, validator=is_a(Lateness))
    """What happens as a promise to a customer runs late: the owner warned before, the
    customer told with a new time after (`Lateness`); by default, escalation only."""

    def check_decline_category(self, category: str) -> None:
        """Raise :class:`ValidationError` unless ``category`` is one of ours."""
        if not isinstance(category, str) or category not in self.decline_categories:
            raise ValidationError.of(
                "category",
                f"unknown decline category {shown(category)}; use one of "
                f"{', '.join(self.decline_categories)}, or add yours to "
                "Policy(decline_categories=...)",
            )

    def templates_for(self, channel: Channel, locale: str | None = None) -> Templates:
        """The texts for a message on ``channel`` to a customer speaking ``locale``: the
        channel's own (a text message's), else the locale's, else its language's, else
        ``templates``."""
        own = self.channel_templates.get(channel.name)
        if own is not None:
            return own
        if locale:
            tag = locale.lower()
            found = self.locales.get(tag) or self.locales.get(tag.split("-", 1)[0])
            if found is not None:
                return found
        return self.templates

    def survey_link(self, token: str) -> str:
        """Where a customer answers with ``token``: ``survey_url`` filled in."""
        return token if self.survey_url is None else self.survey_url.replace("{token}", token)

    def check_channel(self, channel: Channel, field: str = "channel") -> None:
        """Raise :class:`UnknownChannelError` unless ``channel`` is built in or registered
        (``field``: the argument that held it)."""
        if not isinstance(channel, Channel):
            raise ValidationError.of(
                field,
                f"channel must be a Channel (Channel.EMAIL, Channel.custom(...)), got "
                f"{shown(channel)}",
            )
        if channel in Channel.builtins() or channel in self.channels:
            return
        known = (*Channel.builtins(), *self.channels)
        same_name = [c for c in known if c.name == channel.name]
        if same_name:
            raise ValidationError.of(
                field,
                f"channel {channel.name!r} is known as {same_name[0]!r}, but this one says "
                f"public={channel.public}, written={channel.written}; use the known one",
            )
        raise UnknownChannelError(channel.name, [c.name for c in known], field)
