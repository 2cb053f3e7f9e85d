"""Emails shaped as real mail programs write them, built by the tests (no captured mail is
committed: every address and text here is made up)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

from tests.helpers import START

ACME = "Acme Care <care@acme.example>"
ANN = "Ann Example <ann@Example.COM>"
ACK = "We have received your message about your order and will reply by Tuesday."


def plain(
    body: str,
    *,
    sender: str = ANN,
    subject: str = "Re: We have received your message",
    in_reply_to: str | None = None,
    references: str | None = None,
    message_id: str = "<reply-1@mail.example.com>",
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ACME
    message["Subject"] = subject
    message["Date"] = format_datetime(START)
    message["Message-ID"] = message_id
    if in_reply_to is not None:
        message["In-Reply-To"] = in_reply_to
    if references is not None:
        message["References"] = references
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def gmail(new: str, in_reply_to: str | None = None) -> EmailMessage:
    """Gmail: plain and HTML alternatives; the quote under an attribution line, the HTML
    one inside ``<div class="gmail_quote">``."""
    text = f"{new}\n\nOn Mon, 23 Nov 2026 at 09:12, {ACME} wrote:\n\n> {ACK}\n>\n"
    message = plain(text, in_reply_to=in_reply_to, references=in_reply_to)
    message.add_alternative(
        f'<div dir="ltr">{new}</div><br><div class="gmail_quote"><div dir="ltr" '
        f'class="gmail_attr">On Mon, 23 Nov 2026 at 09:12, Acme Care &lt;care@acme.example&gt; '
        f'wrote:<br></div><blockquote class="gmail_quote" style="margin:0">{ACK}</blockquote>'
        "</div>",
        subtype="html",
    )
    return message


def gmail_wrapped(new: str) -> EmailMessage:
    """Gmail's attribution wrapped over two lines, as it does for long names."""
    return plain(
        f"{new}\n\nOn Mon, 23 Nov 2026 at 09:12, Acme Customer Care Team <care@acme.example>\n"
        f"wrote:\n\n> {ACK}\n"
    )


def apple_mail(new: str) -> EmailMessage:
    return plain(
        f"{new}\n\nSent from my iPhone\n\n> On 23 Nov 2026, at 09:12, Acme Care "
        f"<care@acme.example> wrote:\n>\n> {ACK}\n"
    )


def outlook(new: str) -> EmailMessage:
    """Outlook: no quote marks, a rule and a header block above the old message."""
    return plain(
        f"{new}\n\nKind regards,\nAnn\n\n________________________________\n"
        f"From: Acme Care <care@acme.example>\nSent: Monday, November 23, 2026 9:12 AM\n"
        f"To: Ann Example <ann@example.com>\nSubject: We have received your message\n\n{ACK}\n"
    )


def outlook_original_message(new: str) -> EmailMessage:
    return plain(f"{new}\n\n-----Original Message-----\nFrom: care@acme.example\n\n{ACK}\n")


def outlook_html(new: str) -> EmailMessage:
    """Outlook on the web: HTML only, the old message after ``<div id="divRplyFwdMsg">``."""
    message = plain("")
    message.set_content(
        '<html><head><style>p {margin:0}</style></head><body><div style="font-family:Calibri">'
        f'<p>{new}</p></div><hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg">'
        "<b>From:</b> Acme Care &lt;care@acme.example&gt;<br><b>Sent:</b> Monday, November 23, "
        f"2026 9:12 AM<br><b>Subject:</b> Received</div><div>{ACK}</div></body></html>",
        subtype="html",
    )
    return message


def thunderbird(new: str) -> EmailMessage:
    return plain(f"{new}\n\n-- \nAnn Example\n+44 20 7946 0000\n\n> {ACK}\n")


def with_attachment(new: str, data: bytes, name: str = "receipt.pdf") -> EmailMessage:
    message = plain(new)
    message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return message


def vacation(**headers: str) -> EmailMessage:
    return plain("I am away until 7 December with no access to email.", **headers)


def bounce(
    original: EmailMessage,
    *,
    action: str = "failed",
    status: str = "5.1.1",
    diagnostic: str = "smtp; 550 5.1.1 <ann@example.com>: Recipient address rejected",
    headers_only: bool = True,
) -> bytes:
    """A delivery status notification (RFC 3464) as Postfix writes it, returning the
    original's headers (``text/rfc822-headers``) or the whole of it (``message/rfc822``)."""
    recipient = original["To"].addresses[0].addr_spec
    head = "".join(f"{k}: {v}\r\n" for k, v in original.items())
    returned = (
        f"Content-Type: text/rfc822-headers\r\n\r\n{head}"
        if headers_only
        else f"Content-Type: message/rfc822\r\n\r\n{original.as_string()}"
    )
    return (
        "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r\n"
        "To: care@acme.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.example.com>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\r\n'
        "\r\n--B1\r\n"
        "Content-Type: text/plain\r\n\r\n"
        "This is the mail system at host mx.example.com. I'm sorry to have to inform you...\r\n"
        "\r\n--B1\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: {diagnostic}\r\n"
        f"\r\n--B1\r\n{returned}\r\n--B1--\r\n"
    ).encode()
