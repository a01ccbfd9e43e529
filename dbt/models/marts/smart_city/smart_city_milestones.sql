{#- One row per project × milestone of the Smart City portfolio (IT-01-4), late or not
    as of as_of. -#}

with milestones as (
    select * from {{ ref('stg_smart_city__milestones') }}
),

projects as (
    select * from {{ ref('stg_smart_city__projects') }}
),

final as (
    select
        milestones.project_id,
        projects.name as project_name,
        milestones.milestone,
        milestones.due_on,
        milestones.done_on,
        milestones.done_on is not null
        and milestones.done_on <= cast({{ as_of_local() }} as date) as is_done,
        (milestones.done_on is null or milestones.done_on > cast({{ as_of_local() }} as date))
        and milestones.due_on < cast({{ as_of_local() }} as date)
        and coalesce(projects.status, '') != 'cancelled' as is_overdue,
        greatest(0, {{ dbt.datediff(
            'milestones.due_on',
            'coalesce(case when milestones.done_on <= cast(' ~ as_of_local() ~ ' as date) then milestones.done_on end, cast(' ~ as_of_local() ~ ' as date))',
            'day') }}) as days_late
    from milestones
    left join projects on milestones.project_id = projects.project_id
)

select * from final
