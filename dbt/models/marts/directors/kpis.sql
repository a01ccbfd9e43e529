{#- One row per director KPI (grain: kpi_code): its definition and target in force on the
    date of the data, from the registry (seeds kpi_definitions, kpi_targets: the latest
    row with valid_from ≤ as_of; a KPI whose first definition starts later is left out),
    with the formula as SQL over columns named numerator and denominator, so the
    dashboards compute any slice of the additive parts in marts.kpi_values exactly as the
    director marts do. -#}

with definitions as (
    select * from {{ ref('kpi_definitions') }}
    where valid_from <= {{ as_of_local() }}
),

targets as (
    select * from {{ ref('kpi_targets') }}
    where breakdown = 'all' and valid_from <= {{ as_of_local() }}
),

current_definitions as (
    {{ latest_row_per_key('definitions', 'kpi_code', 'valid_from desc') }}
),

current_targets as (
    {{ latest_row_per_key('targets', 'kpi_code', 'valid_from desc') }}
),

final as (
    select
        d.kpi_code,
        d.display_order,
        d.name_pl as kpi_name_pl,
        d.name_en as kpi_name_en,
        d.definition_pl,
        d.definition_en,
        d.unit,
        d.direction,
        d.kind,
        {{ kpi_formula_sql('d.kind') }} as formula_sql,
        d.numerator_pl,
        d.numerator_en,
        d.denominator_pl,
        d.denominator_en,
        d.period_basis,
        d.over_months,
        d.source_mart,
        d.scope,
        d.owner_unit,
        d.valid_from,
        d.change_note,
        cast(t.target as double) as target,
        cast(t.warning as double) as warning,
        t.origin_pl as target_origin_pl,
        t.origin_en as target_origin_en,
        t.is_assumption as target_is_assumption,
        t.set_by_pl as target_set_by_pl,
        t.set_by_en as target_set_by_en
    from current_definitions as d
    left join current_targets as t on d.kpi_code = t.kpi_code
)

select * from final
