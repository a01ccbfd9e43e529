{#- Portable time macros: plain SQL valid on every engine the project targets. The
    engine-specific ones (to_instant, to_local, elapsed_*, date and month series, ISO
    weekday, month and day arithmetic) are dispatched, in macros/engine/time.sql. Source
    timestamps are naive local Europe/Warsaw wall clock; durations are measured on
    instants. -#}

{#- The exact sum of durations measured in whole milliseconds (elapsed_seconds,
    elapsed_minutes, elapsed_days, business minutes), in `unit` ('seconds', 'minutes' or
    'days'): each term is added as whole milliseconds, so the total does not depend on the
    order DuckDB adds the rows in (a plain sum of DOUBLEs can differ in its last bit
    between two builds, and an incremental build must give the same bytes as a full one).
    `where`: the aggregate's FILTER. Means are exact_duration_sum(...) / count. -#}
{% macro exact_duration_sum(expr, unit, where=none) -%}
    {%- set ms = {'seconds': 1000, 'minutes': 60000, 'days': 86400000}[unit] -%}
    (sum(round(({{ expr }}) * {{ ms }})){% if where %} filter (where {{ where }}){% endif %} / {{ ms }}.0)
{%- endmacro %}

{#- as_of as a local TIMESTAMP literal and as an instant: the var `as_of` when given (unit
    tests), else the environment variable CITYOPS_AS_OF that warehouse.build sets. It is
    read only when dbt executes (`execute`), never while parsing: dbt records every env var
    a file reads at parse time and re-parses the project when its value changes, and as_of
    changes with every daily build (a full re-parse is ~4 s). The fallback only keeps a
    bare `dbt compile` working. -#}
{% macro as_of_local() -%}
    {%- if execute -%}
    cast('{{ var("as_of", none) or env_var("CITYOPS_AS_OF", "2026-10-31 23:59:59") }}' as timestamp)
    {%- else -%}
    cast('2000-01-01 00:00:00' as timestamp)
    {%- endif -%}
{%- endmacro %}
{% macro as_of_instant() -%}
    {{ to_instant(as_of_local()) }}
{%- endmacro %}

{#- Percentage 0-100, NULL when the denominator is 0. -#}
{% macro pct(numerator, denominator) -%}
    case when ({{ denominator }}) > 0 then 100.0 * ({{ numerator }}) / ({{ denominator }}) end
{%- endmacro %}

{#- An instant later than any real one: the open end of a segment still running, where an
    inequality join needs a value rather than NULL. -#}
{% macro far_future_instant() -%}
    {{ to_instant("cast('9999-12-31 00:00:00' as timestamp)") }}
{%- endmacro %}
