{#- One row per month × weekday (1 = Monday … 7 = Sunday) × hour of the offer (0–23,
    local time): when residents call and how well the queues answer then. -#}

with calls as (
    select * from {{ ref('int_calls_measured') }}
),

aggregated as (
    select
        month_start,
        weekday,
        hour,
        count(*) as offered,
        count(*) filter (where is_answered) as answered,
        count(*) filter (where is_abandoned) as abandoned,
        count(*) filter (where is_short_abandoned) as short_abandoned,
        count(*) filter (where is_answered_within_20s) as answered_within_20s
    from calls
    group by 1, 2, 3
),

final as (
    select
        *,
        {{ pct('answered_within_20s', 'offered - short_abandoned') }} as service_level_pct
    from aggregated
)

select * from final
