{#- One row per month × queue (queue name normalised: upper(trim())). Service level is a
    property of the queue: every offered call counts, abandoned calls included. The
    targets are the registry's for the city-wide KCK KPIs (seeds kpi_targets). -#}

with calls as (
    select * from {{ ref('int_calls_measured') }}
),

targets as (
    select * from {{ ref('int_kpi_targets') }}
    where breakdown = 'all'
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

measured as (
    select
        month_start,
        queue,
        offered,
        answered,
        abandoned,
        short_abandoned,
        answered_within_20s,
        {{ kpi_formula('ratio', 'answered_within_20s', 'offered - short_abandoned') }}
            as service_level_pct,
        {{ kpi_formula('ratio', 'abandoned - short_abandoned', 'offered - short_abandoned') }}
            as abandon_rate_pct,
        total_wait_seconds,
        total_handle_seconds,
        {{ kpi_formula('mean', 'total_wait_seconds', 'answered') }} as asa_seconds,
        total_handle_seconds / nullif(answered, 0) as aht_seconds
    from aggregated
),

final as (
    select
        measured.*,
        service_level.target as target_service_level_pct,
        abandon_rate.target as target_abandon_rate_pct
    from measured
    left join targets as service_level
        on service_level.kpi_code = 'kck_service_level_pct'
        and {{ in_force_on('service_level', 'measured.month_start') }}
    left join targets as abandon_rate
        on abandon_rate.kpi_code = 'kck_abandon_rate_pct'
        and {{ in_force_on('abandon_rate', 'measured.month_start') }}
)

select * from final
