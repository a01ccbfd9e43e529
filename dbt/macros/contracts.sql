{#- Generated from warehouse/contracts.py by `python -m warehouse.contract_docs`: do not edit.
    The key, known-at rule, freshness and reference columns (column: reference
    set) of each raw contract, for the staging models (latest_raw_rows,
    known_at_filter), marts.source_freshness and the codes found in the data
    (codes_in_raw). -#}
{% macro raw_contract(table) -%}
    {%- set contracts = {
        'tickets': {'key': ['ticket_id'], 'known_at': 'opened_at', 'freshness_days': 14, 'refs': {'service_code': 'it_services', 'requester_unit': 'org_units', 'calendar_code': 'working_calendars'}},
        'ticket_events': {'key': ['ticket_id', 'event_at', 'event', 'event_seq'], 'known_at': 'event_at', 'freshness_days': 14, 'refs': {'ticket_id': 'tickets', 'group_code': 'org_units'}},
        'calls': {'key': ['call_id'], 'known_at': 'coalesce(ended_at, answered_at, offered_at)', 'freshness_days': 14, 'refs': {'topic_code': 'kck_topics', 'forwarded_unit': 'org_units'}},
        'submissions': {'key': ['submission_id'], 'known_at': 'received_at', 'freshness_days': 14, 'refs': {'topic_code': 'kck_topics', 'responsible_unit': 'org_units'}},
        'publications': {'key': ['publication_id'], 'known_at': 'ready_at', 'freshness_days': 14, 'refs': {'portal_area': 'portal_areas', 'owner_unit': 'org_units'}},
        'it_services': {'key': ['service_code'], 'refs': {'owner_unit': 'org_units'}},
        'service_cards': {'key': ['card_id'], 'refs': {'responsible_unit': 'org_units'}},
        'sc_projects': {'key': ['project_id'], 'refs': {'owner_unit': 'org_units'}},
        'sc_milestones': {'key': ['project_id', 'milestone'], 'refs': {'project_id': 'sc_projects'}}
    } -%}
    {%- if table not in contracts -%}
        {{ exceptions.raise_compiler_error('raw.' ~ table ~ ' has no contract (warehouse/contracts.py)') }}
    {%- endif -%}
    {{ return(contracts[table]) }}
{%- endmacro %}

{% macro timed_contracts() -%}
    {{ return(['tickets', 'ticket_events', 'calls', 'submissions', 'publications']) }}
{%- endmacro %}

{% macro raw_contract_names() -%}
    {{ return(['tickets', 'ticket_events', 'calls', 'submissions', 'publications', 'it_services', 'service_cards', 'sc_projects', 'sc_milestones']) }}
{%- endmacro %}

{#- DK-03's electronic channels of the submissions register (its KPIs keep to them). -#}
{% macro electronic_channels() -%}
    {{ return(['portal', 'email', 'mobile_app', 'epuap']) }}
{%- endmacro %}

{#- The default working calendar (an empty tickets.calendar_code) and the country of its
    public holidays. -#}
{% macro default_calendar() -%}
    {{ return('UMK') }}
{%- endmacro %}

{% macro default_calendar_holidays() -%}
    {{ return('PL') }}
{%- endmacro %}
