"""Calendar invites and the mail outbox (issue 7): ics.py renders invites; no database, no mail."""
