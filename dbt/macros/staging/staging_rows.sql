{#- The bodies of the staging models whose tables are big (ticket events, calls), as
    macros so an incremental fact can read the same rows for a few keys only.

    `new_loads_of` (a relation with a `_load_id` column, the incremental fact itself):
    keep only the keys (ticket_id, call_id) that have a raw row from a load that
    relation has not seen, BEFORE the deduplication window. The window partitions by
    that key, so each kept partition is whole and its rows are exactly the staging
    model's rows for that key; but DuckDB cannot push such a filter through the window
    of the staging view, which made a one-day build deduplicate the whole history
    (5 M rows, ~6 s per fact at 10×). Default (None): every key — the staging model. -#}

{% macro only_keys_of_new_loads(source_relation, key, new_loads_of) -%}
    {%- if new_loads_of is not none -%}
    where {{ key }} in (
        select {{ key }} from {{ source_relation }}
        where _load_id is not null
          and _load_id not in (
              select distinct _load_id from {{ new_loads_of }} where _load_id is not null
          )
    )
    {%- endif -%}
{%- endmacro %}

{% macro stg_service_desk__ticket_events_rows(new_loads_of=none) %}
with source as (
    select * from {{ source('raw', 'ticket_events') }}
    {{ only_keys_of_new_loads(source('raw', 'ticket_events'), 'ticket_id', new_loads_of) }}
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
{% endmacro %}

{% macro stg_kck__calls_rows(new_loads_of=none) %}
with source as (
    select * from {{ source('raw', 'calls') }}
    {{ only_keys_of_new_loads(source('raw', 'calls'), 'call_id', new_loads_of) }}
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
{% endmacro %}

{#- `only_keys` (below): a query returning the keys to keep (before the deduplication
    window, like only_keys_of_new_loads); default: every key — the staging model. -#}
{% macro stg_service_desk__tickets_rows(only_keys=none) %}
with source as (
    select * from {{ source('raw', 'tickets') }}
    {% if only_keys is not none -%}
    where ticket_id in ({{ only_keys }})
    {%- endif %}
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
{% endmacro %}

{% macro stg_kck__submissions_rows(only_keys=none) %}
with source as (
    select * from {{ source('raw', 'submissions') }}
    {% if only_keys is not none -%}
    where submission_id in ({{ only_keys }})
    {%- endif %}
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
{% endmacro %}

{% macro stg_publications__publications_rows(only_keys=none) %}
with source as (
    select * from {{ source('raw', 'publications') }}
    {% if only_keys is not none -%}
    where publication_id in ({{ only_keys }})
    {%- endif %}
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
{% endmacro %}
