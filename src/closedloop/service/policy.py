"""Policy: the organisation's choices, handed to the Desk."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import Feedback, is_tag
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
from closedloop.domain.teams.team import Assignment, Team
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


def _channel_templates(value: Mapping[object, Templates]) -> dict[str, Templates]:
    if not isinstance(value, Mapping):
        raise ValidationError.of(
            "channel_templates", f"channel_templates must map channels to Templates, got {value!r}"
        )
    checked: dict[str, Templates] = {}
    for key, templates in value.items():
        name = _channel_key(key)
        if name is None or not isinstance(templates, Templates):
            raise ValidationError.of(
                "channel_templates",
                "channel_templates maps a Channel, its name, or (Channel, language tag) for "
                f"texts in one language, to Templates; got {key!r}",
            )
        if name in checked:
            raise ValidationError.of(
                "channel_templates", f"channel_templates names {name!r} twice; name it once"
            )
        checked[name] = templates
    return checked


def _channel_key(key: object) -> str | None:
    """``"sms"`` for ``sms`` or ``"sms"``; ``"sms/de"`` for ``(sms, "de")``."""
    if isinstance(key, tuple) and len(key) == 2 and isinstance(key[1], str) and is_tag(key[1]):
        name = _channel_key(key[0])
        return None if name is None or "/" in name else f"{name}/{key[1].lower()}"
    if isinstance(key, Channel):
        return key.name
    return key if isinstance(key, str) and key.strip() and "/" not in key else None


def _locales(value: Mapping[str, Templates]) -> dict[str, Templates]:
    if not isinstance(value, Mapping) or not all(
        isinstance(tag, str) and is_tag(tag) and isinstance(t, Templates)
        for tag, t in value.items()
    ):
        raise ValidationError.of(
            "locales",
            "locales must map BCP 47 language tags ('de', 'fr-CA') to Templates, got "
            f"{value!r:.200}",
        )
    lowered = {tag.lower(): templates for tag, templates in value.items()}
    if len(lowered) != len(value):
        raise ValidationError.of(
            "locales", "locales names a tag twice (tags are matched without regard to case)"
        )
    return lowered


def _takes_a_handle(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    sure_callable(instance, attribute, value)
    try:
        inspect.signature(value).bind("handle")  # type: ignore[arg-type]
    except TypeError as exc:
        raise ValidationError.of(
            "written_channel",
            f"written_channel must take one handle and give a Channel or None ({exc})",
        ) from exc
    except ValueError:  # a builtin without a signature: trusted
        pass


def _known_channels(instance: Policy, attribute: attrs.Attribute[Any], value: object) -> None:
    for key in value:  # type: ignore[attr-defined]
        name = key.split("/", 1)[0]
        if _unknown(instance, [name]):
            raise ValidationError.of(
                "channel_templates",
                f"channel_templates names channel {name!r}, which the policy does not know; "
                "register it in Policy(channels=...)",
            )


def _unknown(instance: Policy, names: Iterable[str]) -> list[str]:
    known = {c.name for c in (*Channel.builtins(), *instance.channels)}
    return sorted(set(names) - known)


def _standard_channels(instance: Policy, attribute: attrs.Attribute[Any], value: Any) -> None:
    for standard in (*value.rules, *value.defaults):
        unknown = _unknown(instance, standard.channels)
        if unknown:  # a misspelt channel would never match: its cases would take another
            raise ValidationError.of(
                "standards",
                f"standards: {standard.name!r} names channels {unknown}, which the policy "
                "does not know; register them in Policy(channels=...) or correct the spelling",
            )


def _ladder_channel(instance: Policy, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value.channel not in (*Channel.builtins(), *instance.channels):
        raise ValidationError.of(
            "ladder",
            f"ladder.channel is {value.channel.name!r}, which the policy does not know; "
            "register it in Policy(channels=...)",
        )


def _tags(locale: str | None) -> tuple[str, ...]:
    """``("de-at", "de")`` for ``"de-AT"``: the tag, then its language."""
    if not locale:
        return ()
    tag = locale.lower()
    language = tag.split("-", 1)[0]
    return (tag,) if language == tag else (tag, language)


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


def _teams(value: Iterable[Team]) -> tuple[Team, ...]:
    teams = items("teams")(value)
    for team in teams:
        if not isinstance(team, Team):
            raise ValidationError.of("teams", f"teams must be Team objects, got {shown(team)}")
    names = [t.name for t in teams]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValidationError.of("teams", f"teams names {twice} more than once; name each once")
    return teams


def _known_teams(instance: Policy, attribute: attrs.Attribute[Any], value: Assignment) -> None:
    known = {t.name for t in instance.teams}
    unknown = sorted(set(value.teams_by_tag.values()) - known)
    if unknown:
        raise ValidationError.of(
            "assignment",
            f"assignment.teams_by_tag names teams {unknown}, which the policy does not know; "
            "add them to Policy(teams=...)",
        )


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
    standards: Standards = attrs.field(
        factory=Standards, validator=[is_a(Standards), _standard_channels]
    )
    """How fast each step must happen; they set every case's deadlines, and the acknowledgement's
    promise ("you will hear from us by") is the next of them."""
    ladder: Ladder = attrs.field(factory=Ladder, validator=[is_a(Ladder), _ladder_channel])
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
        default=written_channel_of, validator=_takes_a_handle
    )
    """For a case whose channel carries no written reply (a phone call, a shop counter), the
    written channel a handle of the same customer takes (an email address: `Channel.EMAIL`), or
    None. Customer messages go to the first such linked handle, or are not written at all."""
    channel_templates: dict[str, Templates] = attrs.field(
        factory=dict, converter=_channel_templates, validator=_known_channels
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
    teams: tuple[Team, ...] = attrs.field(default=(), converter=_teams)
    """The teams that own cases: their members, leads and skills (`docs/queues.md`)."""
    assignment: Assignment = attrs.field(
        factory=Assignment, validator=[is_a(Assignment), _known_teams]
    )
    """How new cases find their team and owner, and whether hand-offs need a summary; by
    default nobody is picked and cases stay unowned until staff assign them."""

    def team(self, name: str | None) -> Team | None:
        """The team called ``name``, or None (no such team, or no name)."""
        return next((t for t in self.teams if t.name == name), None)

    def lead_of(self, team: str | None) -> str | None:
        """The lead of team ``team``, or None (no team, an unknown one, or no lead)."""
        found = self.team(team)
        return None if found is None else found.lead

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
        channel's own in that language (``channel_templates[(sms, "de")]``), else the
        channel's own, else the locale's, else its language's, else ``templates``."""
        tags = _tags(locale)
        own = self.channel_templates
        for tag in tags:
            found = own.get(f"{channel.name}/{tag}")
            if found is not None:
                return found
        if channel.name in own:
            return own[channel.name]
        for tag in tags:
            found = self.locales.get(tag)
            if found is not None:
                return found
        return self.templates

    def survey_link(self, token: str) -> str:
        """Where a customer answers with ``token``: ``survey_url`` filled in."""
        return token if self.survey_url is None else self.survey_url.replace("{token}", token)

    def written_channel_for(self, handle: str) -> Channel | None:
        """``written_channel(handle)``, checked: a known channel that carries writing, or
        None."""
        channel = self.written_channel(handle)
        if channel is None:
            return None
        if not isinstance(channel, Channel):
            raise ValidationError.of(
                "written_channel",
                f"written_channel must give a Channel or None, gave {shown(channel)}",
            )
        self.check_channel(channel, "written_channel")
        return channel if channel.written else None

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
