with {{ latest_raw_rows('service_cards') }},

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
