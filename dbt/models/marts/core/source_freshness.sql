{#- One row per source that happens in time (contracts with a known-at moment): the newest
    row known at the build's as_of, how many days before as_of it is, and whether the
    source is stale — more than its contract's freshness_days behind (the same rule as the
    freshness suites of `cityops check`). A source never loaded has no newest row and is
    not stale: it is "not loaded". The overview and the monthly pack name the stale ones.
    Read from raw, as delivered: a source that stopped delivering shows here whatever the
    marts built from it. -#}

with newest as (
    {% for table in timed_contracts() %}
    {%- set known_at = raw_contract(table)['known_at'] %}
    select
        '{{ table }}' as contract,
        max({{ known_at }}) as newest_known_at,
        {{ raw_contract(table)['freshness_days'] }} as freshness_days
    from {{ source('raw', table) }}
    where {{ known_at }} <= {{ as_of_local() }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

lagged as (
    select
        contract,
        newest_known_at,
        freshness_days,
        -- noqa: disable=LT05
        -- (long only once dbt.datediff is expanded)
        {{ dbt.datediff('newest_known_at', as_of_local(), 'day') }} as lag_days
        -- noqa: enable=LT05
    from newest
),

final as (
    select
        contract,
        newest_known_at,
        freshness_days,
        lag_days,
        coalesce(lag_days > freshness_days, false) as is_stale,
        newest_known_at is not null as is_loaded
    from lagged
)

select * from final
