"""The admin shows closedloop's cases (with their history), outbox, dead letters and survey
invitations of the configured tenant, read-only; its one action requeues dead letters."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import make_feedback

pytestmark = pytest.mark.usefixtures("tenant")


@pytest.fixture
def admin_client() -> Any:
    """A test client logged in as a superuser."""
    from django.contrib.auth.models import User
    from django.test import Client

    user, _ = User.objects.get_or_create(
        username="boss", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff_client() -> Any:
    """A test client logged in as staff who may view closedloop's pages, not requeue."""
    from django.contrib.auth.models import Permission, User
    from django.test import Client

    user, _ = User.objects.get_or_create(username="viewer", defaults={"is_staff": True})
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="closedloop", codename__startswith="view_"
        )
    )
    client = Client()
    client.force_login(user)
    return client


def test_the_case_list_shows_this_tenants_cases(admin_client: Any, tenant: str) -> None:
    from closedloop.contrib.django import desk
    from closedloop.contrib.django.conf import wiring

    mine = desk().listen(make_feedback(customer="mine@example.com"))
    other = wiring().at(tenant=f"{tenant}-other").listen(make_feedback(customer="not@example.com"))
    page = admin_client.get("/admin/closedloop/case/")
    assert page.status_code == 200
    text = page.content.decode()
    assert mine.id in text
    assert "mine@example.com" in text
    assert other.id not in text
    assert admin_client.get(f"/admin/closedloop/case/{other.id}/change/").status_code == 302


def test_a_case_page_shows_its_history_and_offers_no_change(admin_client: Any) -> None:
    from closedloop.contrib.django import desk

    case = desk().listen(make_feedback())
    desk().acknowledge(case.id, by="amy")
    page = admin_client.get(f"/admin/closedloop/case/{case.id}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "CaseOpened" in text
    assert "<td>Acknowledged</td><td>amy</td>" in text.replace("\n", "")
    assert 'name="_save"' not in text  # read-only: no save button
    assert "delete" not in page.context["adminform"].form.fields


def test_nothing_is_added_changed_or_deleted_through_the_admin(admin_client: Any) -> None:
    from closedloop.contrib.django import desk

    case = desk().listen(make_feedback())
    base = "/admin/closedloop/case/"
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.get(f"{base}{case.id}/delete/").status_code == 403
    posted = admin_client.post(f"{base}{case.id}/change/", {"customer": "evil@example.com"})
    assert posted.status_code == 403
    listed = admin_client.post(base, {"action": "delete_selected", "_selected_action": [case.id]})
    assert listed.status_code == 200  # the unknown action is refused with a message
    assert desk().get(case.id).customer == "mary@example.com"


def dead_letter() -> str:
    """A case whose acknowledgement went to a customer handle with no address: dead."""
    from closedloop.contrib.django import desk

    case = desk().listen(make_feedback(customer="mary"))
    desk().acknowledge(case.id, by="amy")
    report = desk().outbox.dispatch()
    [key] = report.dead
    return key


def test_dead_letters_are_listed_and_the_requeue_action_requeues_them(admin_client: Any) -> None:
    from closedloop.contrib.django import desk

    key = dead_letter()
    page = admin_client.get("/admin/closedloop/deadletter/")
    assert page.status_code == 200
    assert key in page.content.decode()
    assert "not an email address" in page.content.decode()  # why it died
    shown = admin_client.get(f"/admin/closedloop/deadletter/{key}/change/").content.decode()
    assert "We have received your message about" in shown  # the subject
    assert "web_form" in shown  # the channel
    done = admin_client.post(
        "/admin/closedloop/deadletter/",
        {"action": "requeue", "_selected_action": [key]},
        follow=True,
    )
    assert "1 requeued" in done.content.decode()
    assert desk().outbox.dead_letters() == []
    assert admin_client.get("/admin/closedloop/deadletter/").content.decode().count(key) == 0
    outbox = admin_client.get("/admin/closedloop/outboxmessage/").content.decode()
    assert key in outbox
    assert "pending" in outbox


def test_requeue_leaves_a_message_that_is_not_dead_alone(admin_client: Any) -> None:
    from closedloop.contrib.django import desk
    from closedloop.contrib.django.models import OutboxMessage

    case = desk().listen(make_feedback())
    desk().acknowledge(case.id, by="amy")

    [message] = OutboxMessage.objects.filter(case_id=case.id)
    done = admin_client.post(
        "/admin/closedloop/outboxmessage/",
        {"action": "requeue", "_selected_action": [message.key]},
        follow=True,
    )
    assert "0 requeued; 1 not dead left as they were" in done.content.decode()
    assert OutboxMessage.objects.get(key=message.key).status == "pending"


def test_staff_without_the_permission_see_no_requeue(staff_client: Any) -> None:
    from closedloop.contrib.django import desk

    key = dead_letter()
    page = staff_client.get("/admin/closedloop/deadletter/")
    assert page.status_code == 200
    assert key in page.content.decode()
    assert 'value="requeue"' not in page.content.decode()
    staff_client.post(
        "/admin/closedloop/deadletter/", {"action": "requeue", "_selected_action": [key]}
    )
    assert [m.key for m in desk().outbox.dead_letters()] == [key]


def test_survey_invitations_are_listed(admin_client: Any) -> None:
    from closedloop import Survey, SurveyKind
    from closedloop.contrib.django import desk

    case = desk().listen(make_feedback())
    survey = Survey("shop", SurveyKind.CSAT, "How satisfied were you?")
    invitation = desk().surveys.invite(survey, case_id=case.id).invitation
    page = admin_client.get("/admin/closedloop/invitation/")
    assert page.status_code == 200
    text = page.content.decode()
    assert invitation.id in text
    assert invitation.status.value in text
    shown = admin_client.get(f"/admin/closedloop/invitation/{invitation.id}/change/")
    assert case.id in shown.content.decode()


def test_the_admin_models_have_their_migration() -> None:
    from django.core.management import call_command

    call_command("makemigrations", "closedloop", "--check", "--dry-run", verbosity=0)


def test_the_models_default_manager_reads_the_configured_tenant(tenant: str) -> None:
    from closedloop.contrib.django import desk
    from closedloop.contrib.django.conf import wiring
    from closedloop.contrib.django.models import Case, DeadLetter, OutboxMessage

    mine = desk().listen(make_feedback(customer="mine@example.com"))
    wiring().at(tenant=f"{tenant}-other").listen(make_feedback(customer="not@example.com"))
    assert [case.id for case in Case.objects.all()] == [mine.id]
    assert Case.all_tenants.filter(tenant__startswith=tenant).count() == 2
    assert OutboxMessage.objects.count() == DeadLetter.objects.count() == 0
