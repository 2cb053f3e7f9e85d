"""The Desk's old names: where each lives now that the Desk has areas."""

from __future__ import annotations

__all__ = ["MOVED"]

#: Where each name the Desk had before its areas lives now (see CHANGELOG.md).
MOVED: dict[str, str] = {
    "due_now": "standards.due",
    "deadlines": "standards.deadlines",
    "status": "standards.status",
    "escalate": "standards.escalate",
    "add_message": "conversation.add_message",
    "merge_cases": "conversation.merge",
    "split_case": "conversation.split",
    "move_channel": "conversation.move_channel",
    "await_customer": "conversation.await_customer",
    "customer_replied": "conversation.customer_replied",
    "request_verification": "conversation.request_verification",
    "verify": "conversation.verify",
    "promise": "promises.make",
    "keep_promise": "promises.keep",
    "promise_report": "reports.promises",
    "no_log": "reports.no_log",
    "insights": "reports.insights",
    "recovery_report": "reports.recovery",
    "invite": "surveys.invite",
    "respond": "surveys.respond",
    "record_answer": "surveys.record_answer",
    "invitation": "surveys.get",
    "invitations_of": "surveys.of_customer",
    "link": "customers.link",
    "unlink": "customers.unlink",
    "merge_customers": "customers.merge",
    "unmerge_customers": "customers.unmerge",
    "customer": "customers.get",
    "customer_of": "customers.of_handle",
    "cases_of_customer": "customers.cases",
    "erase_customer": "customers.erase",
    "dispatch": "outbox.dispatch",
    "dead_letters": "outbox.dead_letters",
    "requeue": "outbox.requeue",
}
