with source as (
    select * from {{ source('raw', 'public_holidays') }}
),

final as (
    select
        country_code,
        cast(holiday_date as date) as holiday_date,
        min(name) as holiday_name
    from source
    group by 1, 2
)

select * from final
