{#- One row per month × kpi_code: the city-wide value of each director KPI, its target
    and warning band and direction, and the previous month's value. Months run from the
    first month the KPI has data to the month of as_of. The name, unit, direction and
    formula are the registry's definition in force in the month (seeds kpi_definitions),
    the target the one in force then (seeds kpi_targets, breakdown 'all'): a row applies
    from its valid_from until the KPI's next row. -#}

with kpi_values as (
    select * from {{ ref('kpi_values') }}
    where unit_code = '(all)'
),

definitions as (
    select
        *,
        lead(valid_from) over (partition by kpi_code order by valid_from) as valid_until
    from {{ ref('kpi_definitions') }}
),

targets as (
    select * from {{ ref('int_kpi_targets') }}
    where breakdown = 'all'
),

kpi_range as (
    select
        kpi_code,
        min(month_start) as first_month,
        max(month_start) as last_month
    from kpi_values
    group by 1
),

months as (
    select cast(month_start as date) as month_start
    from {{ month_series('(select min(month_start) from kpi_values)',
                         'cast(' ~ dbt.date_trunc('month', as_of_local()) ~ ' as date)') }} as m (month_start)
),

grid as (
    select
        months.month_start,
        definitions.kpi_code,
        definitions.display_order,
        definitions.name_pl,
        definitions.name_en,
        definitions.unit,
        definitions.direction,
        definitions.kind,
        targets.target,
        targets.warning
    from months
    inner join kpi_range
        on months.month_start between kpi_range.first_month and kpi_range.last_month
    inner join definitions
        on kpi_range.kpi_code = definitions.kpi_code
        and {{ in_force_on('definitions', 'months.month_start') }}
    left join targets
        on kpi_range.kpi_code = targets.kpi_code
        and {{ in_force_on('targets', 'months.month_start') }}
),

valued as (
    select
        grid.*,
        {{ kpi_value('grid.kind', 'kpi_values.numerator', 'kpi_values.denominator') }} as value
    from grid
    left join kpi_values
        on grid.month_start = kpi_values.month_start
        and grid.kpi_code = kpi_values.kpi_code
),

judged as (
    select
        *,
        case
            when value is null or target is null then null
            when direction = 'higher_is_better' then value >= target
            else value <= target
        end as is_on_target,
        case
            when value is null or warning is null then null
            when direction = 'higher_is_better' then value >= warning
            else value <= warning
        end as is_within_warning
    from valued
),

final as (
    select
        month_start,
        kpi_code,
        name_pl as kpi_name_pl,
        name_en as kpi_name_en,
        cast(value as double) as value,
        cast(target as double) as target,
        unit,
        direction,
        is_on_target,
        cast(lag(value) over (partition by kpi_code order by month_start) as double)
            as previous_value,
        cast(value - lag(value) over (partition by kpi_code order by month_start) as double)
            as change,
        display_order,
        kind,
        cast(warning as double) as warning,
        case
            when is_on_target then 'on_target'
            when is_within_warning then 'warning'
            when is_on_target is not null then 'off_target'
        end as target_status
    from judged
)

select * from final
