"""The texts customers receive, as ``string.Template`` strings a host can override."""

from __future__ import annotations

import functools
import string
from datetime import datetime
from typing import Any

import attrs

from closedloop.domain.checks import is_a, require_text, shown
from closedloop.domain.errors import ValidationError

__all__ = ["PLACEHOLDERS", "DateWords", "Templates"]

#: What every template may use: ``$matter``, ``$owner``, ``$next_contact``, ...
PLACEHOLDERS = frozenset(
    {
        "case_id",
        "customer",
        "matter",
        "owner",
        "next_contact",
        "next_contact_when",
        "action",
        "reason",
        "what_failed",
        "what_changes",
        "rung",
        "standard",
        "due",
        "question",
        "text",
        "closes",
        "survey",
        "survey_link",
        "expires",
        "status_link",
        "promised",
        "was_due",
        "new_due",
    }
)


def _check_template(instance: Any, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError.of(
            attribute.name, f"template {attribute.name} must be non-empty text, got {shown(value)}"
        )
    require_text(attribute.name, value, limit=20_000)
    template = string.Template(value)
    if not template.is_valid():
        raise ValidationError.of(
            attribute.name,
            f"template {attribute.name} has a stray '$'; write '$$' for a dollar sign",
        )
    unknown = set(template.get_identifiers()) - PLACEHOLDERS
    if unknown:
        raise ValidationError.of(
            attribute.name,
            f"template {attribute.name} uses unknown placeholders "
            f"{', '.join('$' + u for u in sorted(unknown))}; "
            f"available: {', '.join('$' + p for p in sorted(PLACEHOLDERS))}",
        )


def _check_length(instance: Any, attribute: attrs.Attribute[int | None], value: object) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 20):
        raise ValidationError.of(
            "max_length",
            f"max_length must be a whole number of at least 20, or None; got {value!r}",
        )


def _names(count: int) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[tuple[str, ...]], value: object) -> None:
        if (
            not isinstance(value, tuple)
            or len(value) != count
            or not all(isinstance(v, str) and v.strip() and v.isprintable() for v in value)
        ):
            raise ValidationError.of(
                attribute.name, f"{attribute.name} must be {count} names, got {shown(value)}"
            )

    return check


def _words(instance: Any, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise ValidationError.of(
            attribute.name, f"{attribute.name} must be words on one line, got {shown(value)}"
        )


def _pattern(instance: Any, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip() or not string.Template(value).is_valid():
        raise ValidationError.of("pattern", f"pattern must be a template, got {shown(value)}")
    unknown = set(string.Template(value).get_identifiers()) - _DATE_PARTS
    if unknown:
        raise ValidationError.of(
            "pattern",
            f"pattern uses unknown placeholders {sorted(unknown)}; available: "
            + ", ".join(f"${p}" for p in sorted(_DATE_PARTS)),
        )


#: The values a text may shorten to fit its length: what people wrote, not ids or links.
_FREE_TEXT = frozenset(
    {
        "matter",
        "text",
        "action",
        "reason",
        "what_failed",
        "what_changes",
        "question",
        "survey",
        "promised",
    }
)


_DATE_PARTS = frozenset({"weekday", "day", "month", "year", "time", "zone"})
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


@attrs.frozen
class DateWords:
    """How a time reads in a language: "Tuesday 24 November 2026, 15:00 UTC"."""

    weekdays: tuple[str, ...] = attrs.field(default=_WEEKDAYS, validator=_names(7))
    """The days' names, from Monday."""
    months: tuple[str, ...] = attrs.field(default=_MONTHS, validator=_names(12))
    """The months' names, from January."""
    pattern: str = attrs.field(
        default="$weekday $day $month $year, $time $zone", validator=_pattern
    )
    """How the parts go together: ``$weekday $day $month $year $time $zone``."""
    soon: str = attrs.field(default="soon", validator=_words)
    """What ``$next_contact`` and ``$next_contact_when`` say when there is no date to give."""
    by: str = attrs.field(default="by", validator=_words)
    """What comes before a date in ``$next_contact_when``: "by Tuesday 24 November…"."""
    no_deadline: str = attrs.field(default="no deadline", validator=_words)
    """What ``$due`` says when nothing is due."""

    def show(self, instant: datetime) -> str:
        """``instant`` (already in the zone to show) in these words."""
        return (
            string.Template(self.pattern)
            .substitute(
                weekday=self.weekdays[instant.weekday()],
                day=instant.day,
                month=self.months[instant.month - 1],
                year=instant.year,
                time=f"{instant:%H:%M}",
                zone=instant.tzname() or "",
            )
            .rstrip()
        )


def _text(default: str) -> Any:
    return attrs.field(default=default, validator=_check_template)


@attrs.frozen
class Templates:
    """Subject lines and bodies for each customer notification.

    Override any of them with ``Templates(acknowledgement="...")``; placeholders are
    checked when the object is built, so a typo fails at start-up, not at 3 a.m.
    A time (``$next_contact``, ``$due``, ``$closes``, ``$expires``, ``$was_due``,
    ``$new_due``) reads like
    ``Tuesday 24 November 2026, 15:00 UTC``, in ``Policy.timezone``; ``$next_contact`` is
    ``soon`` when there is no date to give (no standard sets one, or all have passed), and
    ``$next_contact_when`` reads "by Tuesday 24 November…", or "soon". Each body's name is
    the ``purpose`` of the notifications it renders.
    """

    acknowledgement_subject: str = _text('We have received your message about "$matter"')
    """Subject of the acknowledgement."""
    acknowledgement: str = _text(
        "Hello,\n\n"
        'We have received your message about "$matter", and $owner is looking after it.\n'
        "You will hear from us again $next_contact_when.\n\n"
        "Your reference is $case_id.\n"
    )
    """The acknowledgement: we have it, who is on it, when they hear from us next."""
    answer_subject: str = _text('Your question about "$matter"')
    """Subject of the answer to a question."""
    answer: str = _text(
        "Hello,\n\n"
        'You asked us about "$matter".\n\n'
        "$action\n\n"
        "Your reference is $case_id. If this does not answer it, reply and we will reopen "
        "your question.\n"
    )
    """The answer to a question (Take action on a question): `$action` is the answer."""
    thanks_subject: str = _text('Thank you for your feedback about "$matter"')
    """Subject of the thanks."""
    thanks: str = _text(
        "Hello,\n\n"
        'Thank you for telling us about "$matter". Feedback like yours is how we find '
        "what needs fixing, and we are grateful you took the time.\n\n"
        "Your reference is $case_id.\n"
    )
    """The thanks for feedback."""
    thanks_compliment: str = _text(
        "Hello,\n\n"
        'Thank you for your kind words about "$matter". We have passed them on to the '
        "people who earned them.\n"
    )
    """The thanks for a compliment (purpose `"thanks"`)."""
    explanation_subject: str = _text('What we learned from your feedback about "$matter"')
    """Subject of the explanation."""
    explanation: str = _text(
        "Hello,\n\n"
        'We have looked into "$matter".\n\n'
        "What went wrong: $what_failed\n"
        "What we are changing: $what_changes\n\n"
        "Your reference is $case_id. If this does not resolve it, reply and we will "
        "reopen your case.\n"
    )
    """The explanation: what went wrong and what changes; it closes the loop."""

    reply_subject: str = _text('About "$matter"')
    """Subject of staff's reply in their own words."""
    reply: str = _text("$text\n\nYour reference is $case_id.\n")
    """Staff's reply in their own words (`$text`)."""
    question_subject: str = _text('A question about "$matter"')
    """Subject of a question to the customer."""
    question: str = _text(
        "Hello,\n\n"
        'To go on with "$matter", we need to ask you:\n\n'
        "$question\n\n"
        "Please reply to this message. Your reference is $case_id.\n"
    )
    """A question to the customer, whose answer the case waits for (`$question`)."""
    closing_notice_subject: str = _text('We will close your case about "$matter"')
    """Subject of the closing notice."""
    closing_notice: str = _text(
        "Hello,\n\n"
        'We asked you about "$matter" and have not heard back:\n\n'
        "$question\n\n"
        "Unless you reply by $closes, we will close your case. Your reference is $case_id.\n"
    )
    """The notice to a silent customer that the case closes at `$closes` unless they write."""
    late_notice_subject: str = _text('We are late on "$matter"')
    """Subject of the notice that a promise to the customer is late."""
    late_notice: str = _text(
        "Hello,\n\n"
        'About "$matter": we promised to $promised by $was_due, and we have not yet. We are '
        "sorry. We will do it by $new_due.\n\n"
        "Your reference is $case_id.\n"
    )
    """The notice that a promise is late (`Lateness`): what was promised (`$promised`), by
    when (`$was_due`), and the new time (`$new_due`)."""

    verification_subject: str = _text('Did we resolve "$matter"?')
    """Subject of the verification request."""
    verification: str = _text(
        "Hello,\n\n"
        'We closed your case about "$matter". Did it resolve the problem? Reply yes or no; '
        "a no reopens your case.\n\n"
        "Your reference is $case_id.\n"
    )
    """After the loop closed: did the fix resolve it?"""

    escalation_subject: str = _text('Late: case $case_id, "$matter", now with the $rung')
    """Subject of an escalation alert (to staff)."""
    escalation: str = _text(
        'Case $case_id ("$matter", for $customer) has missed the standard "$standard": it was '
        "due by $due. It is now with the $rung. The owner is $owner.\n"
    )
    """An escalation alert to a rung's recipients (`$rung`, `$standard`, `$due`)."""
    warning_subject: str = _text('Due soon: case $case_id, "$matter"')
    """Subject of an amber warning (to the owner)."""
    warning: str = _text(
        'Case $case_id ("$matter", for $customer) is close to missing "$standard": it is due '
        "by $due.\n"
    )
    """An amber warning to the case's owner (`Policy.warn_at_amber`)."""

    survey_invitation_subject: str = _text("$question")
    """Subject of a survey invitation."""
    survey_invitation: str = _text(
        "Hello,\n\n"
        "$question\n\n"
        "Answer with one click: $survey_link\n\n"
        "It takes a few seconds, and the link works until $expires. If you would like us to "
        "contact you, say so on the page.\n"
    )
    """A survey invitation (`$survey`, `$survey_link`, `$expires`)."""
    survey_reminder_subject: str = _text("Reminder: $question")
    """Subject of a survey reminder."""
    survey_reminder: str = _text(
        "Hello,\n\n"
        "We would still value your answer: $question\n\n"
        "$survey_link\n\n"
        "The link works until $expires.\n"
    )
    """A reminder of an open survey invitation."""

    dates: DateWords = attrs.field(factory=DateWords, validator=is_a(DateWords))
    """How times read in these texts (``DateWords``; English by default)."""
    max_length: int | None = attrs.field(default=None, validator=_check_length)
    """The most characters a message body may have on the channel these texts are for (160
    for a text message). A longer one is shortened in its free text (the matter, staff's
    words, ending with "…"); the template's own words, links, references and dates are never
    cut, so keep them short (``Templates.short()``). None: no limit."""

    def __attrs_post_init__(self) -> None:
        for name in ("escalation", "escalation_subject", "warning", "warning_subject"):
            if "status_link" in self.placeholders(name):
                raise ValidationError.of(
                    name,
                    f"template {name} goes to staff, and $status_link is the customer's link; "
                    "use $case_id to name the case",
                )

    @classmethod
    def german(cls) -> Templates:
        """Every customer text in German, with German dates ("Dienstag, 24. November 2026,
        15:00 Uhr UTC"): ``Policy(locales={"de": Templates.german()})``."""
        from closedloop.service.translations import GERMAN, GERMAN_DATES

        return cls(dates=DateWords(**GERMAN_DATES), **GERMAN)  # type: ignore[arg-type]

    @classmethod
    def short(cls, max_length: int = 160) -> Templates:
        """Texts for a text message: one or two lines each, cut at ``max_length``. Use them
        with ``Policy(channel_templates={your_sms_channel: Templates.short()})``."""
        return cls(
            max_length=max_length,
            acknowledgement='We have your message about "$matter". You hear from us '
            "$next_contact_when. Ref $case_id",
            answer='About "$matter": $action',
            thanks='Thank you for telling us about "$matter".',
            thanks_compliment="Thank you for your kind words. We have passed them on.",
            explanation='"$matter": what went wrong: $what_failed. What changes: $what_changes',
            reply='About "$matter": $text',
            question='About "$matter": $question Reply to this message.',
            late_notice='Sorry, we are late to $promised ("$matter"). New time: $new_due. '
            "Ref $case_id",
            closing_notice='We will close your case about "$matter" on $closes unless you reply.',
            verification='Did we resolve "$matter"? Reply YES or NO.',
            survey_invitation="$question $survey_link",
            survey_reminder="Reminder: $question $survey_link",
        )

    def placeholders(self, name: str) -> frozenset[str]:
        """The placeholders template ``name`` uses (``{"matter", "status_link"}``)."""
        return _identifiers(getattr(self, name))

    def render(self, name: str, values: dict[str, str]) -> str:
        """Fill template ``name`` with ``values``; a body longer than ``max_length`` is
        shortened in its free text (the matter, staff's words...), never in the template's
        own words, a link, a reference or a date: if those alone pass the limit, the body
        is longer than it."""
        template = string.Template(getattr(self, name))
        text: str = template.substitute(values)
        limit = self.max_length
        if limit is None or name.endswith("_subject") or len(text) <= limit:
            return text
        values = dict(values)
        free = sorted(_FREE_TEXT & set(template.get_identifiers()))
        while len(text) > limit and free:
            longest = max(free, key=lambda key: len(values[key]))
            keep = len(values[longest]) - (len(text) - limit) - 1
            if keep < 1:
                values[longest] = "…"
                free.remove(longest)
            else:
                values[longest] = values[longest][:keep].rstrip() + "…"
            text = template.substitute(values)
        return text  # still long: the fixed words and values are kept whole


@functools.lru_cache(maxsize=1024)
def _identifiers(text: str) -> frozenset[str]:
    # A policy has a few dozen texts, and every message asks what its two use.
    return frozenset(string.Template(text).get_identifiers())
