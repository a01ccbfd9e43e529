{#- Engine-specific aggregates (macros/engine/engine.sql says how the dispatch works). -#}

{#- The continuous (interpolated) percentile `p` (0-1) of `col`. -#}
{% macro percentile(col, p) -%}
    {{ return(adapter.dispatch('percentile', 'cityops')(col, p)) }}
{%- endmacro %}
{% macro default__percentile(col, p) -%}
    {{ engine_not_implemented('percentile') }}
{%- endmacro %}
{% macro duckdb__percentile(col, p) -%}
    quantile_cont({{ col }}, {{ p }})
{%- endmacro %}

{#- The value of `value` on the row of the group where `ordering` is largest (DuckDB's
    arg_max: one hash aggregate, no window). -#}
{% macro value_at_max(value, ordering) -%}
    {{ return(adapter.dispatch('value_at_max', 'cityops')(value, ordering)) }}
{%- endmacro %}
{% macro default__value_at_max(value, ordering) -%}
    {{ engine_not_implemented('value_at_max') }}
{%- endmacro %}
{% macro duckdb__value_at_max(value, ordering) -%}
    arg_max({{ value }}, {{ ordering }})
{%- endmacro %}

{#- The text values of `value` of the group's rows where `where` holds (all rows without
    it), joined by `separator` in the order of `order_by`; NULL when there are none. -#}
{% macro ordered_string_agg(value, order_by, separator, where=none) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'cityops')(value, order_by, separator, where)) }}
{%- endmacro %}
{% macro default__ordered_string_agg(value, order_by, separator, where=none) -%}
    {{ engine_not_implemented('ordered_string_agg') }}
{%- endmacro %}
{% macro duckdb__ordered_string_agg(value, order_by, separator, where=none) -%}
    string_agg({{ value }}, '{{ separator }}' order by {{ order_by }})
    {%- if where is not none %} filter (where {{ where }}){% endif %}
{%- endmacro %}
