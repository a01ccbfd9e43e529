{#- One row per organisational unit of UMK named in the ordinances (seeds/org_units). -#}

with units as (
    select * from {{ ref('org_units') }}
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
        is_assumption
    from units
)

select * from final
