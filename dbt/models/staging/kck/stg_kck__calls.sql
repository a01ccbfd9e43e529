with source as (
    select * from {{ source('raw', 'calls') }}
),

deduplicated as (
    select *
    from source
    qualify row_number() over (partition by call_id order by _load_id desc, _source_row desc) = 1
),

final as (
    select
        call_id,
        queue as queue_raw,
        -- the switch reports the same queue with varying case and spaces
        upper(trim(regexp_replace(queue, '\s+', ' ', 'g'))) as queue,
        offered_at,
        answered_at,
        ended_at,
        {{ to_instant('offered_at') }} as offered_instant,
        {{ to_instant('answered_at') }} as answered_instant,
        {{ to_instant('ended_at') }} as ended_instant,
        agent_id,
        caller_number_hash,
        record_type,
        topic_code,
        forwarded_unit,
        resolved_on_call,
        _load_id
    from deduplicated
    -- the switch writes a call's record when it ends: a call still ringing or in
    -- progress at as_of is not known yet
    where {{ known_at_as_of('coalesce(ended_at, answered_at, offered_at)') }}
)

select * from final
