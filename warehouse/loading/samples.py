# ruff: noqa: E501  (CSV data is kept one record per line, as the files hold it)
"""A tiny, hand-written, valid set of extracts (used by the loader's tests).

Every value is chosen so that the numbers are easy to check by hand: 2 IT services,
3 tickets with 8 events, 3 calls (two from the same caller, written differently),
2 submissions, 2 publications, 2 service cards, 1 Smart City project with 2 milestones.
"""

from __future__ import annotations

from pathlib import Path

from warehouse.contracts import REF_PORTAL_AREAS, REF_TOPICS, REF_UNITS

SEEDS: dict[str, frozenset[str]] = {
    REF_UNITS: frozenset({"IT-02-3", "IT-02-4", "IT-04-1", "DK-02", "DK-03", "KP-01", "GD",
                          "WS"}),
    REF_TOPICS: frozenset({"waste", "roads", "local_taxes", "elections"}),
    REF_PORTAL_AREAS: frozenset({"KPUM_INFO", "BIP"}),
}

CALLER_NUMBERS = ("+48 600-123-456", "600123456", "12 616 55 55")
EMAILS = ("Jan.Kowalski@Example.PL", "zofia@example.com")

BASE: dict[str, str] = {
    "it_services": """service_code,name_pl,name_en,owner_unit,criticality,support_hours,status,valid_from,valid_to
APP-EZD,Elektroniczne Zarządzanie Dokumentacją,E-document management,IT-02-4,1,business,active,2020-01-01,
NET,Sieć miejska,City network,IT-04-1,1,24x7,active,2020-01-01,
""",
    "tickets": """ticket_id,opened_at,ticket_type,service_code,requester_unit,channel,priority,summary,calendar_code
T-1,2025-03-03 08:10:00,incident,APP-EZD,GD,phone,3,Nie działa podpis w EZD,UMK
T-2,2025-03-03 09:00:00,service_request,NET,WS,portal,4,Nowe gniazdo sieciowe,
T-3,2025-03-04 10:30:00,incident,NET,DK-02,monitoring,1,Awaria łącza,
""",
    "ticket_events": """ticket_id,event_at,event,group_code,priority,comment_chars
T-1,2025-03-03 08:10:00,opened,IT-02-3,3,0
T-1,2025-03-03 08:20:00,acknowledged,IT-02-3,3,0
T-1,2025-03-03 11:00:00,resolved,IT-02-3,3,40
T-2,2025-03-03 09:00:00,opened,IT-02-3,4,0
T-2,2025-03-03 09:30:00,escalated,IT-04-1,4,120
T-3,2025-03-04 10:30:00,opened,IT-02-3,1,0
T-3,2025-03-04 10:31:00,escalated,IT-04-1,1,300
T-3,2025-03-04 12:00:00,resolved,IT-04-1,1,80
""",
    "calls": f"""call_id,queue,offered_at,answered_at,ended_at,agent_id,caller_number,record_type,topic_code,forwarded_unit,resolved_on_call
C-1,Infolinia,2025-03-03 08:00:05,2025-03-03 08:00:20,2025-03-03 08:04:00,A1,{CALLER_NUMBERS[0]},information,waste,,true
C-2,Infolinia,2025-03-03 08:01:00,,2025-03-03 08:01:03,,{CALLER_NUMBERS[1]},,,,
C-3,Podatki,2025-03-03 08:02:00,2025-03-03 08:02:40,2025-03-03 08:09:00,A2,{CALLER_NUMBERS[2]},problem,local_taxes,KP-01,false
""",
    "submissions": f"""submission_id,received_at,channel,kind,topic_code,district,submitter_email,forwarded_at,responsible_unit,unit_replied_at,closed_at,outcome,call_id
S-1,2025-03-03 10:00:00,portal,problem,roads,5,{EMAILS[0]},2025-03-03 12:00:00,GD,2025-03-05 09:00:00,2025-03-05 10:00:00,resolved,
S-2,2025-03-04 11:00:00,email,idea,waste,,{EMAILS[1]},,,,,open,
""",
    "publications": """publication_id,portal,portal_area,content_type,owner_unit,action,ready_at,published_at,service_card_id,editor_role
P-1,KPUM,KPUM_INFO,service_card,KP-01,update,2025-03-03 09:00:00,2025-03-03 11:00:00,SC-1,redaktor
P-2,BIP,BIP,document,KP-01,create,2025-03-04 09:00:00,,,
""",
    "service_cards": """card_id,title_pl,responsible_unit,online_available,last_reviewed_at
SC-1,Zameldowanie na pobyt stały,WS,true,2024-05-01 10:00:00
SC-2,Wymiana dowodu rejestracyjnego,WS,false,2023-01-15 09:00:00
""",
    "sc_projects": """project_id,name,strategy_area,owner_unit,status,planned_start,planned_end,actual_start,actual_end,budget_pln,spent_pln
SCP-1,Inteligentne oświetlenie,Energia,IT-01-4,in_progress,2025-01-01,2025-12-31,2025-02-01,,1000000.50,250000
""",
    "sc_milestones": """project_id,milestone,due_on,done_on
SCP-1,Projekt techniczny,2025-03-31,2025-03-20
SCP-1,Montaż,2025-09-30,
""",
}
SEEDS[REF_UNITS] = SEEDS[REF_UNITS] | {"IT-01-4"}

BASE_ROWS = {name: text.count("\n") - 1 for name, text in BASE.items()}


def write_base(out_dir: Path, only: tuple[str, ...] | None = None) -> Path:
    """Write the base extracts (UTF-8, LF, ',') into ``out_dir``; return it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in BASE.items():
        if only is None or name in only:
            (out_dir / f"{name}.csv").write_text(text, encoding="utf-8")
    return out_dir
