-- The dimensions hold every row of the reference data, as mapped, and nothing else as
-- mapped: a code the data holds beyond it is an added, unmapped row (DECISIONS.md § 19).
with counts as (
    select
        'organisation_units' as dimension,
        (select count(*) as n from {{ ref('org_units') }}) as reference_rows,
        (
            select count(*) as n from {{ ref('organisation_units') }}
            where is_mapped
        ) as mapped_rows
    union all
    select
        'topics' as dimension,
        (select count(*) as n from {{ ref('kck_topics') }}) as reference_rows,
        (
            select count(*) as n from {{ ref('topics') }}
            where is_mapped
        ) as mapped_rows
    union all
    select
        'service_catalogue' as dimension,
        (select count(*) as n from {{ ref('stg_catalogue__it_services') }}) as reference_rows,
        (
            select count(*) as n from {{ ref('service_catalogue') }}
            where is_mapped
        ) as mapped_rows
)

select * from counts
where reference_rows != mapped_rows
