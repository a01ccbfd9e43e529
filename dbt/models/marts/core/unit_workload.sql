{#- One row per month × unit_code: what each UMK unit asked of, and did for, the
    service desk, KCK and the portals in the month (events up to as_of). -#}

with tickets as (
    select * from {{ ref('incident_sla') }}
),

intervals as (
    select * from {{ ref('int_ticket_intervals') }}
),

calls as (
    select * from {{ ref('int_calls_measured') }}
),

submissions as (
    select * from {{ ref('submissions') }}
),

publications as (
    select * from {{ ref('publications') }}
),

units as (
    select * from {{ ref('organisation_units') }}
),

-- what KCK forwarded to a unit by as_of: each call forwarded to it and each submission
-- forwarded to it; a matter new to the unit (is_new_matter) unless it is a report taken
-- from a call (call_id) that was itself forwarded to the unit: that call is the contact
-- (DECISIONS.md § 19)
forwarded as (
    select
        month_start,
        forwarded_unit as unit_code,
        'calls_forwarded' as measure,
        true as is_new_matter
    from calls
    where forwarded_unit is not null and offered_at <= {{ as_of_local() }}
    union all
    select
        cast({{ dbt.date_trunc('month', 'submissions.forwarded_at') }} as date) as month_start,
        submissions.responsible_unit as unit_code,
        'submissions_forwarded' as measure,
        source_calls.call_id is null as is_new_matter
    from submissions
    left join calls as source_calls
        on submissions.call_id = source_calls.call_id
        and submissions.responsible_unit = source_calls.forwarded_unit
        and source_calls.offered_at <= {{ as_of_local() }}
    where
        submissions.forwarded_at <= {{ as_of_local() }}
        and submissions.responsible_unit is not null
),

measures as (
    select
        opened_month as month_start,
        requester_unit as unit_code,
        'tickets_requested' as measure,
        count(*) as n
    from tickets
    group by 1, 2
    union all
    select
        cast({{ dbt.date_trunc('month', 'event_at') }} as date) as month_start,
        group_code as unit_code,
        'tickets_handled' as measure,
        count(distinct ticket_id) as n
    from intervals
    where event_at <= {{ as_of_local() }} and group_code is not null
    group by 1, 2
    union all
    select
        cast({{ dbt.date_trunc('month', 'event_at') }} as date) as month_start,
        group_code as unit_code,
        'escalations_received' as measure,
        count(*) as n
    from intervals
    where event = 'escalated' and event_at <= {{ as_of_local() }} and group_code is not null
    group by 1, 2
    union all
    -- the calls and the submissions forwarded to the unit, each kind counted, and
    -- together every matter KCK passed to it, once
    select
        month_start,
        unit_code,
        measure,
        count(*) as n
    from forwarded
    group by 1, 2, 3
    union all
    select
        month_start,
        unit_code,
        'kck_matters_forwarded' as measure,
        count(*) filter (where is_new_matter) as n
    from forwarded
    group by 1, 2
    union all
    select
        cast({{ dbt.date_trunc('month', 'reply_due_at') }} as date) as month_start,
        responsible_unit as unit_code,
        'submissions_overdue' as measure,
        count(*) as n
    from submissions
    where is_reply_late and responsible_unit is not null
    group by 1, 2
    union all
    select
        published_month as month_start,
        owner_unit as unit_code,
        'publications_made' as measure,
        count(*) as n
    from publications
    where is_published
    group by 1, 2
),

pivoted as (
    select
        month_start,
        unit_code,
        sum(n) filter (where measure = 'tickets_requested') as tickets_requested,
        sum(n) filter (where measure = 'tickets_handled') as tickets_handled,
        sum(n) filter (where measure = 'escalations_received') as escalations_received,
        sum(n) filter (where measure = 'calls_forwarded') as calls_forwarded,
        sum(n) filter (where measure = 'submissions_forwarded') as submissions_forwarded,
        sum(n) filter (where measure = 'submissions_overdue') as submissions_overdue,
        sum(n) filter (where measure = 'kck_matters_forwarded') as kck_matters_forwarded,
        sum(n) filter (where measure = 'publications_made') as publications_made
    from measures
    group by 1, 2
),

final as (
    select
        pivoted.month_start,
        pivoted.unit_code,
        units.name_pl as unit_name_pl,
        units.department,
        units.reporting_line,
        cast(coalesce(pivoted.tickets_requested, 0) as bigint) as tickets_requested,
        cast(coalesce(pivoted.tickets_handled, 0) as bigint) as tickets_handled,
        cast(coalesce(pivoted.escalations_received, 0) as bigint) as escalations_received,
        cast(coalesce(pivoted.calls_forwarded, 0) as bigint) as calls_forwarded,
        cast(coalesce(pivoted.submissions_forwarded, 0) as bigint) as submissions_forwarded,
        cast(coalesce(pivoted.submissions_overdue, 0) as bigint) as submissions_overdue,
        cast(coalesce(pivoted.kck_matters_forwarded, 0) as bigint) as kck_matters_forwarded,
        cast(coalesce(pivoted.publications_made, 0) as bigint) as publications_made
    from pivoted
    left join units on pivoted.unit_code = units.unit_code
)

select * from final
