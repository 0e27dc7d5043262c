-- Several courses in one installation. A reader's place in a course is an enrolment of its own
-- (reader × course); the course columns of `subscribers` move into it and go.

create table enrolments (
  id bigint generated always as identity primary key,
  subscriber_id bigint not null references subscribers (id) on delete cascade,
  course text not null,                          -- the course's slug (its folder under lessons/)
  status text not null check (status in ('pending', 'active', 'paused', 'left', 'completed')),
  round int not null default 1,                  -- a restart begins round 2, 3…; lessons are once per round
  anchor_date date,                              -- local date of lesson day 0, moved forward by pauses
  last_day int,                                  -- `day` of the last lesson handled (sent, failed or dropped)
  last_sent_on date,                             -- local date the last lesson of this course was sent
  paused_at timestamptz,
  completed_at timestamptz,
  left_at timestamptz,
  source text,                                   -- how it began: a form, an invitation, an import, the upgrade
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (subscriber_id, course)
);
create index enrolments_course on enrolments (course, status);

-- A delivery names its course (lessons, and the confirmation or invitation of a course) and the
-- round of a lesson. The unique key forbids a second send of a lesson within one round of one course,
-- and of a newsletter issue (course null: nulls count as equal here).
alter table deliveries add column course text;
alter table deliveries add column round int not null default 1;
alter table deliveries drop constraint deliveries_kind_check;
alter table deliveries add constraint deliveries_kind_check
  check (kind in ('confirmation', 'invitation', 'lesson', 'newsletter'));
drop index deliveries_once;
create unique index deliveries_once on deliveries (subscriber_id, kind, course, round, item)
  nulls not distinct where item is not null;

-- Installations before this change ran one course: the shipped one, `avoiding-smp-regrets`. Every
-- reader who started it, and everyone still to confirm, is enrolled in it where they were.
insert into enrolments (subscriber_id, course, status, anchor_date, last_day, last_sent_on, paused_at,
  completed_at, source, created_at, updated_at)
select id, 'avoiding-smp-regrets',
  case when course_anchor_date is null then 'pending'
       when course_paused then 'paused'
       when course_completed_at is not null then 'completed'
       else 'active' end,
  course_anchor_date, course_last_day, course_last_sent_on,
  case when course_paused then coalesce(course_paused_at, updated_at) end,
  course_completed_at, 'upgrade', created_at, updated_at
from subscribers
where course_anchor_date is not null or status = 'pending';
update deliveries set course = 'avoiding-smp-regrets' where kind in ('lesson', 'confirmation');

alter table subscribers
  drop column course_paused,
  drop column course_paused_at,
  drop column course_anchor_date,
  drop column course_last_day,
  drop column course_last_sent_on,
  drop column course_completed_at;

-- "Unsubscribed after" names a lesson with its course now.
update subscribers set unsubscribed_after = 'lesson:avoiding-smp-regrets/' || substr(unsubscribed_after, 8)
where unsubscribed_after like 'lesson:%';
