with source as (
    select * from {{ source('raw', 'publications') }}
),

deduplicated as (
    select *
    from source
    qualify row_number() over (partition by publication_id order by _load_id desc, _source_row desc) = 1
),

final as (
    select
        publication_id,
        portal,
        portal_area,
        content_type,
        owner_unit,
        action,
        ready_at,
        {{ to_instant('ready_at') }} as ready_instant,
        -- as known at as_of: published only if it had been by then
        {{ as_known('published_at') }} as published_at,
        {{ to_instant(as_known('published_at')) }} as published_instant,
        service_card_id,
        editor_role,
        _load_id
    from deduplicated
    where {{ known_at_as_of('ready_at') }}
)

select * from final
