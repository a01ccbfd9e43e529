{#- One row per ticket that has events: the measures of its history known at as_of,
    on both clocks (office = the ticket's working calendar, UMK's Mon-Fri 07:30-15:30 without
    Polish holidays by default; elapsed = every
    minute). incident_sla picks the clock of the ticket's service. -#}

{{ config(
    materialized='incremental',
    unique_key='ticket_id',
    meta={'tests_read_rows_of_this_build': true}
) }}
{#- Incremental on int_ticket_intervals (§ 14): a ticket's measures depend on its segments
    only. `last_load_id` is the latest load among a ticket's segments; a ticket that
    int_ticket_intervals recomputed has a segment of a load it had not seen, which is no
    ticket's `last_load_id` here yet, so an incremental build re-measures exactly the
    tickets with a segment of a load that is not a `last_load_id` in this table (plus,
    harmlessly, tickets of a load every ticket of which a later load touched again).
    A full refresh of int_ticket_intervals is a full refresh of this table too (one
    dbt invocation). -#}

with intervals as (
    select * from {{ ref('int_ticket_intervals') }}
    {% if is_incremental() %}
    where ticket_id in (
        select ticket_id from {{ ref('int_ticket_intervals') }}
        where _load_id is not null
          and _load_id not in (
              select distinct last_load_id from {{ this }} where last_load_id is not null
          )
    )
    {% endif %}
),

milestones as (
    select
        ticket_id,
        min(event_seq) filter (where event = 'opened') as opened_seq,
        min(event_seq) filter (where event = 'acknowledged') as first_ack_seq,
        min(event_seq) filter (
            where event in ('assigned', 'escalated', 'on_hold', 'resolved')
        ) as first_action_seq,
        max(event_seq) filter (where event = 'resolved') as last_resolved_seq,
        max(event_seq) filter (where event = 'reopened') as last_reopened_seq,
        max(event_seq) filter (where event = 'closed') as last_closed_seq,
        max(event_seq) as last_seq
    from intervals
    group by 1
),

milestones_resolved as (
    select
        *,
        coalesce(opened_seq, 1) as start_seq,
        coalesce(first_ack_seq, first_action_seq) as first_response_seq,
        -- resolved for good: the last `resolved` is not followed by a `reopened`
        case
            when last_resolved_seq > coalesce(last_reopened_seq, 0) then last_resolved_seq
        end as final_resolved_seq
    from milestones
),

measured as (
    select
        m.ticket_id,
        max(i.start_instant) filter (where i.event_seq = m.start_seq) as opened_instant,
        max(i.start_instant) filter (where i.event_seq = m.first_response_seq)
            as first_response_instant,
        max(i.event_at) filter (where i.event_seq = m.first_response_seq) as first_response_at,
        max(i.start_instant) filter (where i.event_seq = m.final_resolved_seq) as resolved_instant,
        max(i.event_at) filter (where i.event_seq = m.final_resolved_seq) as resolved_at,
        max(i.event_at) filter (
            where i.event_seq = m.last_closed_seq
            and m.last_closed_seq > coalesce(m.last_reopened_seq, 0)
        ) as closed_at,
        max(i.priority) filter (where i.event_seq = m.last_seq) as final_priority,
        max(i.group_code) filter (where i.event_seq = m.last_seq) as final_group_code,
        max(i.state) filter (where i.event_seq = m.last_seq) as final_state,
        -- response: opened -> first response (segments are contiguous from `opened`)
        {{ exact_duration_sum('i.office_minutes', 'minutes',
            where="i.event_seq >= m.start_seq and i.event_seq < m.first_response_seq") }} as response_office_minutes,
        {{ exact_duration_sum('i.elapsed_minutes', 'minutes',
            where="i.event_seq >= m.start_seq and i.event_seq < m.first_response_seq") }} as response_elapsed_minutes,
        -- resolution: clock runs only while `open`, up to the final resolution
        coalesce({{ exact_duration_sum('i.office_minutes', 'minutes',
            where="i.state = 'open' and i.event_seq >= m.start_seq and i.event_seq < m.final_resolved_seq") }}, 0) as resolution_office_minutes,
        coalesce({{ exact_duration_sum('i.elapsed_minutes', 'minutes',
            where="i.state = 'open' and i.event_seq >= m.start_seq and i.event_seq < m.final_resolved_seq") }}, 0) as resolution_elapsed_minutes,
        coalesce({{ exact_duration_sum('i.office_minutes', 'minutes',
            where="i.state = 'on_hold' and i.event_seq < coalesce(m.final_resolved_seq, m.last_seq + 1)") }}, 0) as on_hold_office_minutes,
        coalesce({{ exact_duration_sum('i.elapsed_minutes', 'minutes',
            where="i.state = 'on_hold' and i.event_seq < coalesce(m.final_resolved_seq, m.last_seq + 1)") }}, 0) as on_hold_elapsed_minutes,
        bool_and(i.group_code = '{{ var("first_line_group") }}') filter (
            where i.event_seq <= m.final_resolved_seq
        ) as held_by_first_line_only,
        count(*) filter (where i.event = 'escalated') as escalation_count,
        count(*) filter (
            where i.event = 'escalated' and i.comment_chars < {{ var('full_comment_min_chars') }}
        ) as escalations_without_comment,
        count(*) filter (where i.event = 'reopened') as reopen_count,
        any_value(m.final_resolved_seq) as final_resolved_seq,
        max(i._load_id) as last_load_id
    from milestones_resolved as m
    inner join intervals as i on m.ticket_id = i.ticket_id
    group by 1
),

final as (
    select
        *,
        {{ elapsed_minutes('opened_instant', 'resolved_instant') }} as resolution_calendar_minutes,
        {{ elapsed_minutes('opened_instant', 'first_response_instant') }}
            as response_calendar_minutes,
        {{ build_id() }} as _build_id
    from measured
)

select * from final
