{{ config(
    materialized='incremental',
    unique_key='ticket_id',
    meta={'tests_read_rows_of_this_build': true}
) }}
{#- One row per ticket event = the segment from that event to the ticket's next event,
    with the state the ticket is in during it and the minutes of that segment on both
    clocks (the office clock of the ticket's working calendar, calendar_code, and real
    elapsed time). Independent of as_of and of the service catalogue, so it can be built
    incrementally: a load touching a ticket's events recomputes all of that ticket's
    segments (delete+insert on ticket_id); tickets with no new events are not read again
    (a load giving a built ticket another calendar, or another definition of a calendar
    built tickets use, makes warehouse.build refresh fully: changes.calendar_change_reason). -#}

{#- incremental: the staging rows of the tickets with a raw row from an unseen load only
    (the same rows as the staging view for those tickets, without deduplicating the
    whole history); of those, the tickets whose rows of an unseen load are known at as_of -#}
-- depends_on: {{ ref('stg_service_desk__ticket_events') }}, {{ ref('build_info') }}
-- depends_on: {{ ref('stg_service_desk__tickets') }}
{% if is_incremental() %}
with candidate_events as (
    -- event_instant is converted below for the events in scope only
    select {{ star_exclude(['event_instant'], ref('stg_service_desk__ticket_events')) }}
    from ({{ stg_service_desk__ticket_events_rows(
        only_keys=keys_of_new_loads('ticket_events', 'ticket_id', this)) }}) as staged
),

loads_done as (
    select distinct _load_id from {{ this }}
),

changed_tickets as (
    select distinct candidate_events.ticket_id
    from candidate_events
    left join loads_done on loads_done._load_id is not distinct from candidate_events._load_id
    where loads_done._load_id is null and candidate_events._load_id is not null
),

events_in_scope_local as (
    select candidate_events.*
    from candidate_events
    inner join changed_tickets on changed_tickets.ticket_id = candidate_events.ticket_id
),

-- the calendars of these tickets only (the staging rows of their keys)
tickets as (
    select * from ({{ stg_service_desk__tickets_rows(
        only_keys='select ticket_id from changed_tickets') }}) as staged
),
{% else %}
with events_in_scope_local as (
    -- event_instant is converted below (one conversion for both branches)
    select {{ star_exclude(['event_instant'], ref('stg_service_desk__ticket_events')) }}
    from {{ ref('stg_service_desk__ticket_events') }}
),

tickets as (
    select * from {{ ref('stg_service_desk__tickets') }}
),
{% endif %}

events_in_scope as (
    select
        events_in_scope_local.*,
        -- the working calendar of the ticket's business clock (a ticket not known at
        -- as_of: the default)
        coalesce(tickets.calendar_code, '{{ default_calendar() }}') as calendar_code,
        {{ to_instant('events_in_scope_local.event_at') }} as event_instant
    from events_in_scope_local
    left join tickets on events_in_scope_local.ticket_id = tickets.ticket_id
),

sequenced as (
    select
        *,
        row_number() over ticket_order as event_seq,
        lead(event_instant) over ticket_order as next_event_instant,
        lead(event_at) over ticket_order as next_event_at
    from events_in_scope
    -- events of one instant: in the source's order where it gives one, else by kind
    window ticket_order as (
        partition by ticket_id order by event_instant, source_seq nulls last, event_rank
    )
),

segments as (
    select
        ticket_id,
        event_seq,
        calendar_code,
        event_instant as start_instant,
        next_event_instant as end_instant
    from sequenced
    where next_event_instant is not null
),

office_minutes as (
    {{ business_minutes_of_intervals('segments', ['ticket_id', 'event_seq'],
                                     calendar_col='calendar_code') }}
),

final as (
    select
        sequenced.ticket_id,
        sequenced.event_seq,
        sequenced.event,
        sequenced.event_at,
        sequenced.next_event_at,
        sequenced.event_instant as start_instant,
        sequenced.next_event_instant as end_instant,
        sequenced.state_after as state,
        sequenced.group_code,
        sequenced.priority,
        sequenced.comment_chars,
        sequenced.calendar_code,
        sequenced.next_event_instant is null as is_last_event,
        office_minutes.business_minutes as office_minutes,
        {{ elapsed_minutes('sequenced.event_instant', 'sequenced.next_event_instant') }}
            as elapsed_minutes,
        sequenced._load_id,
        {{ build_id() }} as _build_id
    from sequenced
    left join office_minutes
        on sequenced.ticket_id = office_minutes.ticket_id
        and sequenced.event_seq = office_minutes.event_seq
)

select * from final
