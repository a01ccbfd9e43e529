{#- One row per definition of the registry (seeds kpi_definitions) with the period it is in
    force: from its valid_from until the KPI's next definition (valid_until, exclusive; NULL
    while it is the latest). -#}

with definitions as (
    select * from {{ ref('kpi_definitions') }}
),

final as (
    select
        kpi_code,
        display_order,
        name_pl,
        name_en,
        definition_pl,
        definition_en,
        unit,
        direction,
        kind,
        numerator_pl,
        numerator_en,
        denominator_pl,
        denominator_en,
        period_basis,
        over_months,
        source_mart,
        owner_unit,
        valid_from,
        change_note,
        lead(valid_from) over (partition by kpi_code order by valid_from) as valid_until
    from definitions
)

select * from final
