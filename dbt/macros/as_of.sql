{#- "The warehouse as it was known at as_of" — applied once, in staging.

    A source row that happened after as_of (a ticket opened, an event logged, a call
    ended, a submission received, a publication ready after it) is not in staging at
    all: `where {{ known_at_as_of('col') }}`. A later timestamp on an earlier row (a
    submission forwarded or closed, a publication published, a project finished after
    as_of) has not happened yet: `{{ as_known('col') }}` is NULL then, and
    `{{ as_known_with('col', 'other') }}` blanks a column that only exists once `col`
    has happened (the responsible unit appears when the submission is forwarded).
    With the default as_of (the latest timestamp in the data) nothing is filtered. -#}

{% macro known_at_as_of(col) -%}
    ({{ col }} <= {{ as_of_local() }})
{%- endmacro %}

{% macro as_known(col) -%}
    case when {{ col }} <= {{ as_of_local() }} then {{ col }} end
{%- endmacro %}

{% macro as_known_with(col, value, otherwise='null') -%}
    case when {{ col }} <= {{ as_of_local() }} then {{ value }} else {{ otherwise }} end
{%- endmacro %}

{#- The build's as_of, the one place it enters the project (build_info calls it): the var
    `as_of` when given (`dbt build --vars '{as_of: "2026-10-31 23:59:59"}'`), else the
    environment variable CITYOPS_AS_OF that `cityops build` sets. Read only while dbt
    executes, never while parsing: dbt re-parses the whole project when a var or an env var
    read at parse time changes, and as_of changes with every daily build (DECISIONS.md
    § 15). Unset, the SQL fails when it runs, saying so — compiling (docs, sqlfluff, unit
    tests) still works, and nothing is ever built as of a date nobody chose. -#}
{% macro build_as_of() -%}
    {%- set value = (var('as_of', none) or env_var('CITYOPS_AS_OF', '')) if execute else '' -%}
    {%- if value -%}
    cast('{{ value }}' as timestamp)
    {%- else -%}
    cast({{ raise_sql_error('as_of is not set: build with `cityops build`, or give dbt '
                            ~ 'the var as_of (YYYY-MM-DD HH:MM:SS) with --vars') }} as timestamp)
    {%- endif -%}
{%- endmacro %}
