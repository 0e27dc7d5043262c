-- "Send me the next lesson now": the lesson a reader asked for ahead of its day, in the current round.
-- The lesson policy sends it even on a day that already had its lessons (the reader asked for it).
alter table enrolments add column asked_next text;
