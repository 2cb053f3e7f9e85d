"""The staff's pages of the example helpdesk: the layout, errors and step forms."""

from __future__ import annotations

import html
import urllib.parse

from closedloop import ClosedLoopError, Step

STYLE = (
    "body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;"
    "border-bottom:1px solid #eee}form.step{border:1px solid #ddd;padding:.5rem;margin:.5rem 0}"
    ".red{color:#c62828}.amber{color:#b28704}.green{color:#2e7d32}.error{color:#c62828}"
)

# The form fields each step takes, beyond who does it and the version they saw.
STEP_FIELDS: dict[Step, tuple[str, ...]] = {
    Step.ACKNOWLEDGE: (),
    Step.TAKE_ACTION: ("summary",),
    Step.DECLINE: ("reason", "category", "asked"),
    Step.THANK: (),
    Step.EXPLAIN: ("what_failed", "what_changes", "root_cause"),
    Step.REOPEN: ("reason",),
}


def page(title: str, body: str) -> bytes:
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<p><a href='/'>Cases</a> · <a href='/feedback'>Feedback form</a> · "
        f"<a href='/report'>Report</a></p><h1>{html.escape(title)}</h1>{body}</body></html>"
    ).encode()


def quoted(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def error_page(error: ClosedLoopError) -> bytes:
    return page("That did not work", f"<p class='error'>{html.escape(str(error))}</p>")


def step_form(case_id: str, version: int, step: Step) -> str:
    inputs = "".join(
        f"<p><label>{name.replace('_', ' ')} <input name='{name}'></label></p>"
        for name in STEP_FIELDS[step]
    )
    return (
        f"<form class='step' method='post' action='/cases/{quoted(case_id)}/{step.value}'>"
        f"<input type='hidden' name='expected_version' value='{version}'>"
        f"<p><label>by <input name='by' value='agent'></label></p>{inputs}"
        f"<button>{step.value.replace('_', ' ')}</button></form>"
    )
