with {{ latest_raw_rows('sc_projects') }},

final as (
    select
        project_id,
        name,
        strategy_area,
        owner_unit,
        -- as known at as_of: a project started (finished) after it was still planned
        -- (in progress) then; cancellations and holds carry no date and are kept as they are
        case
            when
                status in ('in_progress', 'on_hold', 'completed')
                and actual_start is not null and not {{ known_at_as_of('actual_start') }}
                then 'planned'
            when
                status = 'completed' and actual_end is not null
                and not {{ known_at_as_of('actual_end') }} then 'in_progress'
            else status
        end as status,
        planned_start,
        planned_end,
        {{ as_known('actual_start') }} as actual_start,
        {{ as_known('actual_end') }} as actual_end,
        budget_pln,
        -- spending is a running total known only as it is today: a project not started by
        -- as_of had spent nothing; otherwise today's figure is used (DECISIONS.md § 8)
        case
            when actual_start is not null and not {{ known_at_as_of('actual_start') }} then 0
            else spent_pln
        end as spent_pln
    from deduplicated
)

select * from final
