"""The mail outbox: messages queued in the transaction that causes them, delivered by a sender in the
service over SMTP, retried with backoff, never lost."""
