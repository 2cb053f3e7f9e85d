"""Surveys: NPS, CSAT and CES scoring, eligibility, invitations, recovery of low scores."""
