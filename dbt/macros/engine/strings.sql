{#- Engine-specific string SQL (macros/engine/engine.sql says how the dispatch works). -#}

{#- `expr` with every match of the regular expression `pattern` replaced by
    `replacement`. Both are given as plain text (RE2 syntax, no SQL quoting): each engine
    writes its own string literal (Spark's literals unescape backslashes, DuckDB's do not). -#}
{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'cityops')(expr, pattern, replacement)) }}
{%- endmacro %}
{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    {{ engine_not_implemented('regexp_replace_all') }}
{%- endmacro %}
{% macro duckdb__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern | replace("'", "''") }}', '{{ replacement | replace("'", "''") }}', 'g')
{%- endmacro %}


{#- An expression that fails the query, with `message`, when it is evaluated. -#}
{% macro raise_sql_error(message) -%}
    {{ return(adapter.dispatch('raise_sql_error', 'cityops')(message)) }}
{%- endmacro %}
{% macro default__raise_sql_error(message) -%}
    {{ engine_not_implemented('raise_sql_error') }}
{%- endmacro %}
{% macro duckdb__raise_sql_error(message) -%}
    error('{{ message | replace("'", "''") }}')
{%- endmacro %}
