-- The audit log and the email outbox.

-- +goose Up
-- Every change, who made it and from where. No foreign keys: the history of
-- an org or user outlives them.
CREATE TABLE audit_events (
    id              text PRIMARY KEY DEFAULT roster_new_id('evt')
                    CHECK (id ~ '^evt_[a-z2-7]{26}$'),
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    actor_type      text NOT NULL CHECK (actor_type IN ('admin', 'api_client', 'user', 'system', 'directory')),
    actor_id        text,
    actor_label     text,
    action          text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    organization_id text,
    user_id         text,
    target_type     text,
    target_id       text,
    -- {"field": {"from": …, "to": …}} or the created/deleted object.
    changes         jsonb NOT NULL DEFAULT '{}',
    ip              text,
    user_agent      text,
    request_id      text
);
CREATE INDEX audit_events_time ON audit_events (occurred_at DESC, id DESC);
CREATE INDEX audit_events_org ON audit_events (organization_id, occurred_at DESC) WHERE organization_id IS NOT NULL;
CREATE INDEX audit_events_user ON audit_events (user_id, occurred_at DESC) WHERE user_id IS NOT NULL;
CREATE INDEX audit_events_actor ON audit_events (actor_id, occurred_at DESC);
CREATE INDEX audit_events_action ON audit_events (action, occurred_at DESC);

-- Mail is written here in the same transaction as the change that causes it,
-- then sent by a worker. Workers claim rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE email_outbox (
    id              text PRIMARY KEY DEFAULT roster_new_id('eml')
                    CHECK (id ~ '^eml_[a-z2-7]{26}$'),
    to_address      text NOT NULL CHECK (char_length(to_address) <= 320),
    to_name         text NOT NULL DEFAULT '',
    subject         text NOT NULL CHECK (char_length(subject) <= 998),
    body_text       text NOT NULL,
    body_html       text NOT NULL DEFAULT '',
    kind            text NOT NULL,
    organization_id text,
    status          text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX email_outbox_recent ON email_outbox (created_at DESC);

-- +goose Down
DROP TABLE email_outbox;
DROP TABLE audit_events;
