with source as (
    select * from {{ source('raw', 'tickets') }}
),

deduplicated as (
    select *
    from source
    qualify row_number() over (partition by ticket_id order by _load_id desc, _source_row desc) = 1
),

final as (
    select
        ticket_id,
        ticket_type,
        service_code,
        requester_unit,
        channel,
        cast(priority as integer) as initial_priority,
        opened_at,
        {{ to_instant('opened_at') }} as opened_instant,
        _load_id
    from deduplicated
    where {{ known_at_as_of('opened_at') }}
)

select * from final
