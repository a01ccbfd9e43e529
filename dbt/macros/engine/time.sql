{#- Engine-specific time SQL (macros/engine/engine.sql says how the dispatch works).
    Source timestamps are naive local Europe/Warsaw wall clock (a TIMESTAMP without time
    zone); durations are measured on instants (DuckDB: TIMESTAMPTZ). The portable time
    macros (as_of_local, exact_duration_sum, pct…) are in macros/time.sql. -#}

{#- Local wall-clock TIMESTAMP -> instant. A nonexistent spring time (02:30 on the change
    day) moves forward one hour; an ambiguous autumn time is read as the later (winter
    time) one (DECISIONS.md § 1). -#}
{% macro to_instant(col) -%}
    {{ return(adapter.dispatch('to_instant', 'cityops')(col)) }}
{%- endmacro %}
{% macro default__to_instant(col) -%}
    {{ engine_not_implemented('to_instant') }}
{%- endmacro %}
{% macro duckdb__to_instant(col) -%}
    timezone('Europe/Warsaw', cast({{ col }} as timestamp))
{%- endmacro %}

{#- A wall-clock TIMESTAMP of the time zone `zone` (SQL: an IANA name, e.g. a column) ->
    instant, by the same rules as to_instant (a working calendar's hours are its source's
    wall clock). -#}
{% macro to_instant_in_zone(col, zone) -%}
    {{ return(adapter.dispatch('to_instant_in_zone', 'cityops')(col, zone)) }}
{%- endmacro %}
{% macro default__to_instant_in_zone(col, zone) -%}
    {{ engine_not_implemented('to_instant_in_zone') }}
{%- endmacro %}
{% macro duckdb__to_instant_in_zone(col, zone) -%}
    timezone({{ zone }}, cast({{ col }} as timestamp))
{%- endmacro %}

{#- Instant -> local wall-clock TIMESTAMP (for display and export). -#}
{% macro to_local(col) -%}
    {{ return(adapter.dispatch('to_local', 'cityops')(col)) }}
{%- endmacro %}
{% macro default__to_local(col) -%}
    {{ engine_not_implemented('to_local') }}
{%- endmacro %}
{% macro duckdb__to_local(col) -%}
    timezone('Europe/Warsaw', {{ col }})
{%- endmacro %}

{#- Real elapsed minutes between two instants (DST-correct), DOUBLE, from whole
    milliseconds. -#}
{% macro elapsed_minutes(start_col, end_col) -%}
    {{ return(adapter.dispatch('elapsed_minutes', 'cityops')(start_col, end_col)) }}
{%- endmacro %}
{% macro default__elapsed_minutes(start_col, end_col) -%}
    {{ engine_not_implemented('elapsed_minutes') }}
{%- endmacro %}
{% macro duckdb__elapsed_minutes(start_col, end_col) -%}
    ((epoch_ms({{ end_col }}) - epoch_ms({{ start_col }})) / 60000.0)
{%- endmacro %}

{#- Real elapsed seconds (millisecond precision), DOUBLE. -#}
{% macro elapsed_seconds(start_col, end_col) -%}
    {{ return(adapter.dispatch('elapsed_seconds', 'cityops')(start_col, end_col)) }}
{%- endmacro %}
{% macro default__elapsed_seconds(start_col, end_col) -%}
    {{ engine_not_implemented('elapsed_seconds') }}
{%- endmacro %}
{% macro duckdb__elapsed_seconds(start_col, end_col) -%}
    ((epoch_ms({{ end_col }}) - epoch_ms({{ start_col }})) / 1000.0)
{%- endmacro %}

{#- Elapsed days (DOUBLE) between two instants, from whole milliseconds. -#}
{% macro elapsed_days(start_col, end_col) -%}
    {{ return(adapter.dispatch('elapsed_days', 'cityops')(start_col, end_col)) }}
{%- endmacro %}
{% macro default__elapsed_days(start_col, end_col) -%}
    {{ engine_not_implemented('elapsed_days') }}
{%- endmacro %}
{% macro duckdb__elapsed_days(start_col, end_col) -%}
    ((epoch_ms({{ end_col }}) - epoch_ms({{ start_col }})) / 86400000.0)
{%- endmacro %}

{#- Days (24 h of real elapsed time) between two instants as DECIMAL(18, 9): exact to
    0.1 ms, not rounded to display precision (a median over them is taken exactly). -#}
{% macro exact_elapsed_days(start_col, end_col) -%}
    {{ return(adapter.dispatch('exact_elapsed_days', 'cityops')(start_col, end_col)) }}
{%- endmacro %}
{% macro default__exact_elapsed_days(start_col, end_col) -%}
    {{ engine_not_implemented('exact_elapsed_days') }}
{%- endmacro %}
{% macro duckdb__exact_elapsed_days(start_col, end_col) -%}
    cast((epoch_us({{ end_col }}) - epoch_us({{ start_col }})) / 86400000000.0 as decimal(18, 9))
{%- endmacro %}

{#- A wall-clock TIMESTAMP: `seconds` (an INTEGER expression, 0 … 86400) after the start
    of the DATE `date_expr` (86400: the midnight that ends it). -#}
{% macro date_at_seconds(date_expr, seconds) -%}
    {{ return(adapter.dispatch('date_at_seconds', 'cityops')(date_expr, seconds)) }}
{%- endmacro %}
{% macro default__date_at_seconds(date_expr, seconds) -%}
    {{ engine_not_implemented('date_at_seconds') }}
{%- endmacro %}
{% macro duckdb__date_at_seconds(date_expr, seconds) -%}
    {{ date_expr }} + to_seconds({{ seconds }})
{%- endmacro %}

{#- Seconds after midnight (INTEGER) of a time of day stored as TIME (24:00:00 = 86400). -#}
{% macro seconds_of_day(col) -%}
    {{ return(adapter.dispatch('seconds_of_day', 'cityops')(col)) }}
{%- endmacro %}
{% macro default__seconds_of_day(col) -%}
    {{ engine_not_implemented('seconds_of_day') }}
{%- endmacro %}
{% macro duckdb__seconds_of_day(col) -%}
    cast(epoch({{ col }}) as integer)
{%- endmacro %}

{#- The local TIMESTAMP `n` calendar months before `ts` (wall-clock arithmetic: 31 March
    minus one month is 29 or 28 February). -#}
{% macro subtract_months(ts, n) -%}
    {{ return(adapter.dispatch('subtract_months', 'cityops')(ts, n)) }}
{%- endmacro %}
{% macro default__subtract_months(ts, n) -%}
    {{ engine_not_implemented('subtract_months') }}
{%- endmacro %}
{% macro duckdb__subtract_months(ts, n) -%}
    {{ ts }} - to_months({{ n }})
{%- endmacro %}

{#- The local TIMESTAMP `n` calendar days after `ts` (the same wall-clock time). -#}
{% macro add_days(ts, n) -%}
    {{ return(adapter.dispatch('add_days', 'cityops')(ts, n)) }}
{%- endmacro %}
{% macro default__add_days(ts, n) -%}
    {{ engine_not_implemented('add_days') }}
{%- endmacro %}
{% macro duckdb__add_days(ts, n) -%}
    {{ ts }} + to_days({{ n }})
{%- endmacro %}

{#- The last second of the month that starts on the DATE `month_start`, as a local
    TIMESTAMP (31 May 23:59:59 for 1 May). -#}
{% macro last_second_of_month(month_start) -%}
    {{ return(adapter.dispatch('last_second_of_month', 'cityops')(month_start)) }}
{%- endmacro %}
{% macro default__last_second_of_month(month_start) -%}
    {{ engine_not_implemented('last_second_of_month') }}
{%- endmacro %}
{% macro duckdb__last_second_of_month(month_start) -%}
    {{ month_start }} + interval 1 month - interval 1 second
{%- endmacro %}

{#- The instant one microsecond before the instant `instant` (the last instant of a
    half-open period that ends there). -#}
{% macro instant_before(instant) -%}
    {{ return(adapter.dispatch('instant_before', 'cityops')(instant)) }}
{%- endmacro %}
{% macro default__instant_before(instant) -%}
    {{ engine_not_implemented('instant_before') }}
{%- endmacro %}
{% macro duckdb__instant_before(instant) -%}
    {{ instant }} - interval 1 microsecond
{%- endmacro %}

{#- A query: the dates [start, end] inclusive, one row per day, column `calendar_date`. -#}
{% macro date_series(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('date_series', 'cityops')(start_expr, end_expr)) }}
{%- endmacro %}
{% macro default__date_series(start_expr, end_expr) -%}
    {{ engine_not_implemented('date_series') }}
{%- endmacro %}
{% macro duckdb__date_series(start_expr, end_expr) -%}
    select cast(generate_series as date) as calendar_date
    from generate_series(cast({{ start_expr }} as date), cast({{ end_expr }} as date), interval 1 day)
{%- endmacro %}

{#- A table expression: one row per month from the month start `start_expr` to the month
    start `end_expr` inclusive, one column, to be named by the caller and cast to a date:
        from {{ month_series('a', 'b') }} as months(month_start)
    (DuckDB yields TIMESTAMPs.) -#}
{% macro month_series(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('month_series', 'cityops')(start_expr, end_expr)) }}
{%- endmacro %}
{% macro default__month_series(start_expr, end_expr) -%}
    {{ engine_not_implemented('month_series') }}
{%- endmacro %}
{% macro duckdb__month_series(start_expr, end_expr) -%}
    generate_series(
        {{ start_expr }},
        {{ end_expr }},
        interval 1 month
    )
{%- endmacro %}

{#- The same for weeks: one row per week from the week start `start_expr` to the week start
    `end_expr` inclusive. -#}
{% macro week_series(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('week_series', 'cityops')(start_expr, end_expr)) }}
{%- endmacro %}
{% macro default__week_series(start_expr, end_expr) -%}
    {{ engine_not_implemented('week_series') }}
{%- endmacro %}
{% macro duckdb__week_series(start_expr, end_expr) -%}
    generate_series(
        {{ start_expr }},
        {{ end_expr }},
        interval 7 day
    )
{%- endmacro %}

{#- ISO day of week, 1 = Monday ... 7 = Sunday. -#}
{% macro iso_weekday(col) -%}
    {{ return(adapter.dispatch('iso_weekday', 'cityops')(col)) }}
{%- endmacro %}
{% macro default__iso_weekday(col) -%}
    {{ engine_not_implemented('iso_weekday') }}
{%- endmacro %}
{% macro duckdb__iso_weekday(col) -%}
    isodow({{ col }})
{%- endmacro %}

{#- The integers lo … hi (both included) as a one-column table expression:
    `from {{ integer_series(0, 10) }} as numbers (n)`. -#}
{% macro integer_series(lo, hi) -%}
    {{ return(adapter.dispatch('integer_series', 'cityops')(lo, hi)) }}
{%- endmacro %}
{% macro default__integer_series(lo, hi) -%}
    {{ engine_not_implemented('integer_series') }}
{%- endmacro %}
{% macro duckdb__integer_series(lo, hi) -%}
    generate_series({{ lo }}, {{ hi }})
{%- endmacro %}
