"""The async views of the Desk's areas: ``await adesk.conversation.reply(...)`` and so on,
each method the sync area's, with its parameters, run on the AsyncDesk's threads."""

from __future__ import annotations

from closedloop.aio.runner import Wrapper, awaitable
from closedloop.service.conversation import Conversation
from closedloop.service.customers import Customers
from closedloop.service.inbox import Inbox
from closedloop.service.outbox import Outbox
from closedloop.service.portal import Portal
from closedloop.service.promises import Promises
from closedloop.service.queues import Queues
from closedloop.service.reports import Reports
from closedloop.service.standards import Standards
from closedloop.service.surveys import Surveys
from closedloop.service.teams import Teams

__all__ = [
    "AsyncConversation",
    "AsyncCustomers",
    "AsyncInbox",
    "AsyncOutbox",
    "AsyncPortal",
    "AsyncPromises",
    "AsyncQueues",
    "AsyncReports",
    "AsyncStandards",
    "AsyncSurveys",
    "AsyncTeams",
]


class AsyncConversation(Wrapper[Conversation]):
    """``adesk.conversation``: more messages, merges and splits, channel moves, waiting for
    the customer. Every method is ``desk.conversation``'s, awaited."""

    add_message = awaitable(Conversation.add_message)
    """``desk.conversation.add_message``, awaited."""
    merge = awaitable(Conversation.merge)
    """``desk.conversation.merge``, awaited."""
    split = awaitable(Conversation.split)
    """``desk.conversation.split``, awaited."""
    move_channel = awaitable(Conversation.move_channel)
    """``desk.conversation.move_channel``, awaited."""
    reply = awaitable(Conversation.reply)
    """``desk.conversation.reply``, awaited."""
    note = awaitable(Conversation.note)
    """``desk.conversation.note``, awaited."""
    log_contact = awaitable(Conversation.log_contact)
    """``desk.conversation.log_contact``, awaited."""
    await_customer = awaitable(Conversation.await_customer)
    """``desk.conversation.await_customer``, awaited."""
    hold = awaitable(Conversation.hold)
    """``desk.conversation.hold``, awaited."""
    resume = awaitable(Conversation.resume)
    """``desk.conversation.resume``, awaited."""
    customer_replied = awaitable(Conversation.customer_replied)
    """``desk.conversation.customer_replied``, awaited."""
    request_verification = awaitable(Conversation.request_verification)
    """``desk.conversation.request_verification``, awaited."""
    verify = awaitable(Conversation.verify)
    """``desk.conversation.verify``, awaited."""


class AsyncStandards(Wrapper[Standards]):
    """``adesk.standards``: deadlines, RAG status, due cases, escalations by the customer.
    Every method is ``desk.standards``'s, awaited."""

    deadlines = awaitable(Standards.deadlines)
    """``desk.standards.deadlines``, awaited."""
    status = awaitable(Standards.status)
    """``desk.standards.status``, awaited."""
    due = awaitable(Standards.due)
    """``desk.standards.due``, awaited."""
    escalate = awaitable(Standards.escalate)
    """``desk.standards.escalate``, awaited."""


class AsyncPromises(Wrapper[Promises]):
    """``adesk.promises``: promises made to customers, tracked until kept.
    Every method is ``desk.promises``'s, awaited."""

    make = awaitable(Promises.make)
    """``desk.promises.make``, awaited."""
    keep = awaitable(Promises.keep)
    """``desk.promises.keep``, awaited."""


class AsyncSurveys(Wrapper[Surveys]):
    """``adesk.surveys``: invitations, answers and recovery of low scores.
    Every method is ``desk.surveys``'s, awaited."""

    invite = awaitable(Surveys.invite)
    """``desk.surveys.invite``, awaited."""
    respond = awaitable(Surveys.respond)
    """``desk.surveys.respond``, awaited."""
    record_answer = awaitable(Surveys.record_answer)
    """``desk.surveys.record_answer``, awaited."""
    get = awaitable(Surveys.get)
    """``desk.surveys.get``, awaited."""
    of_customer = awaitable(Surveys.of_customer)
    """``desk.surveys.of_customer``, awaited."""


class AsyncCustomers(Wrapper[Customers]):
    """``adesk.customers``: one customer behind many handles; erasure.
    Every method is ``desk.customers``'s, awaited."""

    link = awaitable(Customers.link)
    """``desk.customers.link``, awaited."""
    unlink = awaitable(Customers.unlink)
    """``desk.customers.unlink``, awaited."""
    merge = awaitable(Customers.merge)
    """``desk.customers.merge``, awaited."""
    unmerge = awaitable(Customers.unmerge)
    """``desk.customers.unmerge``, awaited."""
    get = awaitable(Customers.get)
    """``desk.customers.get``, awaited."""
    of_handle = awaitable(Customers.of_handle)
    """``desk.customers.of_handle``, awaited."""
    cases = awaitable(Customers.cases)
    """``desk.customers.cases``, awaited."""
    erase = awaitable(Customers.erase)
    """``desk.customers.erase``, awaited."""


class AsyncPortal(Wrapper[Portal]):
    """``adesk.portal``: the customer's status links. Every method is ``desk.portal``'s,
    awaited."""

    link = awaitable(Portal.link)
    """``desk.portal.link``, awaited."""
    url = awaitable(Portal.url)
    """``desk.portal.url``, awaited."""
    view = awaitable(Portal.view)
    """``desk.portal.view``, awaited."""
    write = awaitable(Portal.write)
    """``desk.portal.write``, awaited."""
    not_resolved = awaitable(Portal.not_resolved)
    """``desk.portal.not_resolved``, awaited."""


class AsyncInbox(Wrapper[Inbox]):
    """``adesk.inbox``: inbound email. Every method is ``desk.inbox``'s, awaited."""

    receive = awaitable(Inbox.receive)
    """``desk.inbox.receive``, awaited."""


class AsyncOutbox(Wrapper[Outbox]):
    """``adesk.outbox``: delivering notifications; retries and dead letters.
    Every method is ``desk.outbox``'s, awaited."""

    dispatch = awaitable(Outbox.dispatch)
    """``desk.outbox.dispatch``, awaited."""
    dead_letters = awaitable(Outbox.dead_letters)
    """``desk.outbox.dead_letters``, awaited."""
    requeue = awaitable(Outbox.requeue)
    """``desk.outbox.requeue``, awaited."""


class AsyncReports(Wrapper[Reports]):
    """``adesk.reports``: insights, promises, the no log and recovery of a period.
    Every method is ``desk.reports``'s, awaited."""

    insights = awaitable(Reports.insights)
    """``desk.reports.insights``, awaited."""
    rebuild_facts = awaitable(Reports.rebuild_facts)
    """``desk.reports.rebuild_facts``, awaited."""
    promises = awaitable(Reports.promises)
    """``desk.reports.promises``, awaited."""
    no_log = awaitable(Reports.no_log)
    """``desk.reports.no_log``, awaited."""
    recovery = awaitable(Reports.recovery)
    """``desk.reports.recovery``, awaited."""


class AsyncQueues(Wrapper[Queues]):
    """``adesk.queues``: tags, custom fields and finding cases. Every method is
    ``desk.queues``'s, awaited."""

    tag = awaitable(Queues.tag)
    """``desk.queues.tag``, awaited."""
    set_fields = awaitable(Queues.set_fields)
    """``desk.queues.set_fields``, awaited."""
    find = awaitable(Queues.find)
    """``desk.queues.find``, awaited."""
    summaries = awaitable(Queues.summaries)
    """``desk.queues.summaries``, awaited."""
    reindex = awaitable(Queues.reindex)
    """``desk.queues.reindex``, awaited."""


class AsyncTeams(Wrapper[Teams]):
    """``adesk.teams``: teams, availability, assignment and hand-offs. Every method is
    ``desk.teams``'s, awaited."""

    team = awaitable(Teams.team)
    """``desk.teams.team``, awaited."""
    members = awaitable(Teams.members)
    """``desk.teams.members``, awaited."""
    availability = awaitable(Teams.availability)
    """``desk.teams.availability``, awaited."""
    available = awaitable(Teams.available)
    """``desk.teams.available``, awaited."""
    away = awaitable(Teams.away)
    """``desk.teams.away``, awaited."""
    back = awaitable(Teams.back)
    """``desk.teams.back``, awaited."""
    assign = awaitable(Teams.assign)
    """``desk.teams.assign``, awaited."""
    hand_off = awaitable(Teams.hand_off)
    """``desk.teams.hand_off``, awaited."""
    route = awaitable(Teams.route)
    """``desk.teams.route``, awaited."""
