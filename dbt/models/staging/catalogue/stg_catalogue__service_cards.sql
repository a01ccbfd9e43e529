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
        -- a review after as_of has not happened yet; only the latest review is kept, so
        -- the one before it is unknown (NULL: the card is not counted stale)
        {{ as_known('last_reviewed_at') }} as last_reviewed_at
    from deduplicated
)

select * from final
