{#- Ticket events, deduplicated (the latest load wins), as known at as_of. The SQL is
    the macro stg_service_desk__ticket_events_rows (macros/staging/staging_rows.sql),
    shared with int_ticket_intervals, which reads it for the tickets of new loads only. -#}
{{ stg_service_desk__ticket_events_rows() }}
