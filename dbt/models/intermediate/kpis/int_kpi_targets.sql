{#- One row per target of the registry (seeds kpi_targets) with the period it is in force:
    from its valid_from until the next target of the same KPI and breakdown (valid_until,
    exclusive; NULL while it is the latest). -#}

with targets as (
    select * from {{ ref('kpi_targets') }}
),

final as (
    select
        kpi_code,
        breakdown,
        breakdown_value,
        valid_from,
        lead(valid_from) over (
            partition by kpi_code, breakdown, breakdown_value order by valid_from
        ) as valid_until,
        cast(target as double) as target,
        cast(warning as double) as warning
    from targets
)

select * from final
