{#- One row per organisational unit: the units of UMK named in the ordinances
    (seeds/org_units, is_mapped) and, flagged is_mapped = false, every unit code the raw data
    holds that they do not name — kept by an importer without a mapping, labelled
    "niezmapowane: <code>" / "unmapped: <code>" (DECISIONS.md § 19). -#}

with units as (
    select * from {{ ref('org_units') }}
),

unmapped as (
    {{ codes_in_raw('org_units', 'select unit_code from ' ~ ref('org_units')) }}
),

final as (
    select
        unit_code,
        name_pl,
        name_en,
        department,
        reporting_line,
        unit_kind,
        parent_code,
        is_assumption,
        true as is_mapped
    from units
    union all
    select
        code as unit_code,
        {{ unmapped_name('code', 'pl') }} as name_pl,
        {{ unmapped_name('code', 'en') }} as name_en,
        cast(null as {{ dbt.type_string() }}) as department,
        cast(null as {{ dbt.type_string() }}) as reporting_line,
        'unmapped' as unit_kind,
        cast(null as {{ dbt.type_string() }}) as parent_code,
        false as is_assumption,
        false as is_mapped
    from unmapped
)

select * from final
