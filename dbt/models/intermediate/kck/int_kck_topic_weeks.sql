{#- One row per KCK topic × week (Monday to Sunday, by its Monday) from the topic's first
    week with a call to the last week with data: the calls offered in it known at as_of, 0
    where none came — the series the topic-spike alerts (marts.kpi_alerts) compare. -#}

with calls as (
    select * from {{ ref('int_calls_measured') }}
),

weekly as (
    select
        topic_code,
        cast({{ dbt.date_trunc('week', 'offered_at') }} as date) as week_start,
        count(*) as calls
    from calls
    where topic_code is not null and offered_at <= {{ as_of_local() }}
    group by 1, 2
),

topic_spans as (
    select
        topic_code,
        min(week_start) as first_week,
        max(week_start) as last_week
    from weekly
    group by 1
),

week_bounds as (
    select
        min(first_week) as first_week,
        max(last_week) as last_week
    from topic_spans
),

-- every week of every topic from its first week, zero where no call came
topic_weeks as (
    select
        topic_spans.topic_code,
        cast(weeks.week_start as date) as week_start,
        coalesce(weekly.calls, 0) as calls
    from topic_spans
    inner join {{ week_series('(select first_week from week_bounds)',
                               '(select last_week from week_bounds)') }} as weeks (week_start)
        on topic_spans.first_week <= weeks.week_start
    left join weekly
        on topic_spans.topic_code = weekly.topic_code
        and weeks.week_start = weekly.week_start
)

select * from topic_weeks
