"""The example helpdesk's queues, over real HTTP: billing feedback goes to the billing team
in turn, the lists (a team's, an agent's, nobody's, red first) come from desk.queues.find,
and a hand-off carries its summary to the next owner."""

from __future__ import annotations

import re

from closedloop.events import Assigned
from tests.test_helpdesk_example import Running, helpdesk, version_on

__all__ = ["helpdesk"]  # the fixture, shared with the example's other tests


def _open(helpdesk: Running, customer: str, topic: str) -> str:
    form = {"customer": customer, "kind": "complaint", "text": f"About {topic}", "topic": topic}
    status, page = helpdesk.call("/feedback", form)
    assert status == 201, page
    helpdesk.clock.advance(minutes=1)  # each case its own instant: lists keep their order
    found = re.search(r"case ([\w-]+)\)", page)
    assert found is not None, page
    return found.group(1)


def _listed(page: str) -> list[str]:
    return re.findall(r"<a href='/cases/([\w%-]+)'>", page)


def test_feedback_goes_to_its_team_in_turn_and_each_list_finds_its_cases(
    helpdesk: Running,
) -> None:
    first = _open(helpdesk, "mary@example.com", "billing")
    second = _open(helpdesk, "olu@example.com", "billing")
    other = _open(helpdesk, "kim@example.com", "delivery")
    desk = helpdesk.app.desk
    assert [desk.get(c).owner for c in (first, second)] == ["cy", "dee"]
    assert (desk.get(other).team, desk.get(other).owner) == ("care", "amy")
    assert desk.get(first).tags == ("billing",)

    assert _listed(helpdesk.call("/?team=billing")[1]) == [first, second]
    assert _listed(helpdesk.call("/?owner=dee")[1]) == [second]
    assert _listed(helpdesk.call("/?team=care")[1]) == [other]
    helpdesk.clock.advance(hours=5)  # nobody acknowledged them: all red
    assert _listed(helpdesk.call("/?rag=red&team=billing")[1]) == [first, second]
    assert _listed(helpdesk.call("/?rag=green")[1]) == []
    page = helpdesk.call("/")[1]
    assert "3 unanswered" in page
    assert _listed(page) == [first, second, other]  # red first: the earliest deadline first


def test_a_hand_off_from_the_case_page_reaches_the_next_owner_with_its_summary(
    helpdesk: Running,
) -> None:
    case_id = _open(helpdesk, "mary@example.com", "billing")
    page = helpdesk.call(f"/cases/{case_id}")[1]
    assert "hand off" in page
    form = {
        "expected_version": version_on(page.split("hand_off")[1]),
        "by": "cy",
        "to": "dee",
        "summary": "Charged twice on 3 Nov; refund approved",
    }
    status, _ = helpdesk.call(f"/cases/{case_id}/hand_off", form)
    assert status == 200  # followed the redirect to the case
    case = helpdesk.app.desk.get(case_id)
    handed = case.events[-1]
    assert case.owner == "dee"
    assert isinstance(handed, Assigned)
    assert handed.summary == "Charged twice on 3 Nov; refund approved"
    assert case.effort.hand_offs == 1
    assert _listed(helpdesk.call("/?owner=dee")[1]) == [case_id]
    assert _listed(helpdesk.call("/?owner=cy")[1]) == []


def test_the_list_pages_through_many_cases(helpdesk: Running) -> None:
    opened = []
    for n in range(30):
        opened.append(_open(helpdesk, f"c{n}@example.com", "delivery"))
    page = helpdesk.call("/?order=oldest_first")[1]
    first = _listed(page)
    nxt = re.search(r"<a href='/\?([^']+)'>Next page</a>", page)
    assert nxt is not None
    rest = _listed(helpdesk.call("/?" + nxt.group(1).replace("&amp;", "&"))[1])
    assert first + rest == opened
