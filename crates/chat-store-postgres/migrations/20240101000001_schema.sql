-- The chat store schema (chat-store-postgres).
--
-- Conventions:
-- * Every row belongs to one app: `app_id` leads every key.
-- * Ids are text with COLLATE "C" so ordering and tie-breaks compare bytes, like the
--   reference store.
-- * Times are microseconds since the Unix epoch (bigint), exactly `chat_core::time::Timestamp`.
-- * `data` holds the domain struct's content (its serde shape) minus the fields that live in
--   columns: keys, and the counters/summaries owned by the atomic store methods. A field
--   lives in exactly one place; GENERATED columns are read-only copies of `data` for
--   filtering and indexing.

CREATE TABLE apps (
    id      text COLLATE "C" PRIMARY KEY,
    data    jsonb  NOT NULL,
    version bigint NOT NULL,
    api_key text COLLATE "C" GENERATED ALWAYS AS (data ->> 'api_key') STORED
        CONSTRAINT apps_api_key_key UNIQUE
);

CREATE TABLE users (
    app_id         text COLLATE "C" NOT NULL,
    id             text COLLATE "C" NOT NULL,
    data           jsonb  NOT NULL,
    version        bigint NOT NULL,
    deleted_at     bigint GENERATED ALWAYS AS ((data ->> 'deleted_at')::bigint) STORED,
    deactivated_at bigint GENERATED ALWAYS AS ((data ->> 'deactivated_at')::bigint) STORED,
    CONSTRAINT users_pkey PRIMARY KEY (app_id, id)
);

CREATE TABLE channel_types (
    app_id  text COLLATE "C" NOT NULL,
    name    text COLLATE "C" NOT NULL,
    data    jsonb  NOT NULL,
    version bigint NOT NULL,
    CONSTRAINT channel_types_pkey PRIMARY KEY (app_id, name)
);

-- Counters are columns: the atomic methods update them in place under the row lock.
CREATE TABLE channels (
    app_id          text COLLATE "C" NOT NULL,
    cid             text COLLATE "C" NOT NULL,
    data            jsonb    NOT NULL,
    version         bigint   NOT NULL,
    member_count    bigint   NOT NULL DEFAULT 0,
    message_count   bigint   NOT NULL DEFAULT 0,
    last_message_at bigint,
    last_seq        bigint   NOT NULL DEFAULT 0,
    truncated_seq   bigint   NOT NULL DEFAULT 0,
    -- Sequences of counted messages deleted since the last truncate, ascending (few).
    deleted_seqs    bigint[] NOT NULL DEFAULT '{}',
    CONSTRAINT channels_pkey PRIMARY KEY (app_id, cid)
);

CREATE TABLE members (
    app_id  text COLLATE "C" NOT NULL,
    cid     text COLLATE "C" NOT NULL,
    user_id text COLLATE "C" NOT NULL,
    hidden  boolean NOT NULL DEFAULT false,
    data    jsonb   NOT NULL,
    version bigint  NOT NULL,
    CONSTRAINT members_pkey PRIMARY KEY (app_id, cid, user_id),
    CONSTRAINT members_channel_fkey FOREIGN KEY (app_id, cid)
        REFERENCES channels (app_id, cid) ON DELETE CASCADE
);
CREATE INDEX members_by_user ON members (app_id, user_id, cid);
-- Un-hiding on send visits only the members who hid the channel.
CREATE INDEX members_hidden ON members (app_id, cid) WHERE hidden;

-- One cursor per member (chat_core::read_state::ReadState).
CREATE TABLE read_states (
    app_id               text COLLATE "C" NOT NULL,
    cid                  text COLLATE "C" NOT NULL,
    user_id              text COLLATE "C" NOT NULL,
    last_read_seq        bigint NOT NULL,
    last_read_at         bigint NOT NULL,
    last_read_message_id text COLLATE "C",
    own_after_cursor     bigint NOT NULL DEFAULT 0,
    CONSTRAINT read_states_pkey PRIMARY KEY (app_id, cid, user_id),
    CONSTRAINT read_states_member_fkey FOREIGN KEY (app_id, cid, user_id)
        REFERENCES members (app_id, cid, user_id) ON DELETE CASCADE
);
CREATE INDEX read_states_by_user ON read_states (app_id, user_id, cid);

CREATE TABLE messages (
    app_id              text COLLATE "C" NOT NULL,
    id                  text COLLATE "C" NOT NULL,
    cid                 text COLLATE "C" NOT NULL,
    user_id             text COLLATE "C" NOT NULL,
    parent_id           text COLLATE "C",
    created_at          bigint  NOT NULL,
    seq                 bigint  NOT NULL,
    counted             boolean NOT NULL,
    deleted_at          bigint,
    -- Thread summary (on parents).
    reply_count         bigint  NOT NULL DEFAULT 0,
    deleted_reply_count bigint  NOT NULL DEFAULT 0,
    participants        text[] COLLATE "C" NOT NULL DEFAULT '{}',
    last_reply_at       bigint,
    -- chat_core::model::ReactionSummary, recomputed from `reactions` under the row lock.
    reaction_summary    jsonb   NOT NULL DEFAULT '{"groups": {}, "latest": []}',
    data                jsonb   NOT NULL,
    version             bigint  NOT NULL,
    in_list             boolean GENERATED ALWAYS AS
        (parent_id IS NULL OR coalesce((data ->> 'show_in_channel')::boolean, false)) STORED,
    pinned              boolean GENERATED ALWAYS AS
        (coalesce((data ->> 'pinned')::boolean, false)) STORED,
    pinned_at           bigint  GENERATED ALWAYS AS ((data ->> 'pinned_at')::bigint) STORED,
    -- A repeated id is refused by this key, atomically with the insert.
    CONSTRAINT messages_pkey PRIMARY KEY (app_id, id),
    CONSTRAINT messages_channel_fkey FOREIGN KEY (app_id, cid)
        REFERENCES channels (app_id, cid) ON DELETE CASCADE
);
-- Channel order (pagination, truncate): (created_at, id) in byte order.
CREATE INDEX messages_channel_order ON messages (app_id, cid, created_at, id COLLATE "C");
CREATE INDEX messages_thread_order ON messages (app_id, parent_id, created_at, id COLLATE "C")
    WHERE parent_id IS NOT NULL;
-- Mark-unread counts the member's own counted messages after the cursor.
CREATE INDEX messages_counted_by_author ON messages (app_id, cid, user_id, seq) WHERE counted;
CREATE INDEX messages_pinned ON messages (app_id, cid, pinned_at)
    WHERE pinned AND deleted_at IS NULL;

CREATE TABLE reactions (
    app_id     text COLLATE "C" NOT NULL,
    message_id text COLLATE "C" NOT NULL,
    user_id    text COLLATE "C" NOT NULL,
    type       text COLLATE "C" NOT NULL,
    score      bigint NOT NULL,
    custom     jsonb  NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    CONSTRAINT reactions_pkey PRIMARY KEY (app_id, message_id, user_id, type),
    CONSTRAINT reactions_message_fkey FOREIGN KEY (app_id, message_id)
        REFERENCES messages (app_id, id) ON DELETE CASCADE
);
-- Newest first, ties by user id then type.
CREATE INDEX reactions_newest ON reactions (app_id, message_id, created_at DESC, user_id, type);

-- Thread cursors (chat_core::read_state::ThreadRead).
CREATE TABLE thread_reads (
    app_id                text COLLATE "C" NOT NULL,
    user_id               text COLLATE "C" NOT NULL,
    parent_id             text COLLATE "C" NOT NULL,
    cid                   text COLLATE "C" NOT NULL,
    last_read_reply_count bigint NOT NULL,
    last_read_at          bigint NOT NULL,
    CONSTRAINT thread_reads_pkey PRIMARY KEY (app_id, user_id, parent_id),
    CONSTRAINT thread_reads_parent_fkey FOREIGN KEY (app_id, parent_id)
        REFERENCES messages (app_id, id) ON DELETE CASCADE
);
CREATE INDEX thread_reads_parent ON thread_reads (app_id, parent_id);

-- Sparse per-user message flags (chat_core::read_state::MessageFlags), only where set.
CREATE TABLE user_messages (
    app_id     text COLLATE "C" NOT NULL,
    user_id    text COLLATE "C" NOT NULL,
    message_id text COLLATE "C" NOT NULL,
    cid        text COLLATE "C" NOT NULL,
    flags      bigint NOT NULL,
    CONSTRAINT user_messages_pkey PRIMARY KEY (app_id, user_id, message_id),
    CONSTRAINT user_messages_message_fkey FOREIGN KEY (app_id, message_id)
        REFERENCES messages (app_id, id) ON DELETE CASCADE
);
CREATE INDEX user_messages_message ON user_messages (app_id, message_id);
-- One partial index per flag that is looked up by user.
CREATE INDEX user_messages_mentioned ON user_messages (app_id, user_id) WHERE flags & 1 <> 0;
CREATE INDEX user_messages_starred ON user_messages (app_id, user_id) WHERE flags & 2 <> 0;
CREATE INDEX user_messages_marked_unread ON user_messages (app_id, user_id, cid)
    WHERE flags & 4 <> 0;
