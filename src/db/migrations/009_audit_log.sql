-- The audit log: who did what to whom, and when, for every action an operator takes on a reader or a
-- send, from the web admin or the CLI. Entries are only ever added. A reader is named by id only (no
-- foreign key, no address): an erasure leaves its own entry and the earlier ones, with nothing personal.
create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null,                      -- bound from the application's clock
  actor text not null,                          -- 'admin' (the web admin) or 'cli:<os user>'
  action text not null,                         -- e.g. 'subscriber.unsubscribe', 'newsletter.send'
  subscriber_id bigint,                         -- the reader acted on, if any
  target text,                                  -- what else it was about: a course, an issue, an endpoint
  detail jsonb not null default '{}'
);
-- A reader's page lists their entries newest first; the log pages by id.
create index audit_log_subscriber on audit_log (subscriber_id, id) where subscriber_id is not null;

-- The admin's reader search ("address or name contains …", subscribers/store.ts searchSubscribers)
-- must stay fast at a million readers. A fragment found once cannot use a b-tree: without help the
-- search reads the whole list (1.3 s at 1,000,000 readers here). A trigram index answers it in tens of
-- milliseconds. pg_trgm ships with PostgreSQL and is a trusted extension, but PGlite loads it only when
-- asked to, and a role may lack the right to create it: then the index is left out and the search
-- works as before, reading the list (an embedded list is small). The extension goes into `public`, so
-- that dropping one schema never takes it from the others; the opclass is found wherever it lives.
do $$
declare
  opclass text;
begin
  if not exists (select 1 from pg_available_extensions where name = 'pg_trgm') then
    return;
  end if;
  -- Several schemas migrating at once (tests, workers) must not both create it.
  perform pg_advisory_xact_lock(hashtext('course-pg-trgm'));
  begin
    create extension if not exists pg_trgm schema public;
  exception when insufficient_privilege then
    raise notice 'pg_trgm not installed (%): the reader search reads the list', sqlerrm;
    return;
  end;
  select format('%I.gin_trgm_ops', n.nspname) into opclass
  from pg_opclass c join pg_namespace n on n.oid = c.opcnamespace
  where c.opcname = 'gin_trgm_ops' limit 1;
  execute format(
    'create index subscribers_search on subscribers using gin ((email_key || %L || lower(coalesce(name, %L))) %s)',
    ' ', '', opclass);
end
$$;
