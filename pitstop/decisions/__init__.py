"""Decisions on agenda items: outcomes, rationale, re-grade, MARAC referral, dissent, deferral."""
