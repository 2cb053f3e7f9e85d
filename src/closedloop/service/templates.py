"""The texts customers receive, as ``string.Template`` strings a host can override."""

from __future__ import annotations

import string
from typing import Any

import attrs

from closedloop.domain.checks import require_text, shown
from closedloop.domain.errors import ValidationError

__all__ = ["PLACEHOLDERS", "Templates"]

#: What every template may use: ``$matter``, ``$owner``, ``$next_contact``, ...
PLACEHOLDERS = frozenset(
    {
        "case_id",
        "customer",
        "matter",
        "owner",
        "next_contact",
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


def _text(default: str) -> Any:
    return attrs.field(default=default, validator=_check_template)


@attrs.frozen
class Templates:
    """Subject lines and bodies for each customer notification.

    Override any of them with ``Templates(acknowledgement="...")``; placeholders are
    checked when the object is built, so a typo fails at start-up, not at 3 a.m.
    """

    acknowledgement_subject: str = _text('We have received your message about "$matter"')
    acknowledgement: str = _text(
        "Hello,\n\n"
        'We have received your message about "$matter", and $owner is looking after it.\n'
        "You will hear from us again by $next_contact.\n\n"
        "Your reference is $case_id.\n"
    )
    answer_subject: str = _text('Your question about "$matter"')
    answer: str = _text(
        "Hello,\n\n"
        'You asked us about "$matter".\n\n'
        "$action\n\n"
        "Your reference is $case_id. If this does not answer it, reply and we will reopen "
        "your question.\n"
    )
    thanks_subject: str = _text('Thank you for your feedback about "$matter"')
    thanks: str = _text(
        "Hello,\n\n"
        'Thank you for telling us about "$matter". Feedback like yours is how we find '
        "what needs fixing, and we are grateful you took the time.\n\n"
        "Your reference is $case_id.\n"
    )
    thanks_compliment: str = _text(
        "Hello,\n\n"
        'Thank you for your kind words about "$matter". We have passed them on to the '
        "people who earned them.\n"
    )
    explanation_subject: str = _text('What we learned from your feedback about "$matter"')
    explanation: str = _text(
        "Hello,\n\n"
        'We have looked into "$matter".\n\n'
        "What went wrong: $what_failed\n"
        "What we are changing: $what_changes\n\n"
        "Your reference is $case_id. If this does not resolve it, reply and we will "
        "reopen your case.\n"
    )

    reply_subject: str = _text('About "$matter"')
    reply: str = _text("$text\n\nYour reference is $case_id.\n")
    question_subject: str = _text('A question about "$matter"')
    question: str = _text(
        "Hello,\n\n"
        'To go on with "$matter", we need to ask you:\n\n'
        "$question\n\n"
        "Please reply to this message. Your reference is $case_id.\n"
    )
    closing_notice_subject: str = _text('We will close your case about "$matter"')
    closing_notice: str = _text(
        "Hello,\n\n"
        'We asked you about "$matter" and have not heard back:\n\n'
        "$question\n\n"
        "Unless you reply by $closes, we will close your case. Your reference is $case_id.\n"
    )

    verification_subject: str = _text('Did we resolve "$matter"?')
    verification: str = _text(
        "Hello,\n\n"
        'We closed your case about "$matter". Did it resolve the problem? Reply yes or no; '
        "a no reopens your case.\n\n"
        "Your reference is $case_id.\n"
    )

    escalation_subject: str = _text('Late: case $case_id, "$matter", now with the $rung')
    escalation: str = _text(
        'Case $case_id ("$matter", for $customer) has missed the standard "$standard": it was '
        "due by $due. It is now with the $rung. The owner is $owner.\n"
    )
    warning_subject: str = _text('Due soon: case $case_id, "$matter"')
    warning: str = _text(
        'Case $case_id ("$matter", for $customer) is close to missing "$standard": it is due '
        "by $due.\n"
    )

    survey_invitation_subject: str = _text("$question")
    survey_invitation: str = _text(
        "Hello,\n\n"
        "$question\n\n"
        "Answer with one click: $survey_link\n\n"
        "It takes a few seconds, and the link works until $expires. If you would like us to "
        "contact you, say so on the page.\n"
    )
    survey_reminder_subject: str = _text("Reminder: $question")
    survey_reminder: str = _text(
        "Hello,\n\n"
        "We would still value your answer: $question\n\n"
        "$survey_link\n\n"
        "The link works until $expires.\n"
    )

    def render(self, name: str, values: dict[str, str]) -> str:
        """Fill template ``name`` with ``values``."""
        text: str = getattr(self, name)
        return string.Template(text).substitute(values)
