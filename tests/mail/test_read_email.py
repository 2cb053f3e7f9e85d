"""read_email on the shapes real mail programs write: what the sender wrote this time,
attachments, automatic replies and bounces."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import (
    Channel,
    EmailFormatError,
    FeedbackKind,
    ValidationError,
    feedback_from_email,
    read_email,
)
from tests.helpers import START
from tests.mail import corpus

NEW = "The chair arrived with a broken leg.\nCan you collect it this week?"


@pytest.mark.parametrize(
    "shape",
    [
        corpus.gmail,
        corpus.gmail_wrapped,
        corpus.apple_mail,
        corpus.outlook_original_message,
        corpus.thunderbird,
    ],
)
def test_only_what_the_sender_wrote_this_time_is_kept(
    shape: Callable[[str], EmailMessage],
) -> None:
    email = read_email(bytes(shape(NEW)))
    assert email.text == NEW
    assert corpus.ACK not in email.text


def test_outlook_keeps_the_sign_off_and_drops_the_header_block() -> None:
    assert read_email(bytes(corpus.outlook(NEW))).text == f"{NEW}\n\nKind regards,\nAnn"


def test_html_only_mail_is_read_as_text_without_style_or_history() -> None:
    email = read_email(bytes(corpus.outlook_html("Still broken &amp; wobbly.")))
    assert email.text == "Still broken & wobbly."


def test_the_plain_part_is_preferred_and_the_html_part_used_when_it_is_empty() -> None:
    message = corpus.gmail("From the plain part.")
    assert read_email(bytes(message)).text == "From the plain part."
    html_first = corpus.plain("")
    html_first.add_alternative("<p>Only <b>HTML</b> here</p><script>x()</script>", subtype="html")
    assert read_email(bytes(html_first)).text == "Only HTML here"


def test_the_sender_subject_and_message_id_are_read() -> None:
    email = read_email(bytes(corpus.gmail(NEW, in_reply_to="<abc@acme.example>")))
    assert email.sender == "ann@example.com"  # the domain in lower case, the local part kept
    assert email.subject == "Re: We have received your message"
    assert email.message_id == "<reply-1@mail.example.com>"
    assert email.references == ("<abc@acme.example>",)


def test_references_are_nearest_first_without_repeats() -> None:
    message = corpus.plain(
        NEW, in_reply_to="<c@x>", references="<a@x> <b@x> <c@x>", message_id="<d@x>"
    )
    assert read_email(bytes(message)).references == ("<c@x>", "<b@x>", "<a@x>")


def test_a_case_named_in_the_subject_is_read() -> None:
    message = corpus.plain(NEW, subject="Re: Late delivery [case 7f3a-19]")
    assert read_email(bytes(message)).case_reference == "7f3a-19"
    assert read_email(bytes(corpus.plain(NEW))).case_reference is None


def test_attachments_are_listed_and_their_bytes_kept_only_when_asked() -> None:
    data = b"%PDF-1.4 receipt" * 64
    message = bytes(corpus.with_attachment(NEW, data))
    (listed,) = read_email(message).attachments
    assert (listed.name, listed.content_type, listed.size, listed.content) == (
        "receipt.pdf",
        "application/pdf",
        len(data),
        None,
    )
    (kept,) = read_email(message, keep_attachments=True).attachments
    assert kept.content == data


def test_feedback_from_email_names_the_attachments_and_keeps_the_message_id() -> None:
    feedback = feedback_from_email(
        bytes(corpus.with_attachment(NEW, b"12345")), received_at=START, kind=FeedbackKind.QUESTION
    )
    assert feedback.customer == "ann@example.com"
    assert feedback.channel == Channel.EMAIL
    assert feedback.kind is FeedbackKind.QUESTION
    assert feedback.external_id == "<reply-1@mail.example.com>"
    assert feedback.text == f"{NEW}\n\n[attachments: receipt.pdf (application/pdf, 5 bytes)]"


def test_an_attachment_alone_or_a_subject_alone_is_still_feedback() -> None:
    only_file = feedback_from_email(bytes(corpus.with_attachment("", b"1")), received_at=START)
    assert only_file.text == "[attachments: receipt.pdf (application/pdf, 1 bytes)]"
    only_subject = feedback_from_email(
        bytes(corpus.plain("", subject="Refund please")), received_at=START
    )
    assert only_subject.text == "Refund please"


@pytest.mark.parametrize(
    ("headers", "subject", "why"),
    [
        ({"Auto_Submitted": "auto-replied"}, "Away", "Auto-Submitted: auto-replied"),
        ({"Precedence": "bulk"}, "News", "Precedence: bulk"),
        ({"X_Autoreply": "yes"}, "Away", "X-Autoreply header"),
        ({"List_Id": "<offers.shop.example>"}, "Offers", "a mailing list message"),
        ({}, "Out of Office: Ann Example", "an automatic reply's subject"),
        ({}, "Automatic reply: your order", "an automatic reply's subject"),
        ({"Return_Path": "<>"}, "Away", "an empty Return-Path (a message no one may answer)"),
    ],
)
def test_automatic_replies_say_why(headers: dict[str, str], subject: str, why: str) -> None:
    assert (
        read_email(bytes(corpus.plain("I am away.", subject=subject, **headers))).auto_reply == why
    )


def test_a_person_saying_auto_submitted_no_is_a_person() -> None:
    assert read_email(bytes(corpus.vacation(Auto_Submitted="no"))).auto_reply is None


def _sent() -> EmailMessage:
    message = corpus.plain(
        corpus.ACK, sender=corpus.ACME, message_id="<0f1e@acme.example>",
        X_Closedloop_Key="c1/2/acknowledgement",
    )  # fmt: skip
    message.replace_header("To", "Ann Example <ann@example.com>")
    return message


@pytest.mark.parametrize("headers_only", [True, False])
def test_a_bounce_names_the_message_that_bounced(headers_only: bool) -> None:
    email = read_email(corpus.bounce(_sent(), headers_only=headers_only))
    assert email.bounce is not None
    assert (email.bounce.action, email.bounce.permanent, email.bounce.status) == (
        "failed",
        True,
        "5.1.1",
    )
    assert email.bounce.recipient == "ann@example.com"
    assert email.bounce.original_message_id == "<0f1e@acme.example>"
    assert email.bounce.original_key == "c1/2/acknowledgement"
    assert email.bounce.diagnostic == "550 5.1.1 <ann@example.com>: Recipient address rejected"
    assert email.bounce.describe() == (
        "bounced (permanent): 5.1.1 550 5.1.1 <ann@example.com>: Recipient address rejected"
    )
    assert (email.text, email.attachments, email.auto_reply) == ("", (), None)


def test_a_temporary_failure_and_a_delay_are_not_permanent() -> None:
    failed = read_email(corpus.bounce(_sent(), status="4.2.2", diagnostic="smtp; 452 full"))
    delayed = read_email(corpus.bounce(_sent(), action="delayed", status="4.4.7"))
    assert failed.bounce is not None
    assert delayed.bounce is not None
    assert (failed.bounce.action, failed.bounce.permanent) == ("failed", False)
    assert (delayed.bounce.action, delayed.bounce.permanent) == ("delayed", False)


def test_a_delivery_report_that_is_not_a_dsn_is_an_automatic_message() -> None:
    message = corpus.plain(
        "Your message could not be delivered.", sender="MAILER-DAEMON@mx.example"
    )
    email = read_email(bytes(message))
    assert (email.bounce, email.auto_reply) == (None, "a delivery report closedloop cannot read")


def test_text_in_other_charsets_is_decoded() -> None:
    raw = (
        "From: ann@example.com\r\nSubject: Caf\xe9\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\n\r\nLe caf\xe9 \xe9tait froid.\r\n"
    ).encode("latin-1")
    assert read_email(raw).text == "Le café était froid."
    unknown = raw.replace(b"iso-8859-1", b"x-no-such-charset")
    assert read_email(unknown).text.startswith("Le caf")


@pytest.mark.parametrize(
    "raw",
    [b"Subject: hi\r\n\r\nno sender", b"From: not an address\r\n\r\nhi", b""],
)
def test_mail_without_a_usable_sender_is_refused_clearly(raw: bytes) -> None:
    with pytest.raises(EmailFormatError, match="From address") as caught:
        read_email(raw)
    assert caught.value.field == "from"
    assert isinstance(caught.value, ValidationError)


def test_anything_but_bytes_is_refused() -> None:
    with pytest.raises(EmailFormatError, match="email's bytes"):
        read_email("From: ann@example.com\r\n\r\nhi")  # type: ignore[arg-type]


_REPORT = (
    b"From: a@b\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B"
    b"\r\n\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
)


@given(st.sampled_from([b"", b"From: ann@example.com\r\n", _REPORT]), st.binary(max_size=2000))
def test_any_bytes_are_read_or_refused_with_an_email_format_error(head: bytes, raw: bytes) -> None:
    try:
        email = read_email(head + raw)
    except EmailFormatError:
        return
    assert "@" in email.sender


@given(st.text(max_size=300))
def test_any_plain_text_reply_keeps_no_quoted_line_at_its_end(new: str) -> None:
    text = read_email(bytes(corpus.plain(f"{new}\n\n> {corpus.ACK}\n"))).text
    assert not text.endswith(corpus.ACK)
    assert text == text.strip()


@pytest.mark.parametrize(
    "attribution",
    [
        "Am Mo., 23. Nov. 2026 um 10:00 Uhr schrieb Acme <care@acme.example>:",
        "Am 23.11.26 um 10:00 schrieb Acme:",
        "Op ma 23 nov. 2026 om 10:00 schreef Acme <care@acme.example>:",
        "Le lun. 23 nov. 2026 à 10:00, Acme <care@acme.example> a écrit :",
    ],
)
def test_attributions_in_other_languages_are_stripped(attribution: str) -> None:
    message = corpus.plain(f"Danke.\n\n{attribution}\n> {corpus.ACK}\n")
    assert read_email(bytes(message)).text == "Danke."


@pytest.mark.parametrize(
    ("subject", "read"),
    [
        (
            "=?utf-8?q?Caf=C3=A9_cr=C3=A8me_br=C3=BBl=C3=A9e_was_cold?=",
            "Café crème brûlée was cold",
        ),
        ("=?utf-8?b?8J+YgCBlbW9qaSwgY29tbWE=?=", "😀 emoji, comma"),
        ("Re: =?iso-8859-1?q?K=FChlschrank?= kaputt", "Re: Kühlschrank kaputt"),
        # Words that cannot be decoded are kept as written.
        ("=?x-no-such-charset?q?abc?=", "=?x-no-such-charset?q?abc?="),
    ],
)
def test_encoded_words_in_the_subject_are_decoded(subject: str, read: str) -> None:
    raw = f"From: a@example.com\nSubject: {subject}\nMessage-ID: <m@x>\n\nHello\n".encode()
    assert read_email(raw).subject == read


def test_an_encoded_subject_is_still_an_automatic_reply_or_a_case_reference() -> None:
    away = b"From: a@x.com\nSubject: =?utf-8?q?Out_of_Office=3A_away?=\nMessage-ID: <1@x>\n\nAway\n"
    assert read_email(away).auto_reply == "an automatic reply's subject"
    reply = (
        b"From: a@x.com\nSubject: =?utf-8?q?Re=3A_=5Bcase_case-1=5D_d=C3=A9j=C3=A0?=\n"
        b"Message-ID: <2@x>\n\nHi\n"
    )
    assert read_email(reply).case_reference == "case-1"
