{#- One row per Smart City project with schedule, budget and milestone health as of
    as_of and its RAG state (macros/smart_city.sql; the rule is DECISIONS.md § 12a):
    red, amber or green for an active project, 'completed' or 'cancelled' otherwise. -#}

with projects as (
    select * from {{ ref('stg_smart_city__projects') }}
),

milestones as (
    select * from {{ ref('smart_city_milestones') }}
),

milestone_counts as (
    select
        project_id,
        count(*) as milestones_total,
        count(*) filter (where is_done) as milestones_done,
        count(*) filter (where is_overdue) as milestones_overdue
    from milestones
    group by 1
),

measured as (
    select
        projects.*,
        cast({{ as_of_local() }} as date) as as_of_date,
        {{ sc_forecast_end(
            'projects.status', 'projects.actual_end', 'projects.planned_end',
            'cast(' ~ as_of_local() ~ ' as date)') }} as forecast_end,
        coalesce(milestone_counts.milestones_total, 0) as milestones_total,
        coalesce(milestone_counts.milestones_done, 0) as milestones_done,
        coalesce(milestone_counts.milestones_overdue, 0) as milestones_overdue
    from projects
    left join milestone_counts on projects.project_id = milestone_counts.project_id
),

scored as (
    select
        *,
        -- noqa: disable=LT05
        -- (long only once dbt.datediff is expanded)
        {{ dbt.datediff('planned_end', 'forecast_end', 'day') }} as schedule_variance_days,
        -- noqa: enable=LT05
        {{ pct('spent_pln', 'budget_pln') }} as budget_burn_pct,
        {{ sc_elapsed_pct('status', 'planned_start', 'planned_end', 'as_of_date') }}
            as elapsed_pct
    from measured
),

final as (
    select
        project_id,
        name,
        strategy_area,
        owner_unit,
        status,
        planned_start,
        planned_end,
        actual_start,
        actual_end,
        forecast_end,
        schedule_variance_days,
        budget_pln,
        spent_pln,
        budget_burn_pct,
        elapsed_pct,
        milestones_total,
        milestones_done,
        milestones_overdue,
        {{ sc_rag_status(
            'status', 'schedule_variance_days', 'budget_burn_pct', 'elapsed_pct',
            'milestones_overdue') }} as rag_status,
        {{ sc_rag_reason(
            'status', 'schedule_variance_days', 'budget_burn_pct', 'elapsed_pct',
            'milestones_overdue') }} as rag_reason
    from scored
)

select * from final
