{#- Engine-specific SQL lives in this directory, one topic per file, each construct in a
    macro called through adapter.dispatch('<name>', 'cityops'):

        <name>          the macro models call: dispatches to the adapter's body
        duckdb__<name>  the DuckDB SQL (the warehouse today)
        default__<name> engine_not_implemented('<name>'): an adapter without its own body
                        stops compilation naming the macro and the adapter, so a missing
                        body can never emit DuckDB SQL

    A body for another engine is one more <adapter>__<name> macro beside them (spark__…).
    Models, singular and generic tests call only these macros for engine-specific SQL;
    tests/test_dbt_portability.py fails on a DuckDB-only construct anywhere else
    (dbt/DECISIONS.md § 16). -#}

{% macro engine_not_implemented(macro_name) -%}
    {{ exceptions.raise_compiler_error(
        "no implementation of " ~ macro_name ~ " for adapter " ~ target.type
        ~ " (dbt/macros/engine/: add " ~ target.type ~ "__" ~ macro_name ~ ")") }}
{%- endmacro %}
