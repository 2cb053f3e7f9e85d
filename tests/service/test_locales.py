"""Texts in the customer's language: a locale on the feedback picks the policy's templates
for it (its own tag, else its language, else the default), with dates in that language."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import (
    Channel,
    DateWords,
    Desk,
    Feedback,
    Policy,
    Survey,
    SurveyKind,
    Templates,
    ValidationError,
    read_email,
)
from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START

GERMAN = Templates.german()


def make_desk(store: CaseStore, notifier: RecordingNotifier, **policy: object) -> Desk:
    return Desk(
        store, notifier, clock=ManualClock(START), ids=SequentialIds(),
        policy=Policy(locales={"de": GERMAN}, **policy),  # type: ignore[arg-type]
    )  # fmt: skip


def acknowledgement(desk: Desk, notifier: RecordingNotifier, locale: str | None) -> str:
    feedback = Feedback(
        customer=f"{locale or 'none'}@example.com", channel=Channel.EMAIL, received_at=START,
        text="Der Stuhl wackelt", locale=locale,
    )  # fmt: skip
    desk.acknowledge(desk.listen(feedback).id, by="Amy")
    desk.outbox.dispatch()
    return notifier.sent[-1].body


@pytest.mark.parametrize(
    ("locale", "opening"),
    [("de", "Guten Tag"), ("de-AT", "Guten Tag"), ("DE", "Guten Tag"), ("fr", "Hello"),
     (None, "Hello")],
)  # fmt: skip
def test_the_customers_locale_picks_its_texts_or_falls_back(
    every_store: CaseStore, locale: str | None, opening: str
) -> None:
    notifier = RecordingNotifier()
    body = acknowledgement(make_desk(every_store, notifier), notifier, locale)
    assert body.startswith(opening)


def test_dates_read_in_the_customers_language(every_store: CaseStore) -> None:
    notifier = RecordingNotifier()
    desk = make_desk(every_store, notifier, timezone="Europe/Berlin")
    german = acknowledgement(desk, notifier, "de")
    english = acknowledgement(desk, notifier, None)
    assert "Sie hören bis Mittwoch, 25. November 2026, " in german
    assert " Uhr CET wieder von uns." in german
    assert "by Wednesday 25 November 2026, " in english


def test_a_later_message_in_another_language_changes_the_texts(every_store: CaseStore) -> None:
    notifier = RecordingNotifier()
    desk = make_desk(every_store, notifier)
    case = desk.listen(Feedback(customer="ann@example.com", channel=Channel.EMAIL,
                                received_at=START, text="Broken chair"))  # fmt: skip
    desk.conversation.add_message(
        case.id, Feedback(customer="ann@example.com", channel=Channel.EMAIL, received_at=START,
                          text="Bitte auf Deutsch", locale="de"),
    )  # fmt: skip
    assert desk.get(case.id).locale == "de"
    desk.acknowledge(case.id, by="Amy")
    desk.outbox.dispatch()
    assert notifier.sent[-1].subject.startswith("Wir haben Ihre Nachricht")


def test_the_mail_programs_language_is_the_feedbacks(every_store: CaseStore) -> None:
    notifier = RecordingNotifier()
    desk = make_desk(every_store, notifier)
    raw = (
        b"From: ann@example.com\r\nContent-Language: de-DE, en\r\nMessage-ID: <d1@x>\r\n"
        b"Subject: Stuhl\r\n\r\nDer Stuhl wackelt.\r\n"
    )
    email = read_email(raw)
    assert email.locale == "de-DE"
    case = desk.inbox.receive(email).case
    assert case is not None
    assert case.locale == "de-DE"
    desk.acknowledge(case.id, by="Amy")
    desk.outbox.dispatch()
    assert notifier.sent[-1].body.startswith("Guten Tag")
    assert read_email(raw.replace(b"de-DE, en", b"not a tag!")).locale is None


def test_staff_alerts_stay_in_the_policys_language(every_store: CaseStore) -> None:
    german = Templates.german()
    assert german.escalation == Templates().escalation


@pytest.mark.parametrize("locale", ["", "deutsch language", "d", "x" * 40, 42])
def test_a_locale_that_is_not_a_language_tag_is_refused(locale: object) -> None:
    with pytest.raises(ValidationError, match="BCP 47") as caught:
        Feedback(customer="a", channel=Channel.EMAIL, received_at=START, text="t",
                 locale=locale)  # type: ignore[arg-type]  # fmt: skip
    assert caught.value.field == "locale"


def test_bad_locale_tables_and_date_words_are_refused() -> None:
    with pytest.raises(ValidationError, match="locales"):
        Policy(locales={"de": "German"})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="7 names"):
        DateWords(weekdays=("Mon",))
    with pytest.raises(ValidationError, match="unknown placeholders"):
        DateWords(pattern="$weekday $hour")


@given(st.datetimes(timezones=st.just(UTC), min_value=datetime(1990, 1, 1),
                    max_value=datetime(2990, 1, 1)))  # fmt: skip
def test_english_date_words_read_as_strftime_does(instant: datetime) -> None:
    expected = f"{instant:%A} {instant.day} {instant:%B %Y, %H:%M} UTC"
    assert DateWords().show(instant) == expected


def test_an_inmemory_desk_without_locales_uses_the_default() -> None:
    notifier = RecordingNotifier()
    desk = Desk(InMemoryStore(), notifier, clock=ManualClock(START))
    assert acknowledgement(desk, notifier, "de").startswith("Hello")


def test_a_channel_may_have_texts_in_each_language(every_store: CaseStore) -> None:
    sms = Channel.custom("sms")
    notifier = RecordingNotifier()
    german_sms = attrs.evolve(Templates.short(), acknowledgement="Wir haben es: $case_id")
    desk = make_desk(
        every_store, notifier, channels=(sms,),
        channel_templates={sms: Templates.short(), (sms, "de"): german_sms},
    )  # fmt: skip
    for locale in ("de-AT", None):
        feedback = Feedback(customer=f"+49{locale}", channel=sms, received_at=START, text="x",
                            locale=locale)  # fmt: skip
        desk.acknowledge(desk.listen(feedback).id, by="Amy")
    desk.outbox.dispatch()
    german, english = (n.body for n in notifier.sent)
    assert german.startswith("Wir haben es: ")
    assert english.startswith("We have your message about")


@pytest.mark.parametrize(
    "policy",
    [
        {"locales": {"de_DE": GERMAN}},
        {"locales": {"de": GERMAN, "DE": GERMAN}},
        {"channel_templates": {"nosuch": GERMAN}},
        {"channel_templates": {"email": GERMAN, Channel.EMAIL: GERMAN}},
        {"written_channel": lambda: Channel.EMAIL},
    ],
)
def test_policies_that_could_never_work_are_refused(policy: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Policy(**policy)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "templates",
    [
        {"dates": "x"},
        {"escalation": "Late: $status_link"},
    ],
)
def test_templates_that_could_never_work_are_refused(templates: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Templates(**templates)  # type: ignore[arg-type]


@pytest.mark.parametrize("words", [{"pattern": ""}, {"soon": None}, {"weekdays": ("Mon\n",) * 7}])
def test_date_words_that_could_never_read_are_refused(words: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DateWords(**words)  # type: ignore[arg-type]


@pytest.mark.parametrize("gives", ["email", 42, Channel.custom("pager")])
def test_a_written_channel_that_gives_nonsense_is_refused_clearly(
    every_store: CaseStore, gives: object
) -> None:
    desk = make_desk(every_store, RecordingNotifier(), written_channel=lambda handle: gives)
    case = desk.listen(
        Feedback(customer="+4400", channel=Channel.PHONE, received_at=START, text="x")
    )
    with pytest.raises(ValidationError) as caught:
        desk.acknowledge(case.id, by="Amy")
    assert caught.value.field == "written_channel"
    assert desk.get(case.id).version == case.version  # nothing was recorded


def german_closed_case(desk: Desk) -> str:
    case = desk.listen(Feedback(customer="jonas@example.de", channel=Channel.EMAIL,
                                received_at=START, text="Der Stuhl", locale="de"))  # fmt: skip
    desk.acknowledge(case.id, by="Amy")
    desk.take_action(case.id, by="Amy", summary="Neuer Stuhl")
    desk.thank(case.id, by="Amy")
    desk.explain(case.id, by="Amy", what_failed="Schraube", what_changes="Prüfung")
    return case.id


def test_a_low_score_about_a_german_case_is_recovered_in_german(every_store: CaseStore) -> None:
    notifier = RecordingNotifier()
    desk = make_desk(every_store, notifier, survey_url="https://example.com/s/{token}")
    case_id = german_closed_case(desk)
    invited = desk.surveys.invite(Survey("after", SurveyKind.NPS, "Empfehlen?"), case_id=case_id)
    assert invited.token is not None

    answered = desk.surveys.respond(invited.token, 1, comment="Schlecht")

    assert answered.recovery_case_id is not None
    assert desk.get(answered.recovery_case_id).locale == "de"
    desk.acknowledge(answered.recovery_case_id, by="Amy")
    desk.outbox.dispatch()
    assert notifier.sent[-1].subject.startswith("Wir haben Ihre Nachricht")


def test_a_recorded_answer_takes_the_language_of_its_case_and_none_without(
    every_store: CaseStore,
) -> None:
    desk = make_desk(every_store, RecordingNotifier())
    case_id = german_closed_case(desk)
    csat = Survey("csat", SurveyKind.CSAT, "Zufrieden?")
    about_case = desk.surveys.record_answer(
        csat, customer="jonas@example.de", channel=Channel.EMAIL, answer=1, case_id=case_id
    )
    relationship = desk.surveys.record_answer(
        csat, customer="ann@example.com", channel=Channel.EMAIL, answer=1
    )
    assert about_case.recovery_case_id is not None
    assert relationship.recovery_case_id is not None
    assert desk.get(about_case.recovery_case_id).locale == "de"
    assert desk.get(relationship.recovery_case_id).locale is None
