with source as (
    select * from {{ source('raw', 'submissions') }}
),

deduplicated as (
    select *
    from source
    qualify row_number() over (partition by submission_id order by _load_id desc, _source_row desc) = 1
),

-- as known at as_of: received by then; forwarding, reply and closure only if they had
-- happened (the responsible unit is named when the submission is forwarded; an outcome
-- exists once it is closed)
known as (
    select
        submission_id,
        received_at,
        channel,
        kind,
        topic_code,
        district,
        submitter_email_hash,
        {{ as_known('forwarded_at') }} as forwarded_at,
        {{ as_known_with('forwarded_at', 'responsible_unit',
                         "case when forwarded_at is null then responsible_unit end") }} as responsible_unit,
        {{ as_known('unit_replied_at') }} as unit_replied_at,
        {{ as_known('closed_at') }} as closed_at,
        {{ as_known_with('closed_at', 'outcome', "case when closed_at is null then outcome else 'open' end") }}
            as outcome,
        _load_id
    from deduplicated
    where {{ known_at_as_of('received_at') }}
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
    from known
)

select * from final
