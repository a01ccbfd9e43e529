{{ config(materialized='table') }}
{#- One row per working calendar × ISO weekday it works (grain), the definitions the
    business clock of this build runs on (a table: warehouse/build/changes.py compares
    the next build's raw.working_calendars with it):
    - UMK, the default (an empty tickets.calendar_code): Mon–Fri, the vars
      office_day_start–office_day_end on the Europe/Warsaw wall clock, Polish holidays;
    - every calendar an import declared (raw.working_calendars): its weekdays and hours on
      its source's wall clock (its time zone), the holidays of its country or none.
    Hours are seconds after the local midnight (86400 = the midnight that ends the day). -#}

with declared as (
    select * from {{ ref('stg_calendar__working_calendars') }}
    -- the import never declares UMK (warehouse/calendar.py); it is the vars' alone
    where calendar_code <> '{{ default_calendar() }}'
),

umk_weekdays as (
    select weekdays.iso_weekday from (values (1), (2), (3), (4), (5)) as weekdays (iso_weekday)
),

umk as (
    select
        '{{ default_calendar() }}' as calendar_code,
        iso_weekday,
        {{ seconds_of_time_text(var('office_day_start')) }} as day_start_second,
        {{ seconds_of_time_text(var('office_day_end')) }} as day_end_second,
        'Europe/Warsaw' as timezone,
        '{{ default_calendar_holidays() }}' as holiday_country
    from umk_weekdays
),

final as (
    select * from umk
    union all
    select
        calendar_code,
        iso_weekday,
        day_start_second,
        day_end_second,
        timezone,
        holiday_country
    from declared
)

select * from final
