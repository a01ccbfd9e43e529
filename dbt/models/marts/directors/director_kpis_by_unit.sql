{#- One row per month × kpi_code × unit_code: the drill-down of the director KPIs that
    have a unit (the ticket's final group, the responsible or owner unit; for KCK KPIs
    the queue; the rows no unit holds under no unit's code, '(none)', named "bez jednostki" /
    "no unit": var no_unit), its name in both languages. value is computed with the
    registry's formula, as in director_kpis. -#}

with kpi_values as (
    select * from {{ ref('kpi_values') }}
    where breakdown = 'unit'
),

kpis as (
    select
        month_start,
        kpi_code,
        kind
    from {{ ref('director_kpis') }}
),

units as (
    select * from {{ ref('organisation_units') }}
),

final as (
    select
        kpi_values.month_start,
        kpi_values.kpi_code,
        kpi_values.breakdown_value as unit_code,
        {{ unit_name_or_no_unit('kpi_values.breakdown_value', 'units.name_pl', 'pl') }}
            as unit_name_pl,
        {{ unit_name_or_no_unit('kpi_values.breakdown_value', 'units.name_en', 'en') }}
            as unit_name_en,
        cast(
            {{ kpi_value('kpis.kind', 'kpi_values.numerator', 'kpi_values.denominator') }}
            as double
        ) as value,
        kpi_values.numerator,
        kpi_values.denominator
    from kpi_values
    inner join kpis
        on kpi_values.month_start = kpis.month_start
        and kpi_values.kpi_code = kpis.kpi_code
    left join units on kpi_values.breakdown_value = units.unit_code
)

select * from final
