{#- Primary-key test for a composite grain: no NULL in any key column, no duplicates. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
with keyed as (
    select {{ combination_of_columns | join(', ') }}
    from {{ model }}
),
nulls as (
    select 'null key' as failure, count(*) as n
    from keyed
    where {% for c in combination_of_columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
),
dupes as (
    select 'duplicate key' as failure, count(*) as n
    from (
        select {{ combination_of_columns | join(', ') }}
        from keyed
        group by {{ combination_of_columns | join(', ') }}
        having count(*) > 1
    )
)
select * from nulls where n > 0
union all
select * from dupes where n > 0
{% endtest %}
