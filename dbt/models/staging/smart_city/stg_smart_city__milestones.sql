with {{ latest_raw_rows('sc_milestones') }},

final as (
    select
        project_id,
        milestone,
        due_on,
        {{ as_known('done_on') }} as done_on
    from deduplicated
)

select * from final
