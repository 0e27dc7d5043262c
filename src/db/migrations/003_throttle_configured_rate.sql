-- The rate the processes are configured with (RESEND_RATE_LIMIT), beside the rate in force, which
-- follows the provider's ratelimit-* headers up to it: a restart with the same setting keeps the
-- adapted rate instead of resetting it; a new setting applies at once.
alter table send_control add column configured_rate double precision;
update send_control set configured_rate = rate_per_second;
