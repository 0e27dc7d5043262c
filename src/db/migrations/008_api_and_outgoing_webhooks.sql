-- An HTTP API with keys, and signed outgoing webhooks delivered from a durable outbox.

-- API keys: only a hash of the key is kept, and a short prefix to name it (`course keys list`).
create table api_keys (
  id bigint generated always as identity primary key,
  name text not null,
  prefix text not null unique,
  key_hash text not null unique,
  scopes text[] not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

-- What a POST with an Idempotency-Key answered, to answer a replay the same (kept for a day).
create table api_idempotency (
  key_id bigint not null references api_keys (id) on delete cascade,
  idempotency_key text not null,
  request_hash text not null,
  status int not null,
  body jsonb not null,
  created_at timestamptz not null default now(),
  primary key (key_id, idempotency_key)
);

-- Where events go: an URL, the event types it wants (empty: all), its signing secret.
create table webhook_endpoints (
  id bigint generated always as identity primary key,
  url text not null,
  events text[] not null default '{}',
  secret text not null,
  description text,
  created_at timestamptz not null default now(),
  disabled_at timestamptz,
  disabled_reason text
);

-- The outbox of events: written in the transaction of what caused them, delivered later.
create table webhook_events (
  id text primary key,                 -- stable across retries and endpoints (the webhook-id header)
  type text not null,
  subscriber_id bigint,                -- whom it is about (erasure removes their events)
  payload jsonb not null,
  created_at timestamptz not null default now()
);
create index webhook_events_subscriber on webhook_events (subscriber_id) where subscriber_id is not null;

-- One event to one endpoint: pending until a 2xx, retried with backoff, failed after about a day.
create table webhook_deliveries (
  id bigint generated always as identity primary key,
  event_id text not null references webhook_events (id) on delete cascade,
  endpoint_id bigint not null references webhook_endpoints (id) on delete cascade,
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
  attempts int not null default 0,
  next_attempt_at timestamptz not null default now(),
  locked_until timestamptz,
  locked_by text,
  last_status int,
  last_error text,
  last_attempt_at timestamptz,
  created_at timestamptz not null default now(),
  unique (event_id, endpoint_id)
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';

-- The delivery log: each attempt's answer and time.
create table webhook_attempts (
  id bigint generated always as identity primary key,
  delivery_id bigint not null references webhook_deliveries (id) on delete cascade,
  attempted_at timestamptz not null,
  status int,
  error text,
  duration_ms int not null
);
create index webhook_attempts_delivery on webhook_attempts (delivery_id, attempted_at);
create index webhook_events_created on webhook_events (created_at);
create index api_idempotency_created on api_idempotency (created_at);

-- The consent statement an API caller supplied when it created someone without a confirmation email.
alter table subscribers add column consent_statement text;
