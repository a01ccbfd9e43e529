{#- Engine-specific row and column selection (macros/engine/engine.sql says how the
    dispatch works). -#}

{#- A query: the rows of `relation` (a relation or CTE name), one per `partition_by`, the
    first in `order_by` winning. An engine without QUALIFY may return an extra rank
    column: select named columns from the result. -#}
{% macro latest_row_per_key(relation, partition_by, order_by) -%}
    {{ return(adapter.dispatch('latest_row_per_key', 'cityops')(relation, partition_by, order_by)) }}
{%- endmacro %}
{% macro default__latest_row_per_key(relation, partition_by, order_by) -%}
    {{ engine_not_implemented('latest_row_per_key') }}
{%- endmacro %}
{% macro duckdb__latest_row_per_key(relation, partition_by, order_by) -%}
    select *
    from {{ relation }}
    qualify row_number() over (
        partition by {{ partition_by }} order by {{ order_by }}
    ) = 1
{%- endmacro %}

{#- The select list "every column but `columns`" (a list of names). `relation` is the
    relation those columns come from (the model's ref), for an engine without
    `* exclude` that must list the other columns; DuckDB does not need it. -#}
{% macro star_exclude(columns, relation=none) -%}
    {{ return(adapter.dispatch('star_exclude', 'cityops')(columns, relation)) }}
{%- endmacro %}
{% macro default__star_exclude(columns, relation=none) -%}
    {{ engine_not_implemented('star_exclude') }}
{%- endmacro %}
{% macro duckdb__star_exclude(columns, relation=none) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}
