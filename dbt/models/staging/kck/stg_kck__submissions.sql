with source as (
    select * from {{ source('raw', 'submissions') }}
),

deduplicated as (
    select *
    from source
    qualify row_number() over (partition by submission_id order by _load_id desc, _source_row desc) = 1
),

final as (
    select
        submission_id,
        received_at,
        {{ to_instant('received_at') }} as received_instant,
        channel,
        kind,
        topic_code,
        cast(district as integer) as district,
        submitter_email_hash,
        forwarded_at,
        {{ to_instant('forwarded_at') }} as forwarded_instant,
        responsible_unit,
        unit_replied_at,
        {{ to_instant('unit_replied_at') }} as unit_replied_instant,
        closed_at,
        {{ to_instant('closed_at') }} as closed_instant,
        outcome,
        _load_id
    from deduplicated
)

select * from final
