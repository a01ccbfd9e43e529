{#- One row per Smart City project × month, from the first month a project was planned to
    start (or started) to the month of as_of: its state at the month's end — RAG for an
    active project, 'completed' or 'cancelled' otherwise — the one column the director's
    tile (kpi_values: sc_projects_red) and the Smart City page count. Which data judged it
    is `basis` (DECISIONS.md § 12a):

    * current: the month of as_of — the row of smart_city_portfolio, as of as_of;
    * snapshot: an earlier month in which a load delivered a version of the project
      (stg_smart_city__project_snapshots: the month's latest), judged at the month's end
      with that version's status, spending and plans;
    * reconstructed: an earlier month without a version — the schedule-only rule from the
      dates of today's data (planned and actual dates, milestones): no budget, no hold. -#}

with projects as (
    select * from {{ ref('stg_smart_city__projects') }}
),

snapshots as (
    select * from {{ ref('stg_smart_city__project_snapshots') }}
),

milestones as (
    select * from {{ ref('stg_smart_city__milestones') }}
),

portfolio as (
    select * from {{ ref('smart_city_portfolio') }}
),

{% set as_of_month -%}
cast({{ dbt.date_trunc('month', as_of_local()) }} as date)
{%- endset %}
bounds as (
    select
        cast({{ dbt.date_trunc('month', 'min(first_day)') }} as date) as first_month,
        {{ as_of_month }} as as_of_month
    from (
        select least(planned_start, coalesce(actual_start, planned_start)) as first_day
        from projects
        union all
        select snapshot_month as first_day from snapshots
    ) as first_days
),

{% set month_start -%}
cast(months.month_start as date)
{%- endset %}
past_months as (
    select
        {{ month_start }} as month_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, month_start)) }} as date) -- noqa: LT05
            as judged_on
    from {{ month_series('(select first_month from bounds)',
                         '(select as_of_month from bounds)') }} as months (month_start)
    where {{ month_start }} < (select as_of_month from bounds)
),

observed as (
    select
        past_months.month_start,
        past_months.judged_on,
        'snapshot' as basis,
        snapshots.project_id,
        snapshots.name,
        snapshots.strategy_area,
        snapshots.owner_unit,
        snapshots.status,
        snapshots.planned_start,
        snapshots.planned_end,
        snapshots.actual_start,
        snapshots.actual_end,
        snapshots.budget_pln,
        snapshots.spent_pln
    from past_months
    inner join snapshots on past_months.month_start = snapshots.snapshot_month
),

{% set first_month -%}
cast({{ dbt.date_trunc('month', 'least(projects.planned_start, '
    ~ 'coalesce(projects.actual_start, projects.planned_start))') }} as date)
{%- endset %}
reconstructed as (
    select
        past_months.month_start,
        past_months.judged_on,
        'reconstructed' as basis,
        projects.project_id,
        projects.name,
        projects.strategy_area,
        projects.owner_unit,
        -- the state the dates give; a cancellation has no date: a project cancelled since
        -- counts as running until its planned end, cancelled after it (its forecast end)
        case
            when projects.actual_end <= past_months.judged_on then 'completed'
            when projects.status = 'cancelled' and projects.planned_end < past_months.judged_on
                then 'cancelled'
            when projects.actual_start <= past_months.judged_on then 'in_progress'
            else 'planned'
        end as status,
        projects.planned_start,
        projects.planned_end,
        case when projects.actual_start <= past_months.judged_on then projects.actual_start end
            as actual_start,
        case when projects.actual_end <= past_months.judged_on then projects.actual_end end
            as actual_end,
        projects.budget_pln,
        cast(null as double) as spent_pln  -- spending then is unknown: no budget terms
    from past_months
    -- noqa: disable=LT02,LT05
    inner join projects on past_months.month_start >= {{ first_month }}
    -- noqa: enable=LT02,LT05
    where not exists (
        select 1 as found from snapshots
        where
            snapshots.project_id = projects.project_id
            and snapshots.snapshot_month = past_months.month_start
    )
),

judged as (
    select * from observed
    union all
    select * from reconstructed
),

overdue as (
    select
        judged.month_start,
        judged.project_id,
        count(milestones.milestone) as milestones_overdue
    from judged
    inner join milestones
        on judged.project_id = milestones.project_id
        and judged.judged_on > milestones.due_on
        and (milestones.done_on is null or judged.judged_on < milestones.done_on)
    where judged.status != 'cancelled'
    group by 1, 2
),

measured as (
    select
        judged.*,
        coalesce(overdue.milestones_overdue, 0) as milestones_overdue
    from judged
    left join overdue
        on judged.month_start = overdue.month_start and judged.project_id = overdue.project_id
),

scored as (
    {{ sc_judged('measured', 'measured.judged_on') }}
),

past as (
    select
        month_start,
        judged_on,
        project_id,
        name,
        strategy_area,
        owner_unit,
        status,
        basis,
        schedule_variance_days,
        budget_burn_pct,
        milestones_overdue,
        rag_status,
        rag_reason
    from scored
),

current_month as (
    select
        {{ as_of_month }} as month_start,
        cast({{ as_of_local() }} as date) as judged_on,
        project_id,
        name,
        strategy_area,
        owner_unit,
        status,
        'current' as basis,
        schedule_variance_days,
        budget_burn_pct,
        milestones_overdue,
        rag_status,
        rag_reason
    from portfolio
),

final as (
    select
        *,
        status in ('planned', 'in_progress', 'on_hold') as is_active,
        basis = 'reconstructed' as is_reconstructed
    from past
    union all
    select
        *,
        status in ('planned', 'in_progress', 'on_hold') as is_active,
        false as is_reconstructed
    from current_month
)

select * from final
