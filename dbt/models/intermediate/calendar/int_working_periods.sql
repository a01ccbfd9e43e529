{{ config(materialized='table') }}
{#- One row per working day of each working calendar (int_working_calendars): a day of a
    weekday the calendar works that is not a public holiday of its holiday country, from
    its day start to its day end on the calendar's own wall clock (its time zone), start
    and end as instants. UMK: Mon-Fri 07:30-15:30 Europe/Warsaw, not a Polish public
    holiday. The spine covers every whole year raw.public_holidays covers
    (warehouse/calendar.py writes the years of the data ±1, for every country a calendar
    names), so no day of the spine lacks its holiday information. Vars calendar_first_day /
    calendar_last_day narrow the spine (unit tests only). -#}

{%- set first_day = var('calendar_first_day', none) %}
{%- set last_day = var('calendar_last_day', none) %}

with holidays as (
    select * from {{ ref('stg_calendar__public_holidays') }}
),

calendars as (
    select * from {{ ref('int_working_calendars') }}
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
    select
        calendars.calendar_code,
        days.calendar_date,
        calendars.day_start_second,
        calendars.day_end_second,
        calendars.timezone
    from days
    inner join calendars on {{ iso_weekday('days.calendar_date') }} = calendars.iso_weekday
    left join holidays
        on days.calendar_date = holidays.holiday_date
        and calendars.holiday_country = holidays.country_code
    where holidays.holiday_date is null
),

final as (
    select
        calendar_code,
        calendar_date as working_date,
        timezone,
        {{ to_instant_in_zone(date_at_seconds('calendar_date', 'day_start_second'), 'timezone') }}
            as period_start_instant,
        {{ to_instant_in_zone(date_at_seconds('calendar_date', 'day_end_second'), 'timezone') }}
            as period_end_instant
    from working_days
)

select * from final
