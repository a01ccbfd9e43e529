{#- The start of every staging model, and the bodies of the staging models an incremental
    model reads for a few keys only.

    `raw_contract(table)` (macros/contracts.sql, generated from warehouse/contracts.py —
    the one home of a contract's key and known-at rule): its `key` (columns) and
    `known_at` (SQL; absent for a catalogue, whose rows are all known).

    `latest_raw_rows(table)` gives the CTEs `source` and `deduplicated`: the rows of
    raw.<table>, the latest load of each contract key winning (a newer extract replaces an
    older one; within a file the last row). With `only_keys` (a query returning `key`
    values, default the contract key) it keeps those keys only, BEFORE the deduplication
    window: the window partitions by that key, so each kept partition is whole and its
    rows are exactly the staging model's rows for that key; but DuckDB cannot push such a
    filter through the window of a staging view, which made a one-day build deduplicate
    and convert the whole history.

    `known_at_filter(table)`: the rows of raw.<table> known at as_of (its contract's
    known_at, e.g. a call is known when it ends).

    `keys_of_new_loads(table, key, seen_by)`: the keys with a raw row from a load that
    `seen_by` (the incremental model itself, with a `_load_id` column) has not seen. -#}

{% macro known_at_filter(table) -%}
    {%- set known_at = raw_contract(table).get('known_at') -%}
    {%- if known_at -%}{{ known_at_as_of(known_at) }}{%- else -%}true{%- endif -%}
{%- endmacro %}

{% macro latest_raw_rows(table, key=none, only_keys=none) -%}
{%- set unique_key = raw_contract(table).key | join(', ') -%}
source as (
    select * from {{ source('raw', table) }}
    {%- if only_keys is not none %}
    where {{ key or unique_key }} in ({{ only_keys }})
    {%- endif %}
),

deduplicated as (
    {{ latest_row_per_key('source', unique_key, '_load_id desc, _source_row desc') }}
)
{%- endmacro %}

{% macro keys_of_new_loads(table, key, seen_by) -%}
    select {{ key }} from {{ source('raw', table) }}
    where _load_id is not null
      and _load_id not in (select distinct _load_id from {{ seen_by }} where _load_id is not null)
{%- endmacro %}

{% macro stg_service_desk__ticket_events_rows(only_keys=none) %}
with {{ latest_raw_rows('ticket_events', key='ticket_id', only_keys=only_keys) }},

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
        -- the source's order of the ticket's events (e.g. ServiceNow's sys_mod_count):
        -- orders events of one instant before their kind does; empty when not delivered
        cast(event_seq as bigint) as source_seq,
        _load_id
    from deduplicated
    where {{ known_at_filter('ticket_events') }}
)

select * from final
{% endmacro %}

{% macro stg_kck__calls_rows(only_keys=none) %}
with {{ latest_raw_rows('calls', only_keys=only_keys) }},

final as (
    select
        call_id,
        queue as queue_raw,
        -- the switch reports the same queue with varying case and spaces
        upper(trim({{ regexp_replace_all('queue', '\\s+', ' ') }})) as queue,
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
    where {{ known_at_filter('calls') }}
)

select * from final
{% endmacro %}

{% macro stg_service_desk__tickets_rows(only_keys=none) %}
with {{ latest_raw_rows('tickets', only_keys=only_keys) }},

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
        -- the working calendar of its business clock: empty = the default, UMK's
        coalesce(calendar_code, '{{ default_calendar() }}') as calendar_code,
        _load_id
    from deduplicated
    where {{ known_at_filter('tickets') }}
)

select * from final
{% endmacro %}

{% macro stg_kck__submissions_rows(only_keys=none) %}
with {{ latest_raw_rows('submissions', only_keys=only_keys) }},

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
        call_id,
        _load_id
    from deduplicated
    where {{ known_at_filter('submissions') }}
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
        call_id,
        _load_id
    from known
)

select * from final
{% endmacro %}

{% macro stg_publications__publications_rows(only_keys=none) %}
with {{ latest_raw_rows('publications', only_keys=only_keys) }},

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
    where {{ known_at_filter('publications') }}
)

select * from final
{% endmacro %}
