-- Each mart (or intermediate table) with one row per source record has exactly the raw
-- rows known at as_of (the contract's known_at, macros/staging/staging_rows.sql), counted
-- straight from raw: the loader keeps one row per contract key (a newer extract replaces
-- the older row), which the Great Expectations raw suites check, so no deduplication is
-- needed and the count costs one scan. incident_sla has its own equal_row_count test;
-- the KCK marts add up to int_calls_measured (assert_kck_marts_reconcile).
-- Also: a service card has no review in the mart exactly when raw knows none by as_of,
-- none has a review after as_of, and the portfolio counts every milestone once.
-- (service_catalogue: its mapped rows; the unmapped ones are the service codes of tickets
-- the catalogue does not hold, DECISIONS.md § 19)
{%- set one_row_per_source_row = [
    ('submissions', 'submissions', 'true'),
    ('publications', 'publications', 'true'),
    ('service_card_freshness', 'service_cards', 'true'),
    ('service_catalogue', 'it_services', 'is_mapped'),
    ('smart_city_portfolio', 'sc_projects', 'true'),
    ('smart_city_milestones', 'sc_milestones', 'true'),
    ('int_calls_measured', 'calls', 'true'),
] %}
with counts as (
    {% for mart, table, rows in one_row_per_source_row -%}
    select
        '{{ mart }} = raw.{{ table }} known at as_of' as relation,
        (
            select count(*) as n from {{ ref(mart) }}
            where {{ rows }}
        ) as mart_rows,
        (
            select count(*) as n from {{ source('raw', table) }}
            where {{ known_at_filter(table) }}
        ) as expected_rows
    union all
    {% endfor -%}
    select
        'service_card_freshness without review = raw cards not reviewed by as_of'
            as relation,
        (
            select count(*) as n from {{ ref('service_card_freshness') }}
            where last_reviewed_at is null
        ) as mart_rows,
        (
            select count(*) as n from {{ source('raw', 'service_cards') }}
            where not coalesce({{ known_at_as_of('last_reviewed_at') }}, false)
        ) as expected_rows
    union all
    select
        'service_card_freshness reviewed after as_of: none' as relation,
        (
            select count(*) as n from {{ ref('service_card_freshness') }}
            where not {{ known_at_as_of('last_reviewed_at') }}
        ) as mart_rows,
        0 as expected_rows
    union all
    select
        'sum(smart_city_portfolio.milestones_total) = smart_city_milestones' as relation,
        (
            select coalesce(sum(milestones_total), 0) as n
            from {{ ref('smart_city_portfolio') }}
        ) as mart_rows,
        (select count(*) as n from {{ ref('smart_city_milestones') }}) as expected_rows
)

select * from counts
where mart_rows != expected_rows
