{#- One row per month × queue (queue name normalised: upper(trim())). Service level is a
    property of the queue: every offered call counts, abandoned calls included. -#}

with calls as (
    select * from {{ ref('int_calls_measured') }}
),

aggregated as (
    select
        month_start,
        queue,
        count(*) as offered,
        count(*) filter (where is_answered) as answered,
        count(*) filter (where is_abandoned) as abandoned,
        count(*) filter (where is_short_abandoned) as short_abandoned,
        count(*) filter (where is_answered_within_20s) as answered_within_20s,
        {{ exact_duration_sum('wait_seconds', 'seconds', where='is_answered') }}
            as total_wait_seconds,
        {{ exact_duration_sum('handle_seconds', 'seconds', where='is_answered') }}
            as total_handle_seconds
    from calls
    group by 1, 2
),

final as (
    select
        month_start,
        queue,
        offered,
        answered,
        abandoned,
        short_abandoned,
        answered_within_20s,
        {{ pct('answered_within_20s', 'offered - short_abandoned') }} as service_level_pct,
        {{ pct('abandoned - short_abandoned', 'offered - short_abandoned') }} as abandon_rate_pct,
        total_wait_seconds,
        total_handle_seconds,
        total_wait_seconds / nullif(answered, 0) as asa_seconds,
        total_handle_seconds / nullif(answered, 0) as aht_seconds,
        cast({{ var('kck_target_service_level_pct') }} as double) as target_service_level_pct,
        cast({{ var('kck_target_abandon_rate_pct') }} as double) as target_abandon_rate_pct
    from aggregated
)

select * from final
