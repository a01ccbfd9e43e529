{#- The portfolio as each month last saw it: per project and month, the latest version of
    raw.sc_projects__snapshots (every version a load delivered, warehouse/snapshots.py)
    known in that month (`_snapshot_at`: its extraction time, or its load's start when
    earlier) and by as_of. A version known only after as_of is left out. -#}

-- depends_on: {{ source('raw', 'sc_projects') }}
-- (the snapshots are written by the loads of sc_projects: a new one rebuilds this)

with source as (
    select
        *,
        cast({{ dbt.date_trunc('month', '_snapshot_at') }} as date) as snapshot_month
    from {{ source('raw', 'sc_projects__snapshots') }}
    where {{ known_at_as_of('_snapshot_at') }}
),

latest as (
    {{ latest_row_per_key(
        'source', 'project_id, snapshot_month',
        '_snapshot_at desc, _extracted_at desc, _load_id desc, _source_file desc, _source_row desc') }}
),

final as (
    select
        project_id,
        snapshot_month,
        _snapshot_at as snapshot_at,
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
    from latest
)

select * from final
