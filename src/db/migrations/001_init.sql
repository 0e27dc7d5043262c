-- Subscribers, the delivery queue, and the shared send control.
-- Times are always bound from the application's clock (never now()) so that tests and
-- `course run-due --at` can move time; defaults below only serve hand-written SQL.

create table subscribers (
  id bigint generated always as identity primary key,
  email text not null,                          -- as the person typed it (trimmed)
  email_key text not null,                      -- normalised (lower-case) for uniqueness and lookups
  name text,
  timezone text not null default 'UTC',         -- IANA zone name
  status text not null default 'pending'
    check (status in ('pending', 'confirmed', 'unsubscribed', 'bounced', 'complained')),
  newsletter_opt_in boolean not null default true,
  course_paused boolean not null default false,
  course_paused_at timestamptz,
  course_anchor_date date,                      -- local date of lesson day 0, moved forward by pauses
  course_last_day int,                          -- `day` of the last lesson handled (sent, failed or dropped)
  course_last_sent_on date,                     -- local date of the last lesson sent: one lesson per local day
  course_completed_at timestamptz,
  consent_at timestamptz,
  consent_source text,                          -- which form, import or API call
  consent_ip text,
  consent_text_version text,                    -- the exact wording version the person agreed to
  confirmed_at timestamptz,
  confirmation_sent_at timestamptz,
  unsubscribed_at timestamptz,
  unsubscribed_after text,                      -- the last email item sent before they left (stats)
  soft_bounces int not null default 0,          -- consecutive soft bounces; three make a hard one
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index subscribers_email_key on subscribers (email_key);
create index subscribers_created_at on subscribers (created_at);
create index subscribers_newsletter on subscribers (id) where status = 'confirmed' and newsletter_opt_in;

-- Addresses that were erased on request: only a salted hash is kept, so they are never mailed again
-- (import skips them) unless the person subscribes anew and confirms.
create table suppressions (
  email_hash text primary key,
  reason text not null,
  created_at timestamptz not null default now()
);

create table meta (
  key text primary key,
  value text not null
);

-- A batch is the unit of one provider call and of claiming. Its membership (deliveries.batch_id) is
-- written before the call, so a worker that takes over after a crash re-sends the same emails under
-- the same idempotency key. `lease_until` is when the batch needs attention again: the end of the
-- current worker's lease, or the time of a scheduled retry.
create table send_batches (
  id bigint generated always as identity primary key,
  idempotency_key text not null unique,
  created_by text not null,
  locked_by text,
  lease_until timestamptz not null,
  attempts int not null default 0,                -- failed tries so far (for backoff and the limit)
  last_error text,
  created_at timestamptz not null default now(),
  attempted_at timestamptz,                       -- first call to the provider: from then on, retries are identical
  completed_at timestamptz
);
create index send_batches_open on send_batches (lease_until) where completed_at is null;

-- The delivery queue: one row per email per person, for every kind of email. A queued row waits for
-- `due_at`; a claimed row belongs to an open batch (and is reclaimed with it).
create table deliveries (
  id bigint generated always as identity primary key,
  subscriber_id bigint not null references subscribers (id) on delete cascade,
  kind text not null check (kind in ('confirmation', 'lesson', 'newsletter')),
  item text not null,                           -- lesson slug, newsletter slug, or confirmation nonce
  status text not null check (status in ('queued', 'claimed', 'sent', 'failed', 'skipped', 'cancelled')),
  due_at timestamptz not null,
  batch_id bigint references send_batches (id) on delete set null,
  provider_id text,
  last_error text,
  skip_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  sent_at timestamptz,
  delivered_at timestamptz,
  opened_at timestamptz,
  clicked_at timestamptz,
  bounced_at timestamptz,
  complained_at timestamptz,
  open_count int not null default 0,
  click_count int not null default 0,
  unique (subscriber_id, kind, item)            -- a second send of the same email is impossible
);
-- Keeps a tick O(due): only waiting rows are in this index, however long the list.
create index deliveries_due on deliveries (due_at, id) where status = 'queued';
create index deliveries_item on deliveries (kind, item, status);
create index deliveries_batch on deliveries (batch_id) where batch_id is not null;
create index deliveries_provider on deliveries (provider_id) where provider_id is not null;
create index deliveries_sent_at on deliveries (sent_at) where sent_at is not null;

-- One row: the throttle (a reservation clock shared by every worker) and a send pause.
create table send_control (
  name text primary key,
  next_slot_at timestamptz not null,
  rate_per_second double precision not null,
  paused_until timestamptz,
  pause_reason text
);

create table newsletter_sends (
  slug text primary key,
  status text not null check (status in ('scheduled', 'sending', 'sent', 'cancelled')),
  scheduled_at timestamptz not null,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  enqueued_at timestamptz,                      -- every recipient is queued (a crash before this is resumed)
  finished_at timestamptz,
  recipients int not null default 0
);
create index newsletter_sends_due on newsletter_sends (scheduled_at) where status = 'scheduled';

-- Webhook events from the provider, recorded once per event id before they are processed.
create table email_events (
  event_id text primary key,
  type text not null,
  provider_id text,
  delivery_id bigint references deliveries (id) on delete set null,
  subscriber_id bigint references subscribers (id) on delete set null,
  link text,
  detail text,
  occurred_at timestamptz,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  payload jsonb not null
);
create index email_events_unprocessed on email_events (received_at) where processed_at is null;
create index email_events_subscriber on email_events (subscriber_id);
