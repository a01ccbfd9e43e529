{#- One row per organisational unit: the units of UMK named in the ordinances
    (seeds/org_units, is_mapped) and, flagged is_mapped = false, every unit code the raw data
    holds that they do not name — kept by an importer without a mapping, labelled
    "niezmapowane: <code>" / "unmapped: <code>" (DECISIONS.md § 19). -#}

with units as (
    select * from {{ ref('org_units') }}
),

final as (
    {{ with_unmapped_codes(
        'units', 'org_units',
        ['unit_code', 'name_pl', 'name_en', 'department', 'reporting_line', 'unit_kind',
         'parent_code', 'is_assumption'],
        {'unit_kind': "'unmapped'", 'is_assumption': 'false'}
    ) }}
)

select * from final
