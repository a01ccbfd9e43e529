with source as (
    select * from {{ source('raw', 'service_cards') }}
),

deduplicated as (
    select *
    from source
    qualify row_number() over (partition by card_id order by _load_id desc, _source_row desc) = 1
),

final as (
    select
        card_id,
        title_pl,
        responsible_unit,
        online_available,
        last_reviewed_at
    from deduplicated
)

select * from final
