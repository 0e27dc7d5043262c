-- Dashboard logins, kept in the database so that logging out ends a session for every web process
-- sharing it (a signed cookie cannot be taken back before it expires). Only a SHA-256 hash of the
-- cookie's random id is stored: a copy of this table (a backup, a dump) opens no session.
create table admin_sessions (
  id_hash text primary key,                     -- hex SHA-256 of the cookie value (32 random bytes, base64url)
  token_tag text not null,                      -- HMAC of the ADMIN_TOKEN logged in with: a new token ends old sessions
  created_at timestamptz not null,
  expires_at timestamptz not null,              -- fixed at login; using the session does not extend it
  last_seen_at timestamptz not null,
  ended_at timestamptz,                         -- logout
  ip text                                       -- client address at login, for the operator
);
-- Expired rows are swept at each login.
create index admin_sessions_expires_at on admin_sessions (expires_at);
