{#- Engine-specific time SQL lives here (DuckDB). Source timestamps are naive local
    Europe/Warsaw wall clock; durations are measured on instants (timestamptz). -#}

{#- Local wall-clock TIMESTAMP -> instant (TIMESTAMPTZ). A nonexistent spring time
    (02:30 on the change day) moves forward one hour; an ambiguous autumn time is read
    as the later (winter time) one. -#}
{% macro to_instant(col) -%}
    {{ return(adapter.dispatch('to_instant', 'cityops')(col)) }}
{%- endmacro %}
{% macro default__to_instant(col) -%}
    timezone('Europe/Warsaw', cast({{ col }} as timestamp))
{%- endmacro %}

{#- Instant -> local wall-clock TIMESTAMP (for display and export). -#}
{% macro to_local(col) -%}
    {{ return(adapter.dispatch('to_local', 'cityops')(col)) }}
{%- endmacro %}
{% macro default__to_local(col) -%}
    timezone('Europe/Warsaw', {{ col }})
{%- endmacro %}

{#- Real elapsed minutes between two instants (DST-correct), DOUBLE. -#}
{% macro elapsed_minutes(start_col, end_col) -%}
    {{ return(adapter.dispatch('elapsed_minutes', 'cityops')(start_col, end_col)) }}
{%- endmacro %}
{% macro default__elapsed_minutes(start_col, end_col) -%}
    ((epoch_ms({{ end_col }}) - epoch_ms({{ start_col }})) / 60000.0)
{%- endmacro %}

{#- Real elapsed seconds (millisecond precision), DOUBLE. -#}
{% macro elapsed_seconds(start_col, end_col) -%}
    ((epoch_ms({{ end_col }}) - epoch_ms({{ start_col }})) / 1000.0)
{%- endmacro %}

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

{#- Elapsed days (DOUBLE) between two instants. -#}
{% macro elapsed_days(start_col, end_col) -%}
    ((epoch_ms({{ end_col }}) - epoch_ms({{ start_col }})) / 86400000.0)
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

{#- A series of dates [start, end] inclusive, one row per day, column `calendar_date`. -#}
{% macro date_series(start_expr, end_expr) -%}
    select cast(generate_series as date) as calendar_date
    from generate_series(cast({{ start_expr }} as date), cast({{ end_expr }} as date), interval 1 day)
{%- endmacro %}

{#- ISO day of week, 1 = Monday ... 7 = Sunday. -#}
{% macro iso_weekday(col) -%}
    isodow({{ col }})
{%- endmacro %}

{% macro percentile(col, p) -%}
    quantile_cont({{ col }}, {{ p }})
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
