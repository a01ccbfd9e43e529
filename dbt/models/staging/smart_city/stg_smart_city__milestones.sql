with source as (
    select * from {{ source('raw', 'sc_milestones') }}
),

deduplicated as (
    select *
    from source
    qualify row_number() over (partition by project_id, milestone order by _load_id desc, _source_row desc) = 1
),

final as (
    select
        project_id,
        milestone,
        due_on,
        {{ as_known('done_on') }} as done_on
    from deduplicated
)

select * from final
