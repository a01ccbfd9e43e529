{#- Generated from warehouse/contracts.py by `python -m warehouse.contract_docs`: do not edit.
    The key, known-at rule and freshness of each raw contract, for the staging
    models (latest_raw_rows, known_at_filter) and marts.source_freshness. -#}
{% macro raw_contract(table) -%}
    {%- set contracts = {
        'tickets': {'key': ['ticket_id'], 'known_at': 'opened_at', 'freshness_days': 14},
        'ticket_events': {'key': ['ticket_id', 'event_at', 'event', 'event_seq'], 'known_at': 'event_at', 'freshness_days': 14},
        'calls': {'key': ['call_id'], 'known_at': 'coalesce(ended_at, answered_at, offered_at)', 'freshness_days': 14},
        'submissions': {'key': ['submission_id'], 'known_at': 'received_at', 'freshness_days': 14},
        'publications': {'key': ['publication_id'], 'known_at': 'ready_at', 'freshness_days': 14},
        'it_services': {'key': ['service_code']},
        'service_cards': {'key': ['card_id']},
        'sc_projects': {'key': ['project_id']},
        'sc_milestones': {'key': ['project_id', 'milestone']}
    } -%}
    {%- if table not in contracts -%}
        {{ exceptions.raise_compiler_error('raw.' ~ table ~ ' has no contract (warehouse/contracts.py)') }}
    {%- endif -%}
    {{ return(contracts[table]) }}
{%- endmacro %}
{% macro timed_contracts() -%}
    {{ return(['tickets', 'ticket_events', 'calls', 'submissions', 'publications']) }}
{%- endmacro %}
