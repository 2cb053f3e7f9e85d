"""Texts in languages other than English, shipped as proof that the rest is the host's to add:
``Templates.german()`` (``Policy(locales={"de": Templates.german()})``)."""

from __future__ import annotations

__all__ = ["GERMAN", "GERMAN_DATES"]

#: Weekdays from Monday, months from January, and how a time reads in German.
GERMAN_DATES = {
    "weekdays": (
        "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag",
    ),
    "months": (
        "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
        "Oktober", "November", "Dezember",
    ),
    "pattern": "$weekday, $day. $month $year, $time Uhr $zone",
    "soon": "bald",
    "by": "bis",
    "no_deadline": "ohne Frist",
}  # fmt: skip

_REFERENCE = "Ihre Vorgangsnummer ist $case_id."

#: Every customer text of ``Templates`` in German (the staff alerts stay in the default).
GERMAN = {
    "acknowledgement_subject": 'Wir haben Ihre Nachricht zu "$matter" erhalten',
    "acknowledgement": (
        "Guten Tag,\n\n"
        'wir haben Ihre Nachricht zu "$matter" erhalten; $owner kümmert sich darum.\n'
        f"Sie hören $next_contact_when wieder von uns.\n\n{_REFERENCE}\n"
    ),
    "answer_subject": 'Ihre Frage zu "$matter"',
    "answer": (
        f'Guten Tag,\n\nSie haben uns zu "$matter" gefragt.\n\n$action\n\n{_REFERENCE} Wenn '
        "das Ihre Frage nicht beantwortet, antworten Sie bitte, und wir nehmen sie wieder auf.\n"
    ),
    "thanks_subject": 'Danke für Ihre Rückmeldung zu "$matter"',
    "thanks": (
        'Guten Tag,\n\ndanke, dass Sie uns auf "$matter" hingewiesen haben. Solche '
        "Rückmeldungen zeigen uns, was wir verbessern müssen, und wir sind Ihnen dankbar, "
        f"dass Sie sich die Zeit genommen haben.\n\n{_REFERENCE}\n"
    ),
    "thanks_compliment": (
        'Guten Tag,\n\nvielen Dank für Ihre freundlichen Worte zu "$matter". Wir haben sie an '
        "die Menschen weitergegeben, die sie verdient haben.\n"
    ),
    "explanation_subject": 'Was wir aus Ihrer Rückmeldung zu "$matter" gelernt haben',
    "explanation": (
        'Guten Tag,\n\nwir sind "$matter" nachgegangen.\n\n'
        "Was schiefgelaufen ist: $what_failed\nWas wir ändern: $what_changes\n\n"
        f"{_REFERENCE} Wenn das Ihr Anliegen nicht löst, antworten Sie bitte, und wir "
        "eröffnen Ihren Vorgang wieder.\n"
    ),
    "reply_subject": 'Zu "$matter"',
    "reply": f"$text\n\n{_REFERENCE}\n",
    "question_subject": 'Eine Frage zu "$matter"',
    "question": (
        'Guten Tag,\n\num bei "$matter" weiterzukommen, müssen wir Sie fragen:\n\n'
        f"$question\n\nBitte antworten Sie auf diese Nachricht. {_REFERENCE}\n"
    ),
    "closing_notice_subject": 'Wir schließen Ihren Vorgang zu "$matter"',
    "closing_notice": (
        'Guten Tag,\n\nwir hatten Sie zu "$matter" gefragt und noch keine Antwort erhalten:\n\n'
        "$question\n\nWenn Sie nicht bis $closes antworten, schließen wir Ihren Vorgang. "
        f"{_REFERENCE}\n"
    ),
    "late_notice_subject": 'Wir sind spät dran mit "$matter"',
    "late_notice": (
        'Guten Tag,\n\nzu "$matter" hatten wir Ihnen bis $was_due zugesagt: $promised. Das haben '
        "wir noch nicht geschafft, und das tut uns leid. Wir erledigen es bis $new_due.\n\n"
        f"{_REFERENCE}\n"
    ),
    "verification_subject": 'Haben wir "$matter" gelöst?',
    "verification": (
        'Guten Tag,\n\nwir haben Ihren Vorgang zu "$matter" abgeschlossen. Ist das Problem '
        "gelöst? Antworten Sie mit Ja oder Nein; ein Nein eröffnet Ihren Vorgang wieder.\n\n"
        f"{_REFERENCE}\n"
    ),
    "survey_invitation_subject": "$question",
    "survey_invitation": (
        "Guten Tag,\n\n$question\n\nAntworten Sie mit einem Klick: $survey_link\n\n"
        "Es dauert nur Sekunden, und der Link gilt bis $expires. Wenn wir Sie kontaktieren "
        "sollen, sagen Sie es uns auf der Seite.\n"
    ),
    "survey_reminder_subject": "Erinnerung: $question",
    "survey_reminder": (
        "Guten Tag,\n\nwir würden uns weiterhin über Ihre Antwort freuen: $question\n\n"
        "$survey_link\n\nDer Link gilt bis $expires.\n"
    ),
}
