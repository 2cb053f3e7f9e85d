"""The agents' queues of the example helpdesk: the teams it runs with, the case list (one
``desk.queues.find`` per page: my cases, my team, unowned, red first) and the hand-off form."""

from __future__ import annotations

import html
import urllib.parse

from staff_pages import quoted

from closedloop import Assignment, Case, Desk, Feedback, Order, Team

#: The helpdesk's two teams: billing matters go to billing, the rest to care; each new case
#: goes to the next available member of its team (round robin).
TEAMS = (
    Team("care", members=("amy", "bob"), lead="care-lead@example.com"),
    Team("billing", members=("cy", "dee"), lead="billing-lead@example.com"),
)
#: The topics of the feedback form, as tags; a billing case goes to the billing team.
TOPICS = ("general", "billing", "delivery")


def _team_for(feedback: Feedback) -> str:
    return "billing" if "billing" in feedback.tags else "care"


ASSIGNMENT = Assignment(rule="round_robin", team_for=_team_for)

#: The filters the case list reads from its query string, as ``desk.queues.find`` names them.
FILTERS = ("owner", "team", "rag", "order", "after")
#: The lists an agent picks from, by label: their query strings.
LISTS = {
    "All open, red first": "order=red_first",
    "Nobody's": "unowned=1&order=red_first",
    **{f"Team {t.name}": f"team={t.name}&order=red_first" for t in TEAMS},
    **{f"{m}'s cases": f"owner={m}&order=red_first" for t in TEAMS for m in t.members},
}


def case_list(desk: Desk, query: str) -> str:
    """The body of the case list: the lists, then one page of the cases the query string's
    filters find (``tag`` and ``unowned`` besides the :data:`FILTERS`)."""
    asked = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items() if v and v[-1]}
    filters: dict[str, object] = {k: asked[k] for k in FILTERS if k in asked}
    filters.setdefault("order", Order.RED_FIRST)
    if "tag" in asked:
        filters["tags"] = [asked["tag"]]
    if asked.get("unowned"):
        filters["unowned"] = True
    found = desk.queues.find(limit=25, **filters)  # type: ignore[arg-type]
    rows = "".join(_row(desk, case) for case in found.cases)
    more = ""
    if found.next is not None:
        rest = urllib.parse.urlencode({**asked, "after": found.next})
        more = f"<p><a href='/?{html.escape(rest)}'>Next page</a></p>"
    lists = " · ".join(f"<a href='/?{q}'>{html.escape(label)}</a>" for label, q in LISTS.items())
    return (
        f"<p>{lists}</p><table><tr><th>Subject</th><th>Customer</th><th>Team</th>"
        f"<th>Owner</th><th>Tags</th><th>Stage</th><th>Status</th></tr>{rows}</table>{more}"
    )


def _row(desk: Desk, case: Case) -> str:
    rag = desk.standards.status(case.id).value
    return (
        f"<tr><td><a href='/cases/{quoted(case.id)}'>{html.escape(case.subject)}</a></td>"
        f"<td>{html.escape(case.customer)}</td><td>{html.escape(case.team or '')}</td>"
        f"<td>{html.escape(case.owner or 'nobody')}</td>"
        f"<td>{html.escape(', '.join(case.tags))}</td><td>{case.stage.name.lower()}</td>"
        f"<td class='{rag}'>{rag.upper()}</td></tr>"
    )


def hand_off_form(case: Case) -> str:
    """A form handing the case to another member of its team, with a summary for them."""
    if case.team is None or not case.is_active:
        return ""
    team = next((t for t in TEAMS if t.name == case.team), None)
    members = [] if team is None else [m for m in team.members if m != case.owner]
    options = "".join(f"<option>{html.escape(m)}</option>" for m in members)
    return (
        f"<form class='step' method='post' action='/cases/{quoted(case.id)}/hand_off'>"
        f"<input type='hidden' name='expected_version' value='{case.version}'>"
        f"<p><label>by <input name='by' value='{html.escape(case.owner or 'agent')}'></label> "
        f"<label>to <select name='to'>{options}</select></label></p>"
        "<p><label>what they need to know <input name='summary' size='60'></label></p>"
        "<button>hand off</button></form>"
    )


def hand_off(desk: Desk, case_id: str, form: dict[str, str]) -> None:
    """Hand the case off as the form says (the version the agent saw must still hold)."""
    desk.teams.hand_off(
        case_id,
        to=form.get("to", ""),
        by=form.get("by") or "agent",
        summary=form.get("summary") or None,
        expected_version=int(form.get("expected_version") or 0) or None,
    )
