{#- One row per month × kpi_code × priority for the KPIs with compliance targets per
    priority (seeds kpi_targets, breakdown 'priority'): the value of each priority with its
    own target, warning band and verdict. director_kpis judges a KPI on its city-wide value
    and on every priority here, so a P1 miss under a good average is never "on target". -#}

with kpi_values as (
    select * from {{ ref('kpi_values') }}
    where breakdown = 'priority'
),

-- the definition and the priority's target in force in each month
ruled as (
    {{ kpi_rules_in_force('kpi_values', 'priority', 'kpi_values.breakdown_value') }}
),

valued as (
    select
        month_start,
        kpi_code,
        cast(breakdown_value as integer) as priority,
        direction,
        {{ kpi_value('kind', 'numerator', 'denominator') }} as value,
        numerator,
        denominator,
        target,
        warning
    from ruled
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
