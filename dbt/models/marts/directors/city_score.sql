{#- One row per month: the city score, CityScore-style — the mean of the month's KPI scores
    (director_kpis.kpi_score: value against target as a ratio, direction handled, capped at
    var('kpi_score_cap'), a KPI judged on its priorities too), over the KPIs with a target
    and a value that month; 1 means on target on average. With the number of KPIs scored,
    how many were below 1, and the previous month's score. -#}

with kpis as (
    select * from {{ ref('director_kpis') }}
),

monthly as (
    select
        month_start,
        -- summed exactly: a sum of DOUBLEs depends on the order the rows are added in;
        -- divided as DOUBLEs (DuckDB's DECIMAL division; Spark's keeps 15 places)
        cast(sum(cast(kpi_score as decimal(38, 15))) as double) / count(kpi_score) as city_score,
        count(kpi_score) as kpis_scored,
        count(*) filter (where kpi_score < 1) as kpis_below_target
    from kpis
    group by 1
),

final as (
    select
        month_start,
        cast(city_score as double) as city_score,
        kpis_scored,
        kpis_below_target,
        cast(lag(city_score) over (order by month_start) as double) as previous_city_score
    from monthly
)

select * from final
