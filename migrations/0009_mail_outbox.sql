-- The mail outbox: a message is queued in the same transaction as the change that causes it, and a
-- sender inside the service delivers it (pitstop.mail). A crash or a refused connection loses nothing:
-- a message stays queued until it is sent, retried with backoff. Each message has one recipient and a
-- Message-ID fixed when it is queued, so a message delivered twice (only the one in flight at a crash)
-- is the same message to the recipient's mail system.
CREATE TABLE mail_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partnership_id  bigint NOT NULL REFERENCES partnership (id),
    message_id      text NOT NULL,
    -- What it is about, for the outbox page: invite, invite_update, cancellation, ...
    kind            text NOT NULL,
    recipient_name  text,
    recipient       text NOT NULL,
    subject         text NOT NULL,
    body_text       text NOT NULL,
    -- An iTIP calendar part (REQUEST, CANCEL) sent inline and as an .ics attachment, or NULL.
    calendar        text,
    calendar_method text,
    -- queued (to send, now or at next_attempt_at), sent, failed (gave up after the last attempt)
    state           text NOT NULL DEFAULT 'queued',
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- The error's kind and SMTP code only: an SMTP server's text may quote the address.
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    CONSTRAINT mail_outbox_message_id_key UNIQUE (message_id),
    CONSTRAINT mail_outbox_state_known CHECK (state IN ('queued', 'sent', 'failed')),
    CONSTRAINT mail_outbox_method_known CHECK (
        calendar_method IS NULL OR calendar_method IN ('REQUEST', 'CANCEL', 'PUBLISH')
    ),
    CONSTRAINT mail_outbox_calendar_has_method CHECK ((calendar IS NULL) = (calendar_method IS NULL)),
    CONSTRAINT mail_outbox_recipient_format CHECK (recipient ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    CONSTRAINT mail_outbox_sent_has_time CHECK (state <> 'sent' OR sent_at IS NOT NULL)
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX mail_outbox_partnership_idx ON mail_outbox (partnership_id, id DESC);

GRANT SELECT, INSERT ON mail_outbox TO pitstop_app;
GRANT UPDATE (state, attempts, next_attempt_at, last_error, sent_at) ON mail_outbox TO pitstop_app;
