with source as (
    select * from {{ source('raw', 'it_services') }}
),

deduplicated as (
    select *
    from source
    qualify row_number() over (partition by service_code order by _load_id desc, _source_row desc) = 1
),

final as (
    select
        service_code,
        name_pl,
        name_en,
        owner_unit,
        cast(criticality as integer) as criticality,
        support_hours,
        status,
        valid_from,
        valid_to
    from deduplicated
)

select * from final
