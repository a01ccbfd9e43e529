-- benchmarks/bare_sql.sql ported to PostgreSQL (15): the same three main marts from the
-- same raw rows, the same rules, for the PostgreSQL yardstick of issue 17 (benchmarks/
-- postgres.py, which replaces {as_of}). What changed, and why:
-- * DuckDB's `create or replace` → drop + create; `group by all` spelled out;
--   `epoch(x)` → `extract(epoch from x)`; `isodow(d)` → `extract(isodow from d)`;
-- * `arg_max(v, n)` → `(array_agg(v order by n desc))[1]` (PostgreSQL has no arg_max);
-- * the working time up to a moment, W(x), is looked up in the prefix-summed working
--   periods with an index (`order by ps desc limit 1` on a b-tree over ps) where DuckDB
--   uses an ASOF join, which PostgreSQL lacks: one index probe per end of a segment;
-- * `analyze` after each temporary table: autovacuum never analyses temporary tables, and
--   without statistics the planner picks nested loops over millions of rows.
set timezone = 'Europe/Warsaw';
create schema if not exists bench;

-- working periods, each with the working seconds of every earlier one (bare_sql.sql says
-- why): a segment's working time is W(b) - W(a)
drop table if exists wp;
create temp table wp as
with days as (
    select d::date as d
    from generate_series(date '2015-01-01', date '2035-12-31', interval '1 day') as g (d)
), p as (
    select cast(d + interval '7 hours 30 minutes' as timestamptz) as ps,
           cast(d + interval '15 hours 30 minutes' as timestamptz) as pe
    from days
    where extract(isodow from d) < 6 and d not in (select holiday_date from raw.public_holidays)
)
select ps, extract(epoch from pe) - extract(epoch from ps) as len,
       coalesce(sum(extract(epoch from pe) - extract(epoch from ps))
                over (order by ps rows between unbounded preceding and 1 preceding), 0) as before
from p;
create index on wp (ps);
analyze wp;

drop table if exists ev;
create temp table ev as
select e.ticket_id, cast(e.event_at as timestamptz) as t, e.event, e.group_code,
       e.comment_chars,
       row_number() over (partition by e.ticket_id order by e.event_at, e.event) as n
from raw.ticket_events e
where e.event_at <= timestamp '{as_of}';
analyze ev;

drop table if exists tk;
create temp table tk as
select t.ticket_id, t.ticket_type, t.priority, t.service_code, t.requester_unit, t.channel,
       cast(t.opened_at as timestamptz) as opened, coalesce(s.support_hours, 'business') as clock
from raw.tickets t left join raw.it_services s using (service_code);
analyze tk;

drop table if exists fin;
create temp table fin as
select ticket_id,
       max(t) filter (where event = 'resolved') as resolved,
       (array_agg(event order by n desc))[1] as last_event,
       (array_agg(group_code order by n desc))[1] as final_group,
       count(*) filter (where event = 'escalated') as escalations,
       count(*) filter (where event = 'escalated' and comment_chars < 20) as esc_no_comment,
       count(*) filter (where event = 'reopened') as reopens,
       bool_and(group_code = 'IT-02-3') as first_line,
       min(t) filter (where event = 'acknowledged') as ack,
       min(t) filter (where event in ('assigned', 'escalated', 'on_hold', 'resolved')) as first_action
from ev
group by ticket_id;
analyze fin;

-- segments between consecutive events; the kind of the opening event decides the clock
drop table if exists seg;
create temp table seg as
select ev.ticket_id, ev.n, ev.event as kind, ev.t as a,
       coalesce(lead(ev.t) over (partition by ev.ticket_id order by ev.n),
                cast(timestamp '{as_of}' as timestamptz)) as b
from ev;
analyze seg;

drop table if exists seg_minutes;
create temp table seg_minutes as
select s.ticket_id, s.kind, s.a, s.b,
       (extract(epoch from s.b) - extract(epoch from s.a)) / 60.0 as minutes
from seg s join tk using (ticket_id)
where tk.clock = '24x7'
union all
select s.ticket_id, s.kind, s.a, s.b,
       (coalesce((select w.before + greatest(0, least(extract(epoch from s.b)
                                                      - extract(epoch from w.ps), w.len))
                  from wp as w where w.ps <= s.b order by w.ps desc limit 1), 0)
        - coalesce((select w.before + greatest(0, least(extract(epoch from s.a)
                                                        - extract(epoch from w.ps), w.len))
                    from wp as w where w.ps <= s.a order by w.ps desc limit 1), 0))
       / 60.0 as minutes
from seg s
join tk using (ticket_id)
where tk.clock <> '24x7';
analyze seg_minutes;

drop table if exists bench.incident_sla;
create table bench.incident_sla as
with per_ticket as (
    select s.ticket_id,
           sum(minutes) filter (where kind not in ('on_hold', 'resolved', 'closed')
                                 and s.b <= coalesce(f.resolved, s.b)) as run_minutes,
           sum(minutes) filter (where kind = 'on_hold') as hold_minutes
    from seg_minutes s join fin f using (ticket_id)
    group by s.ticket_id
)
select tk.ticket_id, tk.ticket_type, tk.priority, tk.service_code, tk.requester_unit,
       f.final_group as final_group_code, f.resolved,
       p.run_minutes as resolution_business_minutes, p.hold_minutes as on_hold_business_minutes,
       (extract(epoch from f.resolved) - extract(epoch from tk.opened)) / 60.0
           as resolution_calendar_minutes,
       f.escalations, f.esc_no_comment > 0 as has_escalation_without_comment, f.reopens,
       f.first_line and f.resolved is not null as is_first_line_resolved,
       f.last_event not in ('resolved', 'closed') as is_open,
       st.resolution_target_minutes,
       p.run_minutes <= st.resolution_target_minutes as is_resolution_sla_met
from tk
left join fin f using (ticket_id)
left join per_ticket p using (ticket_id)
left join reference.sla_targets st on st.priority = tk.priority;

drop table if exists bench.kck_queue_service;
create table bench.kck_queue_service as
select cast(date_trunc('month', offered_at) as date) as month_start, upper(trim(queue)) as queue,
       count(*) as offered,
       count(answered_at) as answered,
       count(*) - count(answered_at) as abandoned,
       count(*) filter (where answered_at is null
                          and extract(epoch from ended_at) - extract(epoch from offered_at) < 5)
           as short_abandoned,
       count(*) filter (where answered_at is not null
                          and extract(epoch from answered_at) - extract(epoch from offered_at) <= 20)
           as within_20s,
       avg(extract(epoch from answered_at) - extract(epoch from offered_at)) as asa_seconds,
       avg(extract(epoch from ended_at) - extract(epoch from answered_at)) as aht_seconds
from raw.calls
group by 1, 2;

drop table if exists bench.unit_workload;
create table bench.unit_workload as
with t as (
    select cast(date_trunc('month', opened_at) as date) as m, requester_unit as u, count(*) as n
    from raw.tickets group by 1, 2
), h as (
    select cast(date_trunc('month', opened_at) as date) as m, final_group_code as u, count(*) as n
    from raw.tickets join bench.incident_sla using (ticket_id) group by 1, 2
), e as (
    select cast(date_trunc('month', event_at) as date) as m, group_code as u, count(*) as n
    from raw.ticket_events where event = 'escalated' group by 1, 2
), c as (
    select cast(date_trunc('month', offered_at) as date) as m, forwarded_unit as u, count(*) as n
    from raw.calls where forwarded_unit is not null group by 1, 2
), s as (
    select cast(date_trunc('month', received_at) as date) as m, responsible_unit as u, count(*) as n
    from raw.submissions where responsible_unit is not null group by 1, 2
), p as (
    select cast(date_trunc('month', published_at) as date) as m, owner_unit as u, count(*) as n
    from raw.publications where published_at is not null group by 1, 2
), keys as (
    select m, u from t union select m, u from h union select m, u from e
    union select m, u from c union select m, u from s union select m, u from p
)
select keys.m as month_start, keys.u as unit_code,
       coalesce(t.n, 0) as tickets_requested, coalesce(h.n, 0) as tickets_handled,
       coalesce(e.n, 0) as escalations_received, coalesce(c.n, 0) as calls_forwarded,
       coalesce(s.n, 0) as submissions_forwarded, coalesce(p.n, 0) as publications_made
from keys
left join t using (m, u) left join h using (m, u) left join e using (m, u)
left join c using (m, u) left join s using (m, u) left join p using (m, u);
