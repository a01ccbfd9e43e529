{#- One row per month × kpi_code × priority for the KPIs with compliance targets per
    priority (seeds kpi_targets, breakdown 'priority'): the value of each priority with its
    own target, warning band and verdict. director_kpis judges a KPI on its city-wide value
    and on every priority here, so a P1 miss under a good average is never "on target". -#}

with kpi_values as (
    select * from {{ ref('kpi_values') }}
    where breakdown = 'priority'
),

definitions as (
    select * from {{ ref('int_kpi_definitions') }}
),

targets as (
    select * from {{ ref('int_kpi_targets') }}
    where breakdown = 'priority'
),

valued as (
    select
        kpi_values.month_start,
        kpi_values.kpi_code,
        cast(kpi_values.breakdown_value as integer) as priority,
        definitions.direction,
        {{ kpi_value('definitions.kind', 'kpi_values.numerator', 'kpi_values.denominator') }}
            as value,
        kpi_values.numerator,
        kpi_values.denominator,
        targets.target,
        targets.warning
    from kpi_values
    inner join definitions
        on kpi_values.kpi_code = definitions.kpi_code
        and {{ in_force_on('definitions', 'kpi_values.month_start') }}
    left join targets
        on kpi_values.kpi_code = targets.kpi_code
        and kpi_values.breakdown_value = targets.breakdown_value
        and {{ in_force_on('targets', 'kpi_values.month_start') }}
),

final as (
    select
        month_start,
        kpi_code,
        priority,
        cast(value as double) as value,
        numerator,
        denominator,
        target,
        warning,
        {{ target_status('value', 'target', 'warning', 'direction') }} as target_status,
        cast({{ kpi_score('value', 'target', 'direction') }} as double) as score
    from valued
)

select * from final
