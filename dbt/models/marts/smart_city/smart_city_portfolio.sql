{#- One row per Smart City project with schedule, budget and milestone health as of
    as_of and a RAG status whose rule is written in DECISIONS.md. -#}

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
        case
            when projects.actual_end is not null then projects.actual_end
            when projects.status = 'cancelled' then projects.planned_end
            -- still running after its planned end: it ends no earlier than as_of
            else greatest(projects.planned_end, cast({{ as_of_local() }} as date))
        end as forecast_end,
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
        case
            when status = 'completed' then 100.0
            when planned_end <= planned_start then null
            else least(
                100.0,
                greatest(
                    0.0,
                    100.0 * {{ dbt.datediff('planned_start', 'as_of_date', 'day') }}
                    / {{ dbt.datediff('planned_start', 'planned_end', 'day') }}
                )
            )
        end as elapsed_pct
    from measured
),

rag as (
    select
        *,
        case
            when status = 'cancelled' then 'red'
            when schedule_variance_days > 30 or budget_burn_pct > 100 or milestones_overdue >= 2
                then 'red'
            when
                schedule_variance_days > 0 or budget_burn_pct > coalesce(elapsed_pct, 100) + 10
                or milestones_overdue = 1 or status = 'on_hold'
                then 'amber'
            else 'green'
        end as rag_status,
        nullif(concat_ws(
            '; ',
            case when status = 'cancelled' then 'cancelled' end,
            case
                when schedule_variance_days > 30 then 'more than 30 days late'
                when schedule_variance_days > 0 then 'late'
            end,
            case
                when budget_burn_pct > 100 then 'over budget'
                when budget_burn_pct > coalesce(elapsed_pct, 100) + 10
                    then 'spending ahead of schedule'
            end,
            case
                when milestones_overdue >= 2 then milestones_overdue || ' milestones overdue'
                when milestones_overdue = 1 then '1 milestone overdue'
            end,
            case when status = 'on_hold' then 'on hold' end
        ), '') as rag_reason_raw
    from scored
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
        coalesce(rag_reason_raw, 'on track') as rag_reason
    from rag
)

select * from final
