{#- One row per weekday (1 = Monday … 7 = Sunday) × hour of the offer: the load KCK's
    queues carried in the averaging window — the var kck_staffing_weeks (8) whole weeks,
    Monday to Sunday, before the week of as_of (which may be incomplete). Public holidays
    are not working days: their calls and the days themselves are left out, so a
    weekday's calls are averaged over the days of it the office was open.

    calls_per_hour = (offered − short abandoned) / open days of the weekday: the arrivals
    that need an agent (a hang-up within 5 s needs none; a later abandon is counted, as a
    caller who would have been served had an agent been free). aht_seconds = Σ handle
    time / answered in that hour (the window's AHT where the hour answered none).
    traffic_erlangs = calls_per_hour × aht_seconds / 3600. -#}

with calls as (
    select * from {{ ref('int_calls_measured') }}
),

-- KCK works on the UMK calendar: Polish holidays (calls carry no calendar of their own)
holidays as (
    select * from {{ ref('stg_calendar__public_holidays') }}
    where country_code = '{{ default_calendar_holidays() }}'
),

{% set as_of_day -%}
cast({{ as_of_local() }} as date)
{%- endset %}
bounds as (
    select
        cast({{ dbt.dateadd(
            'day', '1 - 7 * ' ~ var('kck_staffing_weeks') ~ ' - ' ~ iso_weekday(as_of_day),
            as_of_day) }} as date) as window_start,
        cast({{ dbt.dateadd('day', '0 - ' ~ iso_weekday(as_of_day), as_of_day) }} as date)
            as window_end
),

in_window as (
    select calls.*
    from calls
    cross join bounds
    where
        cast(calls.offered_at as date) between bounds.window_start and bounds.window_end
        and cast(calls.offered_at as date) not in (select holidays.holiday_date from holidays)
),

closed_days as (
    select
        cast({{ iso_weekday('holidays.holiday_date') }} as integer) as weekday,
        count(*) as holidays
    from holidays
    cross join bounds
    where holidays.holiday_date between bounds.window_start and bounds.window_end
    group by 1
),

per_hour as (
    select
        weekday,
        hour,
        count(*) as offered,
        count(*) filter (where is_short_abandoned) as short_abandoned,
        count(*) filter (where is_answered) as answered,
        count(*) filter (where is_answered_within_20s) as answered_within_20s,
        {{ exact_duration_sum('handle_seconds', 'seconds', where='is_answered') }}
            as total_handle_seconds
    from in_window
    group by 1, 2
),

window_aht as (
    select sum(total_handle_seconds) / nullif(sum(answered), 0) as aht_seconds
    from per_hour
),

measured as (
    select
        bounds.window_start,
        bounds.window_end,
        per_hour.weekday,
        per_hour.hour,
        {{ var('kck_staffing_weeks') }} - coalesce(closed_days.holidays, 0) as open_days,
        per_hour.offered,
        per_hour.short_abandoned,
        per_hour.answered,
        per_hour.answered_within_20s,
        per_hour.total_handle_seconds,
        coalesce(
            per_hour.total_handle_seconds / nullif(per_hour.answered, 0), window_aht.aht_seconds
        ) as aht_seconds
    from per_hour
    cross join bounds
    cross join window_aht
    left join closed_days on per_hour.weekday = closed_days.weekday
),

final as (
    select
        *,
        cast(offered - short_abandoned as double) / open_days as calls_per_hour,
        cast(offered - short_abandoned as double) / open_days * aht_seconds / 3600
            as traffic_erlangs
    from measured
    where open_days > 0
)

select * from final
