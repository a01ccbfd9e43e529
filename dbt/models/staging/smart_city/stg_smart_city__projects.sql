with source as (
    select * from {{ source('raw', 'sc_projects') }}
),

deduplicated as (
    select *
    from source
    qualify row_number() over (partition by project_id order by _load_id desc, _source_row desc) = 1
),

final as (
    select
        project_id,
        name,
        strategy_area,
        owner_unit,
        status,
        planned_start,
        planned_end,
        actual_start,
        actual_end,
        budget_pln,
        spent_pln
    from deduplicated
)

select * from final
