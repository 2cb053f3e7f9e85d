"""The conversation around a case (``desk.conversation``): more messages from any channel,
replies, notes and logged contacts, pauses, duplicates merged and matters split, channel
moves, verification."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from closedloop.domain.cases import conversation as talk
from closedloop.domain.cases import steps as domain
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.contact import WaitingOn
from closedloop.domain.cases.events import Origin, OriginKind
from closedloop.domain.cases.feedback import Feedback
from closedloop.domain.change import Change
from closedloop.domain.checks import instant, require_key, require_text
from closedloop.domain.errors import ConcurrencyError, DuplicateExternalIdError, ValidationError
from closedloop.domain.standards import pauses
from closedloop.service.context import Context
from closedloop.service.lifecycle import advance, check_feedback, open_new, schedule

__all__ = ["Conversation", "add_message", "merge", "split"]


class Conversation:
    """One matter across channels and messages, reached as ``desk.conversation``.

    Every method records one event on the case (two for a merge or split) in one commit,
    and takes ``expected_version`` where a user acts on a case they read.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def add_message(self, case_id: str, feedback: Feedback) -> Case:
        """More from the customer on this case's matter, from any channel.

        An open case takes it as a new message. A closed one is reopened if the message
        came within ``Policy.reopen_within`` of the loop closing; a later message opens a new
        case that follows up the old one (``origin``). A repeated ``external_id`` returns
        the case that already holds it.
        """
        return add_message(self._ctx, case_id, feedback)

    def merge(self, into: str, other: str, *, by: str, reason: str) -> Case:
        """``other`` is a duplicate of ``into`` (one matter, two cases): its messages join
        ``into``, and ``other`` stops — no deadlines, no more steps (they are refused,
        naming ``into``), messages added to it go to ``into`` — with its history kept.
        One commit; returns ``into``."""
        return merge(self._ctx, into, other, by, reason)

    def split(
        self, case_id: str, messages: Sequence[int], *, by: str, reason: str
    ) -> tuple[Case, Case]:
        """Two matters on one case: the messages at positions ``messages`` (0 is the
        first) move to a new case, opened now with its own deadlines and an ``origin``
        naming this one; both keep their history. One commit; returns (this case, the
        new one)."""
        return split(self._ctx, case_id, messages, by, reason)

    def move_channel(
        self,
        case_id: str,
        channel: Channel,
        *,
        by: str,
        reason: str = "",
        expected_version: int | None = None,
    ) -> Case:
        """Move the conversation to ``channel`` (public social media to private email):
        one case, its history and its clocks; replies go out on the new channel."""
        ctx = self._ctx
        ctx.policy.check_channel(channel)
        return advance(
            ctx,
            case_id,
            lambda c, now: talk.move_channel(c, channel, at=now, by=by, reason=reason),
            expected_version=expected_version,
        )

    def reply(
        self, case_id: str, text: str, *, by: str, expected_version: int | None = None
    ) -> Case:
        """Write to the customer in your own words, on the case's reply channel, through the
        outbox: it answers a reply owed (G2) and counts as a personal contact (G3)."""
        ctx = self._ctx
        return advance(
            ctx,
            case_id,
            lambda c, now: talk.reply(c, text, at=now, by=by, due_at=schedule(ctx)),
            "reply",
            expected_version,
        )

    def note(
        self, case_id: str, text: str, *, by: str, expected_version: int | None = None
    ) -> Case:
        """An internal note on the case: kept in its history, never sent to the customer."""
        return advance(
            self._ctx,
            case_id,
            lambda c, now: talk.note(c, text, at=now, by=by),
            expected_version=expected_version,
        )

    def log_contact(
        self,
        case_id: str,
        channel: Channel,
        summary: str,
        *,
        by: str,
        expected_version: int | None = None,
    ) -> Case:
        """Record a contact made outside closedloop (a phone call, a visit): it answers a
        reply owed and counts as a personal contact."""
        ctx = self._ctx
        ctx.policy.check_channel(channel)
        return advance(
            ctx,
            case_id,
            lambda c, now: talk.log_contact(
                c, channel, summary, at=now, by=by, due_at=schedule(ctx)
            ),
            expected_version=expected_version,
        )

    def await_customer(
        self,
        case_id: str,
        *,
        by: str,
        question: str,
        resume_by: datetime | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """Ask the customer something (the ``question`` notification) and stop the clocks
        until they answer. If they stay silent until ``resume_by`` (by default
        ``Policy.silence.notice_after`` of business time), the sweep tells them the case
        will close, and closes it ``Policy.silence.close_after`` later unless they write."""
        ctx = self._ctx

        def move(case: Case, now: datetime) -> Case:
            until = resume_by if resume_by is not None else ctx.policy.silence.notice_due(now)
            paused = pauses.pause(
                case, WaitingOn.CUSTOMER, at=now, by=by, reason=question, resume_by=until,
                question=question, due_at=schedule(ctx),
            )  # fmt: skip
            # The question is the pause's reason too: refuse it under its own name first.
            require_text("question", question, ctx.policy.limits.text)
            return paused

        return advance(ctx, case_id, move, "question", expected_version)

    def hold(
        self,
        case_id: str,
        waiting_on: WaitingOn,
        *,
        by: str,
        reason: str,
        resume_by: datetime,
        expected_version: int | None = None,
    ) -> Case:
        """Stop the clocks while the case waits on a third party or a date, until
        ``resume_by`` at the latest (the sweep resumes it then). A word from the customer
        resumes it sooner; a reply owed to them is not paused."""
        ctx = self._ctx
        if waiting_on is WaitingOn.CUSTOMER:
            raise ValidationError.of(
                "waiting_on", "to wait on the customer, ask them: use await_customer()"
            )
        return advance(
            ctx,
            case_id,
            lambda case, now: pauses.pause(
                case, waiting_on, at=now, by=by, reason=reason, resume_by=resume_by,
                due_at=schedule(ctx),
            ),
            expected_version=expected_version,
        )  # fmt: skip

    def resume(
        self, case_id: str, *, by: str, reason: str, expected_version: int | None = None
    ) -> Case:
        """End a pause now (the third party answered): the clocks run again, deadlines moved
        by the pause."""
        ctx = self._ctx
        return advance(
            ctx,
            case_id,
            lambda case, now: pauses.resume(
                case, at=now, by=by, reason=reason, due_at=schedule(ctx)
            ),
            expected_version=expected_version,
        )

    def customer_replied(
        self,
        case_id: str,
        *,
        text: str,
        by: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """The customer answered the question: the clocks run again, deadlines moved by the
        pause, and they are owed a reply. (Any message from them does the same:
        :meth:`add_message`, or feedback that joins the case.)"""
        ctx = self._ctx
        return advance(
            ctx,
            case_id,
            lambda case, now: pauses.customer_replied(
                case,
                at=now,
                by=case.customer if by is None else by,
                text=text,
                due_at=schedule(ctx),
            ),
            expected_version=expected_version,
        )

    def request_verification(
        self, case_id: str, *, by: str, expected_version: int | None = None
    ) -> Case:
        """After the loop closed, ask the customer "did this resolve it?" (the
        ``verification`` notification)."""
        return advance(
            self._ctx,
            case_id,
            lambda c, now: talk.request_verification(c, at=now, by=by),
            "verification",
            expected_version,
        )

    def verify(
        self,
        case_id: str,
        *,
        resolved: bool,
        comment: str = "",
        by: str | None = None,
        expected_version: int | None = None,
    ) -> Case:
        """The customer's answer: a yes records the confirmation, a no reopens the case.
        ``by`` defaults to the customer."""
        ctx = self._ctx
        return advance(
            ctx,
            case_id,
            lambda c, now: talk.verify(
                c, resolved=resolved, comment=comment, at=now,
                by=by if by is not None else c.customer, due_at=schedule(ctx),
                lifecycle=ctx.policy.lifecycle, window=ctx.policy.reopen_within,
            ),
            expected_version=expected_version,
        )  # fmt: skip


def merge(ctx: Context, into: str, other: str, by: str, reason: str) -> Case:
    """Merge the duplicate ``other`` into ``into``, in one commit; returns ``into``."""
    a, b = ctx.store.get(require_key("into", into)), ctx.store.get(require_key("other", other))
    now = ctx.now_for(a, b)  # the later of both cases if the clock stepped back
    gained, stopped = talk.merge_cases(a, b, at=now, by=by, reason=reason, due_at=schedule(ctx))
    more = [  # the step hooks see both: surveys withdraw their invitations about either
        write
        for hook in ctx.hooks.on_step
        for before, after in ((a, gained), (b, stopped))
        for write in hook(ctx, before, after, now)
    ]
    ctx.commit_many([Change(gained, a.version), Change(stopped, b.version), *more])
    return gained


def split(
    ctx: Context, case_id: str, messages: Sequence[int], by: str, reason: str
) -> tuple[Case, Case]:
    """Split the messages at positions ``messages`` off onto a new case, in one commit;
    returns the source case and the new one."""
    case = ctx.store.get(case_id)
    source, new = talk.split_case(
        case, messages, new_id=ctx.new_id(), at=ctx.now_for(case), by=by, reason=reason,
        due_at=schedule(ctx),
    )  # fmt: skip
    ctx.commit_many([Change(source, case.version), Change(new, 0)])
    return source, new


def add_message(ctx: Context, case_id: str, feedback: Feedback) -> Case:
    """Join ``feedback`` to the case; reopen it within the reopen window, or follow it up
    with a new case after that. Safe under concurrency: a delivery seen twice (its
    ``external_id``) joins once, and a case another writer changed meanwhile is read again."""
    check_feedback(ctx, feedback)
    for attempt in range(_ATTEMPTS):
        if feedback.external_id is not None:
            existing = ctx.store.find_by_external_id(feedback.external_id)
            if existing is not None:
                return existing
        try:
            return _add_once(ctx, case_id, feedback)
        except (ConcurrencyError, DuplicateExternalIdError):
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


#: How often add_message reads a case again when other writers keep changing it: the last
#: of n messages joining one case at once may need n.
_ATTEMPTS = 10


def join(ctx: Context, case: Case, feedback: Feedback) -> Case:
    """Join ``feedback`` to ``case`` as the caller read it, once: a case changed since
    (closed, erased, merged, or only written to) raises ``ConcurrencyError``, so that the
    caller, which chose the case by what it read, can choose again."""
    return _add_once(ctx, case.id, feedback, expected=case.version)


def _add_once(ctx: Context, case_id: str, feedback: Feedback, expected: int | None = None) -> Case:
    case = ctx.store.get(case_id)
    if expected is not None and case.version != expected:
        raise ConcurrencyError(case_id, expected, case.version)
    key = feedback.external_id
    if key is not None and any(m.external_id == key for m in case.messages):
        return case  # it joined since we looked it up; the version check covers the rest
    if case.merged_into is not None:  # the matter continues on the case it was merged into
        return add_message(ctx, case.merged_into, feedback)
    closed_at = case.closed_at
    if closed_at is not None and instant(feedback.received_at) - instant(closed_at) > (
        ctx.policy.reopen_within
    ):
        follow_up = open_new(
            ctx, feedback, ctx.clock.now(), Origin(OriginKind.FOLLOW_UP, case_id=case.id)
        )
        ctx.commit(Change(follow_up, expected_version=0))
        return follow_up

    def move(current: Case, now: datetime) -> Case:
        joined = talk.add_message(
            current, feedback, at=now, by=feedback.customer, due_at=schedule(ctx)
        )
        if not current.is_closed:
            return joined
        return domain.reopen(
            joined, at=now, by=feedback.customer, due_at=schedule(ctx),
            reason="the customer wrote again after the loop was closed",
            lifecycle=ctx.policy.lifecycle,
        )  # fmt: skip

    return advance(ctx, case.id, move, read=case)
