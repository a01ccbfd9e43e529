{#- One row per month × kpi_code: the city-wide value of each director KPI, its target
    and warning band and direction, the previous month's value, and the verdict. Months run
    from the first month the KPI has data to the month of as_of. The name, unit, direction
    and formula are the registry's definition in force in the month (seeds
    kpi_definitions), the target the one in force then (seeds kpi_targets, breakdown
    'all'): a row applies from its valid_from until the KPI's next row.

    The verdict (target_status) is the worst of the city-wide value's own verdict
    (value_target_status) and those of the breakdowns with targets of their own
    (director_kpis_by_priority): an average that P3 carries never hides a P1 miss.
    is_change_notable says whether the move against the previous month is more than noise
    (macro is_change_notable); year_ago_value, change_year_ago and
    is_change_year_ago_notable do the same against the same month a year before. kpi_score is the KPI's CityScore-style score (macro
    kpi_score), the worst of the city-wide value's and its priorities'. -#}

with kpi_values as (
    select * from {{ ref('kpi_values') }}
    where breakdown = 'all'
),

by_priority as (
    select * from {{ ref('director_kpis_by_priority') }}
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

kpi_months as (
    select
        months.month_start,
        kpi_range.kpi_code
    from months
    inner join kpi_range
        on months.month_start between kpi_range.first_month and kpi_range.last_month
),

-- the definition and the city-wide target in force in each month
grid as (
    {{ kpi_rules_in_force('kpi_months', 'all') }}
),

valued as (
    select
        grid.*,
        {{ kpi_value('grid.kind', 'kpi_values.numerator', 'kpi_values.denominator') }} as value,
        kpi_values.numerator,
        kpi_values.denominator
    from grid
    left join kpi_values
        on grid.month_start = kpi_values.month_start
        and grid.kpi_code = kpi_values.kpi_code
),

-- the breakdowns with a target of their own, judged: the worst verdict and which missed
breakdowns as (
    select
        month_start,
        kpi_code,
        count(*) filter (where target_status is not null) as breakdowns_judged,
        {{ ordered_string_agg("'P' || priority", 'priority', ', ',
                              where="target_status != 'on_target'") }} as breakdowns_missed,
        case
            when bool_or(target_status = 'off_target') then 'off_target'
            when bool_or(target_status = 'warning') then 'warning'
            when bool_or(target_status = 'on_target') then 'on_target'
        end as breakdown_status,
        min(score) as breakdown_score
    from by_priority
    group by 1, 2
),

judged as (
    select
        valued.*,
        {{ target_status('valued.value', 'valued.target', 'valued.warning', 'valued.direction') }}
            as value_target_status,
        coalesce(breakdowns.breakdowns_judged, 0) as breakdowns_judged,
        breakdowns.breakdowns_missed,
        breakdowns.breakdown_status,
        {{ kpi_score('valued.value', 'valued.target', 'valued.direction') }} as value_score,
        breakdowns.breakdown_score,
        lag(valued.value) over w as previous_value,
        lag(valued.numerator) over w as previous_numerator,
        lag(valued.denominator) over w as previous_denominator,
        -- every month from the KPI's first to its last is on the grid: 12 back is a year ago
        lag(valued.value, 12) over w as year_ago_value,
        lag(valued.numerator, 12) over w as year_ago_numerator,
        lag(valued.denominator, 12) over w as year_ago_denominator
    from valued
    left join breakdowns
        on valued.month_start = breakdowns.month_start
        and valued.kpi_code = breakdowns.kpi_code
    window w as (partition by valued.kpi_code order by valued.month_start)
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
        {{ worse_status('value_target_status', 'breakdown_status') }} = 'on_target'
            as is_on_target,
        cast(previous_value as double) as previous_value,
        cast(value - previous_value as double) as change,
        display_order,
        kind,
        cast(warning as double) as warning,
        {{ worse_status('value_target_status', 'breakdown_status') }} as target_status,
        value_target_status,
        breakdowns_judged,
        breakdowns_missed,
        case
            when value is not null and previous_value is not null
                then {{ is_change_notable('kind', 'coalesce(numerator, 0)', 'denominator',
                                          'coalesce(previous_numerator, 0)',
                                          'previous_denominator') }}
        end as is_change_notable,
        cast(year_ago_value as double) as year_ago_value,
        cast(value - year_ago_value as double) as change_year_ago,
        case
            when value is not null and year_ago_value is not null
                then {{ is_change_notable('kind', 'coalesce(numerator, 0)', 'denominator',
                                          'coalesce(year_ago_numerator, 0)',
                                          'year_ago_denominator') }}
        end as is_change_year_ago_notable,
        -- the score the city score averages: the worst of the value's and its priorities'
        cast(least(value_score, coalesce(breakdown_score, value_score)) as double) as kpi_score
    from judged
)

select * from final
