{#- None of `column_names` is NULL: one query per model instead of one test node per
    column (each dbt test node has a fixed cost of dbt overhead whatever it checks).
    Returns one row per column that has NULLs, with how many. -#}
{% test columns_not_null(model, column_names) %}
with counted as (
    select
        {% for c in column_names -%}
        count(*) filter (where {{ adapter.quote(c) }} is null) as {{ adapter.quote(c) }}{{ "," if not loop.last }}
        {% endfor %}
    from {{ model }}
)
select column_name, null_rows
from counted
unpivot (null_rows for column_name in (
    {%- for c in column_names %}{{ adapter.quote(c) }}{{ ", " if not loop.last }}{% endfor -%}
))
where null_rows > 0
{% endtest %}
