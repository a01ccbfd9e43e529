{#- One row per declared working calendar × ISO weekday it works (raw.working_calendars,
    written by cityops import; the newest declaration of a code replaced the older one
    there). Its hours as seconds after the local midnight of its time zone. -#}
with source as (
    select * from {{ source('raw', 'working_calendars') }}
),

final as (
    select
        calendar_code,
        cast(iso_weekday as integer) as iso_weekday,
        {{ seconds_of_day('day_start') }} as day_start_second,
        {{ seconds_of_day('day_end') }} as day_end_second,
        timezone,
        holiday_country
    from source
)

select * from final
