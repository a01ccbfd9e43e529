{#- One row per ticket: response and resolution on the clock of the ticket's service
    (business hours on the ticket's working calendar, calendar_code, or 24x7),
    SLA targets of its final priority, and the as_of-dependent state (open, age). -#}

{{ config(
    materialized='incremental',
    unique_key='ticket_id',
    meta={'tests_read_rows_of_this_build': true}
) }}
{#- Incremental (DECISIONS.md § 14): a daily build recomputes only the tickets with a row of
    a load this table has not seen (a new ticket, new events: `_last_load_id` is the
    latest load among the ticket's row and its events, and a new load is no ticket's
    `_last_load_id` yet) and the tickets open at the previous build (their age and state
    move with as_of). Every other row is final: it changes only with new data, and
    warehouse.build runs a full refresh when as_of moves across data already built, when
    the code of this model or anything upstream changes, or when the service catalogue or
    the SLA targets change. -#}

-- depends_on: {{ ref('stg_service_desk__tickets') }}, {{ ref('build_info') }}
{% if is_incremental() %}
with loads_seen as (
    select distinct _last_load_id as _load_id from {{ this }}
),

in_scope as (
    select ticket_id from {{ source('raw', 'tickets') }}
    where _load_id not in (select _load_id from loads_seen)
    union
    select ticket_id from {{ ref('int_tickets_measured') }}
    where last_load_id not in (select _load_id from loads_seen)
    union
    select ticket_id from {{ this }} where is_open
),

-- the staging rows of these tickets only (not deduplicating every ticket first)
tickets as (
    select * from ({{ stg_service_desk__tickets_rows(only_keys='select ticket_id from in_scope') }}) as staged
),

measured as (
    select * from {{ ref('int_tickets_measured') }}
    where ticket_id in (select ticket_id from in_scope)
),

intervals as (
    select * from {{ ref('int_ticket_intervals') }}
    where ticket_id in (select ticket_id from in_scope)
),
{% else %}
with tickets as (
    select * from {{ ref('stg_service_desk__tickets') }}
),

measured as (
    select * from {{ ref('int_tickets_measured') }}
),

intervals as (
    select * from {{ ref('int_ticket_intervals') }}
),
{% endif %}

services as (
    select * from {{ ref('stg_catalogue__it_services') }}
),

sla_targets as (
    select * from {{ ref('sla_targets') }}
),

clocked as (
    select
        tickets.*,
        -- a service the catalogue does not hold (kept unmapped by an importer) runs on the
        -- default clock, the UMK office hours (DECISIONS.md § 19)
        coalesce(services.support_hours, '{{ var("default_support_hours") }}') as support_hours,
        coalesce(services.name_pl, {{ unmapped_name('tickets.service_code', 'pl') }})
            as service_name_pl
    from tickets
    left join services on tickets.service_code = services.service_code
),

-- state as of as_of: the latest event up to as_of is neither resolved nor closed
state_as_of as (
    -- arg_max (a hash aggregate) rather than a row_number() window over every segment
    select
        ticket_id,
        {{ value_at_max('state', 'event_seq') }} as state
    from intervals
    where start_instant <= {{ as_of_instant() }}
    group by 1
),

open_tickets as (
    select
        clocked.ticket_id,
        clocked.opened_instant,
        clocked.support_hours,
        clocked.calendar_code
    from clocked
    left join state_as_of on clocked.ticket_id = state_as_of.ticket_id
    where
        clocked.opened_instant <= {{ as_of_instant() }}
        and coalesce(state_as_of.state in ('open', 'on_hold'), true)
),

-- running time of open tickets up to as_of: open segments only (on hold does not age)
age_segments as (
    select
        open_tickets.ticket_id,
        open_tickets.support_hours,
        open_tickets.calendar_code,
        intervals.event_seq,
        intervals.state,
        intervals.start_instant,
        least(coalesce(intervals.end_instant, {{ as_of_instant() }}), {{ as_of_instant() }})
            as end_instant
    from open_tickets
    inner join intervals on open_tickets.ticket_id = intervals.ticket_id
    where
        intervals.start_instant < {{ as_of_instant() }}
        and intervals.state in ('open', 'on_hold')
    union all
    -- a registered ticket without any event yet ages from opened_at
    select
        open_tickets.ticket_id,
        open_tickets.support_hours,
        open_tickets.calendar_code,
        0 as event_seq,
        'open' as state,
        open_tickets.opened_instant as start_instant,
        {{ as_of_instant() }} as end_instant
    from open_tickets
    where not exists (
        select intervals.ticket_id from intervals
        where intervals.ticket_id = open_tickets.ticket_id
    )
),

-- on the ticket's working calendar
age_office as (
    {{ business_minutes_of_intervals('age_segments', ['ticket_id', 'event_seq'],
                                     calendar_col='calendar_code') }}
),

{% set segment_minutes -%}
    case
        when age_segments.support_hours = '24x7'
            then {{ elapsed_minutes('age_segments.start_instant', 'age_segments.end_instant') }}
        else age_office.business_minutes
    end
{%- endset %}
age as (
    select
        age_segments.ticket_id,
        {{ exact_duration_sum(segment_minutes, 'minutes', where="age_segments.state = 'open'") }}
            as age_minutes,
        {{ exact_duration_sum(segment_minutes, 'minutes', where="age_segments.state = 'on_hold'") }}
            as on_hold_minutes
    from age_segments
    inner join age_office
        on age_segments.ticket_id = age_office.ticket_id
        and age_segments.event_seq = age_office.event_seq
    group by 1
),

joined as (
    select
        clocked.ticket_id,
        clocked.ticket_type,
        coalesce(measured.final_priority, clocked.initial_priority) as priority,
        clocked.initial_priority,
        clocked.service_code,
        clocked.service_name_pl,
        clocked.support_hours,
        clocked.requester_unit,
        measured.final_group_code,
        clocked.channel,
        clocked.opened_at,
        cast({{ dbt.date_trunc('month', 'clocked.opened_at') }} as date) as opened_month,
        measured.first_response_at,
        measured.resolved_at,
        cast({{ dbt.date_trunc('month', 'measured.resolved_at') }} as date) as resolved_month,
        measured.closed_at,
        case
            when clocked.support_hours = '24x7' then measured.response_elapsed_minutes
            else measured.response_office_minutes
        end as response_business_minutes,
        measured.response_calendar_minutes,
        case
            when measured.resolved_at is not null then
                case
                    when clocked.support_hours = '24x7' then measured.resolution_elapsed_minutes
                    else measured.resolution_office_minutes
                end
        end as resolution_business_minutes,
        measured.resolution_calendar_minutes,
        case
            when open_tickets.ticket_id is not null then coalesce(age.on_hold_minutes, 0)
            when clocked.support_hours = '24x7' then coalesce(measured.on_hold_elapsed_minutes, 0)
            else coalesce(measured.on_hold_office_minutes, 0)
        end as on_hold_business_minutes,
        measured.resolved_at is not null as is_resolved,
        coalesce(measured.held_by_first_line_only and measured.resolved_at is not null, false)
            as is_first_line_resolved,
        coalesce(measured.escalation_count, 0) as escalation_count,
        coalesce(measured.escalations_without_comment, 0) as escalations_without_comment,
        coalesce(measured.escalations_without_comment, 0) > 0 as has_escalation_without_comment,
        coalesce(measured.reopen_count, 0) as reopen_count,
        open_tickets.ticket_id is not null as is_open,
        case when open_tickets.ticket_id is not null then coalesce(age.age_minutes, 0) end
            as age_business_minutes,
        greatest(clocked._load_id, coalesce(measured.last_load_id, clocked._load_id))
            as _last_load_id
    from clocked
    left join measured on clocked.ticket_id = measured.ticket_id
    left join open_tickets on clocked.ticket_id = open_tickets.ticket_id
    left join age on clocked.ticket_id = age.ticket_id
),

final as (
    select
        joined.ticket_id,
        joined.ticket_type,
        joined.priority,
        joined.initial_priority,
        joined.service_code,
        joined.service_name_pl,
        joined.support_hours,
        joined.requester_unit,
        joined.final_group_code,
        joined.channel,
        joined.opened_at,
        joined.opened_month,
        joined.first_response_at,
        joined.resolved_at,
        joined.resolved_month,
        joined.closed_at,
        joined.response_business_minutes,
        joined.response_calendar_minutes,
        joined.resolution_business_minutes,
        joined.resolution_calendar_minutes,
        joined.on_hold_business_minutes,
        sla_targets.response_target_minutes,
        sla_targets.resolution_target_minutes,
        joined.response_business_minutes <= sla_targets.response_target_minutes
            as is_response_sla_met,
        case
            when joined.is_resolved
                then joined.resolution_business_minutes <= sla_targets.resolution_target_minutes
        end as is_resolution_sla_met,
        case
            when joined.is_resolved
                then
                    coalesce(
                        joined.response_business_minutes <= sla_targets.response_target_minutes,
                        false
                    )
                    and joined.resolution_business_minutes <= sla_targets.resolution_target_minutes
        end as is_sla_met,
        joined.is_resolved,
        joined.is_first_line_resolved,
        joined.escalation_count,
        joined.escalations_without_comment,
        joined.has_escalation_without_comment,
        joined.reopen_count,
        joined.is_open,
        joined.age_business_minutes,
        case
            when joined.is_open
                then {{ pct('joined.age_business_minutes',
                            'sla_targets.resolution_target_minutes') }}
        end as resolution_target_used_pct,
        joined._last_load_id,
        {{ build_id() }} as _build_id
    from joined
    left join sla_targets on joined.priority = sla_targets.priority
)

select * from final
