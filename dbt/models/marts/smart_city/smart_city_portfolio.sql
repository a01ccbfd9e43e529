{#- One row per Smart City project with schedule, budget and milestone health as of
    as_of and its RAG state (sc_judged of macros/smart_city.sql; the rule is DECISIONS.md § 12a):
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
        coalesce(milestone_counts.milestones_total, 0) as milestones_total,
        coalesce(milestone_counts.milestones_done, 0) as milestones_done,
        coalesce(milestone_counts.milestones_overdue, 0) as milestones_overdue
    from projects
    left join milestone_counts on projects.project_id = milestone_counts.project_id
),

judged as (
    {{ sc_judged('measured', 'measured.as_of_date') }}
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
        rag_status,
        rag_reason
    from judged
)

select * from final
