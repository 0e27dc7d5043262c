-- How many emails a batch held at its first provider call: a retry uses the same endpoint (batch or
-- single) even if members were removed since (erasure), so the provider recognises the same key.
alter table send_batches add column first_size int;
