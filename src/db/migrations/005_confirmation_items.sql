-- A confirmation is not an item of content: each one asked for is its own row, so it has no item
-- (it had a made-up nonce). The unique key that forbids a second send of the same lesson or issue
-- now covers exactly the rows that have an item.
alter table deliveries alter column item drop not null;
update deliveries set item = null where kind = 'confirmation';
alter table deliveries drop constraint deliveries_subscriber_id_kind_item_key;
create unique index deliveries_once on deliveries (subscriber_id, kind, item) where item is not null;
