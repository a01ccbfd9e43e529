-- The dimensions hold every row of the reference data, as mapped, and nothing else as
-- mapped: a code the data holds beyond it is an added, unmapped row (DECISIONS.md § 19).
-- Each dimension with the reference data it is built from (macro with_unmapped_codes).
{% set dimensions = [
    ('organisation_units', 'org_units'),
    ('topics', 'kck_topics'),
    ('service_catalogue', 'stg_catalogue__it_services'),
] %}
with counts as (
    {%- for dimension, reference in dimensions %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        '{{ dimension }}' as dimension,
        (select count(*) as n from {{ ref(reference) }}) as reference_rows,
        (
            select count(*) as n from {{ ref(dimension) }}
            where is_mapped
        ) as mapped_rows
    {%- endfor %}
)

select * from counts
where reference_rows != mapped_rows
