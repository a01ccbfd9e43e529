{{ config(materialized='table') }}
{#- One row per working day of the UMK office calendar: Mon-Fri, not a Polish public
    holiday, 07:30-15:30 local time, start and end as instants. The spine covers every
    whole year raw.public_holidays covers (warehouse/calendar.py writes the years of the
    data ±1), so no day of the spine lacks its holiday information. Vars calendar_first_day /
    calendar_last_day narrow the spine (unit tests only). -#}

{%- set first_day = var('calendar_first_day', none) %}
{%- set last_day = var('calendar_last_day', none) %}

with holidays as (
    select * from {{ ref('stg_calendar__public_holidays') }}
),

bounds as (
    select
        coalesce(
            {{ "cast('" ~ first_day ~ "' as date)" if first_day else 'null' }},
            make_date(cast(min(year(holiday_date)) as integer), 1, 1)
        ) as first_day,
        coalesce(
            {{ "cast('" ~ last_day ~ "' as date)" if last_day else 'null' }},
            make_date(cast(max(year(holiday_date)) as integer), 12, 31)
        ) as last_day
    from holidays
),

days as (
    {{ date_series('(select first_day from bounds)', '(select last_day from bounds)') }}
),

working_days as (
    select days.calendar_date
    from days
    left join holidays on days.calendar_date = holidays.holiday_date
    where
        {{ iso_weekday('days.calendar_date') }} between 1 and 5
        and holidays.holiday_date is null
),

final as (
    select
        calendar_date as working_date,
        {{ to_instant(date_at_time('calendar_date', var('office_day_start'))) }}
            as period_start_instant,
        {{ to_instant(date_at_time('calendar_date', var('office_day_end'))) }} as period_end_instant
    from working_days
)

select * from final
