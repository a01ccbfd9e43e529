with source as (
    select * from {{ source('raw', 'ticket_events') }}
),

deduplicated as (
    select *
    from source
    qualify row_number() over (
        partition by ticket_id, event_at, event order by _load_id desc, _source_row desc
    ) = 1
),

final as (
    select
        ticket_id,
        event_at,
        {{ to_instant('event_at') }} as event_instant,
        event,
        -- order of events logged at the same instant
        case event
            when 'opened' then 1 when 'acknowledged' then 2 when 'assigned' then 3
            when 'escalated' then 4 when 'on_hold' then 5 when 'resumed' then 6
            when 'resolved' then 7 when 'reopened' then 8 when 'closed' then 9
        end as event_rank,
        -- the state the ticket is in after the event: the clock runs only while 'open'
        case event
            when 'on_hold' then 'on_hold'
            when 'resolved' then 'resolved'
            when 'closed' then 'closed'
            else 'open'
        end as state_after,
        group_code,
        cast(priority as integer) as priority,
        coalesce(comment_chars, 0) as comment_chars,
        _load_id
    from deduplicated
    where {{ known_at_as_of('event_at') }}
)

select * from final
