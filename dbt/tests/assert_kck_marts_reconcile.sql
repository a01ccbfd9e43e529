-- Queue, hourly and topic marts add up to the calls they summarise: every call known at
-- as_of, one row each in int_calls_measured (a table; reading the staging view would
-- deduplicate every raw call again). int_calls_measured has one row
-- per staging call by construction, and an incremental build equals a full rebuild
-- (tests/test_build.py).
with calls as (
    select
        count(*) as offered,
        count(*) filter (where answered_at is not null) as answered
    from {{ ref('int_calls_measured') }}
),

queues as (
    select
        coalesce(sum(offered), 0) as offered,
        coalesce(sum(answered), 0) as answered,
        coalesce(sum(answered_within_20s), 0) as within_20s
    from {{ ref('kck_queue_service') }}
),

hourly as (
    select
        coalesce(sum(offered), 0) as offered,
        coalesce(sum(answered_within_20s), 0) as within_20s
    from {{ ref('kck_calls_hourly') }}
),

topics as (
    select coalesce(sum(answered), 0) as answered from {{ ref('kck_call_topics') }}
)

select
    calls.offered as calls_offered,
    calls.answered as calls_answered,
    queues.offered as queues_offered,
    queues.answered as queues_answered,
    queues.within_20s as queues_within_20s,
    hourly.offered as hourly_offered,
    hourly.within_20s as hourly_within_20s,
    topics.answered as topics_answered
from calls cross join queues cross join hourly cross join topics
where
    queues.offered != calls.offered
    or hourly.offered != calls.offered
    or queues.answered != calls.answered
    or topics.answered != calls.answered
    or hourly.within_20s != queues.within_20s
