{#- Stops compilation with a message naming the test, the model and the argument when a
    generic test that takes a list of rules gets anything but a non-empty list. -#}
{% macro require_rule_list(value, test_name, model, argument, expected) -%}
    {%- if value is string or value is mapping or value is not iterable
          or value | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            test_name ~ " on " ~ model ~ ": `" ~ argument ~ "` must be a non-empty list of "
            ~ expected ~ ", got " ~ value) }}
    {%- endif -%}
{%- endmacro %}
