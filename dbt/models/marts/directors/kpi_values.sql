{#- One row per month × kpi_code × breakdown × breakdown_value: numerator and
    denominator of every director KPI — city-wide (breakdown 'all', value '(all)'), per
    unit ('unit', the unit code or no unit's, '(none)': var no_unit) and, for the service-desk KPIs judged per
    priority, per priority ('priority', '1'–'4') — so totals and every drill-down are
    computed the same way. A table, not a view: its test and the director marts read it,
    and as a view it was computed three times a build. -#}

{{ config(materialized='table') }}

with tickets as (
    select * from {{ ref('incident_sla') }}
),

sla_monthly as (
    select * from {{ ref('incident_sla_monthly') }}
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

-- the registry's definitions in force at as_of: the rows each KPI counts (its scope)
definitions as (
    select * from {{ ref('kpi_definitions') }}
    where valid_from <= {{ as_of_local() }}
),

current_definitions as (
    {{ latest_row_per_key('definitions', 'kpi_code', 'valid_from desc') }}
),

-- each submission once per KPI of the submissions mart whose scope it is in (DK-03's
-- KPIs: the electronic channels only)
scoped_submissions as (
    select
        current_definitions.kpi_code as scoped_kpi_code,
        submissions.*
    from submissions
    inner join current_definitions
        on current_definitions.source_mart = 'submissions'
        and {{ kpi_in_scope('current_definitions.scope', 'submissions') }}
),

publications as (
    select * from {{ ref('publications') }}
),

cards as (
    select * from {{ ref('service_card_freshness') }}
),

project_months as (
    select * from {{ ref('smart_city_project_months') }}
),

resolved as (
    select
        resolved_month as month_start,
        final_group_code as unit_code,
        *
    from tickets
    where is_resolved and resolved_at <= {{ as_of_local() }}
),

{% set first_review_month -%}
(select cast({{ dbt.date_trunc('month', 'min(last_reviewed_at)') }} as date) from cards)
{%- endset %}
{%- set as_of_month -%}
cast({{ dbt.date_trunc('month', as_of_local()) }} as date)
{%- endset %}
card_months as (
    select
        cast(month_start as date) as month_start,
        least({{ last_second_of_month('cast(month_start as date)') }}, {{ as_of_local() }})
            as counted_at
    from {{ month_series(first_review_month, as_of_month) }} as months (month_start)
),

{# the shares of the resolved tickets, per unit; those with targets per priority (seeds
   kpi_targets, breakdown priority) per priority too #}
{% set priority_kpis = [
    ('incident_sla_met_pct', 'is_sla_met'),
    ('incident_response_sla_met_pct', 'is_response_sla_met'),
] %}
{% set resolved_kpis = priority_kpis + [('first_line_resolution_pct', 'is_first_line_resolved')] %}
others as (
    {{ kpi_share_parts('resolved', resolved_kpis, 'unit_code') }}
    union all
    select
        cast({{ dbt.date_trunc('month', 'event_at') }} as date) as month_start,
        'escalations_without_comment_pct' as kpi_code,
        group_code as unit_code,
        count(*) filter (where comment_chars < {{ var('full_comment_min_chars') }}) as numerator,
        count(*) as denominator
    from intervals
    where event = 'escalated' and event_at <= {{ as_of_local() }}
    group by 1, 2, 3
    union all
    select
        month_start,
        'incident_backlog' as kpi_code,
        group_code as unit_code,
        sum(backlog_at_month_end) as numerator,
        null as denominator
    from sla_monthly
    group by 1, 2, 3
    union all
    select
        month_start,
        'kck_service_level_pct' as kpi_code,
        'DK-02' as unit_code,
        count(*) filter (where is_answered_within_20s) as numerator,
        count(*) filter (where not is_short_abandoned) as denominator
    from calls
    where offered_at <= {{ as_of_local() }}
    group by 1, 2, 3
    union all
    select
        month_start,
        'kck_abandon_rate_pct' as kpi_code,
        'DK-02' as unit_code,
        count(*) filter (where is_abandoned and not is_short_abandoned) as numerator,
        count(*) filter (where not is_short_abandoned) as denominator
    from calls
    where offered_at <= {{ as_of_local() }}
    group by 1, 2, 3
    union all
    select
        month_start,
        'kck_asa_seconds' as kpi_code,
        'DK-02' as unit_code,
        {{ exact_duration_sum('wait_seconds', 'seconds', where='is_answered') }} as numerator,
        count(*) filter (where is_answered) as denominator
    from calls
    where offered_at <= {{ as_of_local() }}
    group by 1, 2, 3
    union all
    select
        cast({{ dbt.date_trunc('month', 'reply_due_at') }} as date) as month_start,
        'submissions_overdue_pct' as kpi_code,
        responsible_unit as unit_code,
        count(*) filter (where is_reply_late) as numerator,
        count(*) as denominator
    from scoped_submissions
    where scoped_kpi_code = 'submissions_overdue_pct' and reply_due_at <= {{ as_of_local() }}
    group by 1, 2, 3
    union all
    select
        cast({{ dbt.date_trunc('month', 'forwarded_at') }} as date) as month_start,
        'submission_days_to_forward' as kpi_code,
        responsible_unit as unit_code,
        {{ exact_duration_sum('days_to_forward', 'days') }} as numerator,
        count(*) as denominator
    from scoped_submissions
    where scoped_kpi_code = 'submission_days_to_forward' and forwarded_at <= {{ as_of_local() }}
    group by 1, 2, 3
    union all
    select
        published_month as month_start,
        'publications_within_1wd_pct' as kpi_code,
        owner_unit as unit_code,
        count(*) filter (where is_published_within_1_working_day) as numerator,
        count(*) as denominator
    from publications
    where is_published
    group by 1, 2, 3
    union all
    -- share of the catalogue (every card we know) last reviewed over 12 months before the
    -- month end: exact for the month of as_of, a lower bound before (a card re-reviewed
    -- since may have been stale then)
    select
        card_months.month_start,
        'stale_service_cards_pct' as kpi_code,
        cards.responsible_unit as unit_code,
        count(*) filter (
            where cards.last_reviewed_at
            < {{ subtract_months('card_months.counted_at', var('service_card_stale_months')) }}
        ) as numerator,
        count(*) as denominator
    from card_months
    cross join cards
    group by 1, 2, 3
),

-- red projects at each month's end: the column the Smart City page counts
-- (smart_city_project_months.rag_status; only active projects are rated), in the months
-- the other KPIs span (the portfolio's history reaches back before the other sources)
by_unit as (
    select * from others
    union all
    select
        month_start,
        'sc_projects_red' as kpi_code,
        owner_unit as unit_code,
        count(*) filter (where rag_status = 'red') as numerator,
        null as denominator
    from project_months
    where
        project_months.month_start >= coalesce(
            (select min(others.month_start) as first_month from others),
            project_months.month_start
        )
    group by 1, 2, 3
),

-- the KPIs with compliance targets per priority (seeds kpi_targets, breakdown priority):
-- the ticket's priority at resolution, as its SLA clock used
by_priority as (
    {{ kpi_share_parts(
        'resolved', priority_kpis, 'cast(priority as ' ~ dbt.type_string() ~ ') as priority'
    ) }}
),

-- the parts as decimals: a sum of DOUBLEs depends on the order DuckDB adds the rows in,
-- so the city-wide total of the units' parts is taken exactly (the same data always gives
-- the same bytes, and an incremental build equals a full one)
exact as (
    select
        month_start,
        kpi_code,
        {{ or_no_unit('unit_code') }} as unit_code,
        cast(numerator as decimal(38, 6)) as numerator,
        cast(denominator as decimal(38, 6)) as denominator
    from by_unit
),

totals as (
    select
        month_start,
        kpi_code,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from exact
    group by 1, 2
),

final as (
    {{ kpi_parts('exact', 'unit', 'unit_code') }}
    union all
    {{ kpi_parts('by_priority', 'priority', 'priority') }}
    union all
    {{ kpi_parts('totals', 'all', "'(all)'") }}
)

select * from final
