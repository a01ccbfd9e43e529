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

{#- as_of — the moment the warehouse is built as known at — as every model reads it: from
    the one-row build_info model (a local TIMESTAMP, and the same moment as an instant).
    Only build_info takes the value from outside (build_as_of, macros/as_of.sql), so it
    reaches the models one way, and readers (pages, checks, reports) read the same row. -#}
{% macro as_of_local() -%}
    (select as_of_at from {{ ref('build_info') }})
{%- endmacro %}
{% macro as_of_instant() -%}
    (select as_of_instant from {{ ref('build_info') }})
{%- endmacro %}

{#- Percentage 0-100, NULL when the denominator is 0. -#}
{#- (A DOUBLE on every engine: the numerator times 100 exactly, then one division; Spark
    would keep 100.0 * n / d a DECIMAL rounded to 14 places. One line: marts.kpis keeps
    the formula as text for the query layer.) -#}
{% macro pct(numerator, denominator) -%}
    case when ({{ denominator }}) > 0 then cast(100.0 * ({{ numerator }}) as double) / ({{ denominator }}) end
{%- endmacro %}

{#- An instant later than any real one: the open end of a segment still running, where an
    inequality join needs a value rather than NULL. -#}
{% macro far_future_instant() -%}
    {{ to_instant("cast('9999-12-31 00:00:00' as timestamp)") }}
{%- endmacro %}

{#- The seconds after midnight of a time of day written 'HH:MM[:SS]' (a var such as
    office_day_start), as an integer literal. -#}
{% macro seconds_of_time_text(text) -%}
    {%- set parts = (text ~ ':0').split(':') -%}
    {{ parts[0] | int * 3600 + parts[1] | int * 60 + parts[2] | int }}
{%- endmacro %}
