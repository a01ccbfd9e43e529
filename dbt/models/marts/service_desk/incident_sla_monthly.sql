{#- One row per month × priority × group_code (the ticket's final group; no unit's code,
    '(none)', var no_unit, for a ticket no group ever held). Opened counts
    tickets opened in the month; resolution measures count tickets resolved (for good) in
    it; the backlog is the tickets open at the end of the month (or at as_of for the
    current month). -#}

with tickets as (
    select * from {{ ref('incident_sla') }}
),

-- a ticket's time in the backlog: its open and on-hold segments
unresolved_segments as (
    select
        ticket_id,
        start_instant,
        end_instant
    from {{ ref('int_ticket_intervals') }}
    where state in ('open', 'on_hold')
),

escalation_events as (
    select
        ticket_id,
        event_at
    from {{ ref('int_ticket_intervals') }}
    where event = 'escalated' and comment_chars < {{ var('full_comment_min_chars') }}
),

measured as (
    select ticket_id from {{ ref('int_tickets_measured') }}
),

sla_targets as (
    select * from {{ ref('sla_targets') }}
),

-- the backlog segments of every ticket; a registered ticket without any event yet is open
-- (it has no row in int_tickets_measured, one row per ticket with events: an anti-join
-- with it rather than with every segment, and the instant for these few tickets only)
state_segments as (
    select
        ticket_id,
        start_instant,
        end_instant
    from unresolved_segments
    union all
    select
        tickets.ticket_id,
        {{ to_instant('tickets.opened_at') }} as start_instant,
        null as end_instant
    from tickets
    where tickets.ticket_id not in (select measured.ticket_id from measured)
),

opened as (
    select
        opened_month as month_start,
        priority,
        {{ or_no_unit('final_group_code') }} as group_code,
        count(*) as tickets_opened
    from tickets
    group by 1, 2, 3
),

resolved as (
    select
        resolved_month as month_start,
        priority,
        {{ or_no_unit('final_group_code') }} as group_code,
        count(*) as tickets_resolved,
        count(*) filter (where is_sla_met) as sla_met_tickets,
        count(*) filter (where is_response_sla_met) as response_sla_met_tickets,
        {{ percentile('resolution_business_minutes', 0.5) }} as median_resolution_business_minutes,
        {{ percentile('resolution_business_minutes', 0.9) }} as p90_resolution_business_minutes,
        {{ percentile('resolution_calendar_minutes', 0.5) }} as median_resolution_calendar_minutes,
        {{ percentile('resolution_calendar_minutes', 0.9) }} as p90_resolution_calendar_minutes,
        {{ percentile('response_business_minutes', 0.5) }} as median_response_business_minutes,
        {{ percentile('response_business_minutes', 0.9) }} as p90_response_business_minutes,
        count(*) filter (where is_first_line_resolved) as first_line_resolved_tickets
    from tickets
    where resolved_month is not null and resolved_at <= {{ as_of_local() }}
    group by 1, 2, 3
),

-- escalations without a full comment, in the month of the escalation
escalations as (
    select
        cast({{ dbt.date_trunc('month', 'escalation_events.event_at') }} as date) as month_start,
        tickets.priority,
        {{ or_no_unit('tickets.final_group_code') }} as group_code,
        count(*) as escalations_without_comment
    from escalation_events
    inner join tickets on escalation_events.ticket_id = tickets.ticket_id
    where escalation_events.event_at <= {{ as_of_local() }}
    group by 1, 2, 3
),

-- month ends up to as_of: the instant the backlog is counted at
month_ends as (
    select
        cast(month_start as date) as month_start,
        least(
            {{ instant_before(to_instant(dbt.dateadd('month', 1, 'month_start'))) }},
            {{ as_of_instant() }}
        ) as counted_at
    from {{ month_series('(select min(opened_month) from tickets)',
                         'cast(' ~ dbt.date_trunc('month', as_of_local()) ~ ' as date)') }} as months (month_start)
),

backlog as (
    select
        month_ends.month_start,
        tickets.priority,
        {{ or_no_unit('tickets.final_group_code') }} as group_code,
        count(*) as backlog_at_month_end
    from month_ends
    -- two plain inequalities (no OR): DuckDB runs a merge-based inequality join instead of
    -- a nested loop over every month end and segment
    inner join state_segments
        on month_ends.counted_at >= state_segments.start_instant
        and coalesce(state_segments.end_instant, {{ far_future_instant() }}) > month_ends.counted_at
    inner join tickets on state_segments.ticket_id = tickets.ticket_id
    group by 1, 2, 3
),

keys as (
    select
        month_start,
        priority,
        group_code
    from opened
    union
    select
        month_start,
        priority,
        group_code
    from resolved
    union
    select
        month_start,
        priority,
        group_code
    from backlog
    union
    select
        month_start,
        priority,
        group_code
    from escalations
),

final as (
    select
        keys.month_start,
        keys.priority,
        keys.group_code,
        coalesce(opened.tickets_opened, 0) as tickets_opened,
        coalesce(resolved.tickets_resolved, 0) as tickets_resolved,
        coalesce(resolved.sla_met_tickets, 0) as sla_met_tickets,
        {{ pct('resolved.sla_met_tickets', 'resolved.tickets_resolved') }} as sla_met_pct,
        coalesce(resolved.response_sla_met_tickets, 0) as response_sla_met_tickets,
        {{ pct('resolved.response_sla_met_tickets', 'resolved.tickets_resolved') }}
            as response_sla_met_pct,
        sla_targets.resolution_target_minutes,
        sla_targets.response_target_minutes,
        resolved.median_resolution_business_minutes,
        resolved.p90_resolution_business_minutes,
        resolved.median_resolution_calendar_minutes,
        resolved.p90_resolution_calendar_minutes,
        resolved.median_response_business_minutes,
        resolved.p90_response_business_minutes,
        coalesce(resolved.first_line_resolved_tickets, 0) as first_line_resolved_tickets,
        {{ pct('resolved.first_line_resolved_tickets', 'resolved.tickets_resolved') }}
            as first_line_resolved_pct,
        coalesce(escalations.escalations_without_comment, 0) as escalations_without_comment,
        coalesce(backlog.backlog_at_month_end, 0) as backlog_at_month_end
    from keys
    left join opened
        on keys.month_start = opened.month_start
        and keys.priority = opened.priority
        and keys.group_code = opened.group_code
    left join resolved
        on keys.month_start = resolved.month_start
        and keys.priority = resolved.priority
        and keys.group_code = resolved.group_code
    left join backlog
        on keys.month_start = backlog.month_start
        and keys.priority = backlog.priority
        and keys.group_code = backlog.group_code
    left join escalations
        on keys.month_start = escalations.month_start
        and keys.priority = escalations.priority
        and keys.group_code = escalations.group_code
    left join sla_targets on keys.priority = sla_targets.priority
)

select * from final
