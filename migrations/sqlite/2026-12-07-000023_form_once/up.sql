-- A web form's one-time token: the first post's answer, kept a day and replayed to a repeat
-- (a double click, Back and resend, a retry on a slow link) instead of acting twice.
CREATE TABLE form_once (
    user_id TEXT NOT NULL,
    token TEXT NOT NULL,
    -- NULL while the first post is being handled.
    status INTEGER,
    location TEXT,
    content_type TEXT,
    body TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, token)
);
CREATE INDEX form_once_created ON form_once(created_at);
