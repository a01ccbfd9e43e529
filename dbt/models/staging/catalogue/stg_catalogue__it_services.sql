with {{ latest_raw_rows('it_services') }},

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
