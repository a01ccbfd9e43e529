{#- One row per publication request: how long content approved for publication waited
    to go online, on the office clock ("without delay" = within one working day). -#}

{{ config(
    materialized='incremental',
    unique_key='publication_id',
    meta={'tests_read_rows_of_this_build': true}
) }}
{#- Incremental (DECISIONS.md § 14): a row depends on its request only (no as_of column:
    as_of only decides what is known, and warehouse.build runs a full refresh when it
    moves across data already built), so a daily build computes the requests of the loads
    this table has not seen; a request sent again (published since) comes with its new
    load and replaces its row. -#}

-- depends_on: {{ ref('stg_publications__publications') }}, {{ ref('build_info') }}
with publications as (
    {% if is_incremental() %}
    -- the staging rows of the requests of unseen loads only (the staging view deduplicates
    -- and converts every request first)
    select * from ({{ stg_publications__publications_rows(
        only_keys=keys_of_new_loads('publications', 'publication_id', this)) }}) as staged
    {% else %}
    select * from {{ ref('stg_publications__publications') }}
    {% endif %}
),

units as (
    select * from {{ ref('org_units') }}
),

waits as (
    select
        publication_id,
        ready_instant,
        published_instant
    from publications
    where published_instant is not null and published_at <= {{ as_of_local() }}
),

office_minutes as (
    {{ business_minutes_of_intervals('waits', ['publication_id'],
                                     'ready_instant', 'published_instant') }}
),

final as (
    select
        publications.publication_id,
        publications.portal,
        publications.portal_area,
        publications.content_type,
        publications.owner_unit,
        coalesce(units.name_pl, {{ unmapped_name('publications.owner_unit', 'pl') }})
            as owner_unit_name_pl,
        publications.action,
        publications.ready_at,
        publications.published_at,
        cast({{ dbt.date_trunc('month', 'publications.ready_at') }} as date) as ready_month,
        cast({{ dbt.date_trunc('month', 'publications.published_at') }} as date) as published_month,
        office_minutes.business_minutes as business_minutes_to_publish,
        office_minutes.business_minutes / {{ var('office_minutes_per_day') }}
            as working_days_to_publish,
        office_minutes.publication_id is not null as is_published,
        coalesce(office_minutes.business_minutes <= {{ var('office_minutes_per_day') }}, false)
            as is_published_within_1_working_day,
        publications.service_card_id,
        publications.editor_role,
        publications._load_id,
        {{ build_id() }} as _build_id
    from publications
    left join office_minutes on publications.publication_id = office_minutes.publication_id
    left join units on publications.owner_unit = units.unit_code
)

select * from final
