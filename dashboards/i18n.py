"""Polish and English labels, and number and date formats for each language.

Polish: ``1 234,5`` (non-breaking space as the thousands separator) and ``22.11.2026``;
English: ``1,234.5`` and ``2026-11-22``. Pure functions: pytest calls them without Streamlit.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Literal

import polars as pl

Lang = Literal["pl", "en"]
LANGS: tuple[Lang, ...] = ("pl", "en")
LANG_NAMES: dict[str, str] = {"pl": "Polski", "en": "English"}
NBSP = "\u00a0"

# Labels: key -> (Polish, English).  Every visible text goes through t().
LABELS: dict[str, tuple[str, str]] = {
    "app_title": ("CityOps — operacje Urzędu Miasta Krakowa",
                  "CityOps — Kraków City Hall operations"),
    "language": ("Język", "Language"),
    "page_director": ("Przegląd dla dyrekcji", "Director overview"),
    "page_incidents": ("IT-02-3 — SLA zgłoszeń", "IT-02-3 — incident SLAs"),
    "page_kck": ("KCK — połączenia i tematy", "KCK — calls and topics"),
    "page_units": ("Obciążenie jednostek", "Unit workload"),
    "page_publications": ("Publikacje", "Publications"),
    "page_smart_city": ("Smart City (IT-01-4)", "Smart City (IT-01-4)"),
    "page_builder": ("Kreator raportów (DK-05)", "Report builder (DK-05)"),
    "warehouse": ("Hurtownia", "Warehouse"),
    "data_as_of": ("Stan danych na", "Data as of"),
    "as_of_unknown": ("(data danych nieznana — przebuduj hurtownię: cityops build)",
                      "(date of the data unknown — rebuild the warehouse: cityops build)"),
    "no_warehouse": (
        "Brak hurtowni danych pod ścieżką {path}. Wczytaj dane i zbuduj hurtownię: "
        "`cityops load KATALOG` i `cityops build` (albo `make demo`).",
        "No warehouse at {path}. Load the data and build it: `cityops load DIR` and "
        "`cityops build` (or `make demo`).",
    ),
    "no_marts": (
        "Hurtownia {path} nie zawiera jeszcze zestawień (schemat marts) — uruchom `cityops build`.",
        "The warehouse {path} has no marts yet — run `cityops build`.",
    ),
    "empty_mart": (
        "Brak danych {what} w hurtowni — wczytaj plik {files} (cityops load) i przebuduj "
        "(cityops build).",
        "No {what} data in the warehouse — load {files} (cityops load) and rebuild "
        "(cityops build).",
    ),
    "empty_filter": ("Brak wierszy dla wybranych filtrów.", "No rows for the chosen filters."),
    "month": ("Miesiąc", "Month"),
    "period": ("Okres", "Period"),
    "from": ("Od", "From"),
    "to": ("Do", "To"),
    "target": ("cel", "target"),
    "vs_prev": ("m/m", "MoM"),
    "on_target": ("w celu", "on target"),
    "off_target": ("poza celem", "off target"),
    "kpi": ("Wskaźnik", "KPI"),
    "trend_vs_target": ("{kpi}, miesięcznie, {period} — wartość i cel",
                        "{kpi}, monthly, {period} — value and target"),
    "by_unit": ("{kpi} według jednostek, {period}", "{kpi} by unit, {period}"),
    "no_unit_breakdown": ("Ten wskaźnik nie ma podziału na jednostki.",
                          "This KPI has no breakdown by unit."),
    "rows_total": ("{n} wierszy", "{n} rows"),
    "page_n": ("Strona", "Page"),
    "download_csv_pl": ("CSV (Excel PL)", "CSV (Excel PL)"),
    "download_csv_std": ("CSV (standard)", "CSV (standard)"),
    "download_xlsx": ("XLSX", "XLSX"),
    "downloads": ("Pobierz pełną tabelę:", "Download the full table:"),
    "priority": ("Priorytet", "Priority"),
    "all": ("wszystkie", "all"),
    "clock": ("Zegar", "Clock"),
    "business": ("roboczy", "business"),
    "calendar": ("kalendarzowy", "calendar"),
    # incidents
    "inc_sla_by_priority": ("SLA dotrzymane (%) wg priorytetu, miesięcznie, {period}",
                            "SLA met (%) by priority, monthly, {period}"),
    "inc_resolution_dist": ("Czas rozwiązania ({clock}, min): mediana i p90, miesięcznie, {period}",
                            "Resolution time ({clock}, min): median and p90, monthly, {period}"),
    "inc_response_dist": ("Czas reakcji (roboczy, min): mediana i p90, miesięcznie, {period}",
                          "Response time (business, min): median and p90, monthly, {period}"),
    "inc_first_line": ("Rozwiązane na I linii (%) i eskalacje bez pełnego komentarza "
                       "(zarządzenie 002 §8), miesięcznie, {period}",
                       "First-line resolution (%) and escalations without a full comment "
                       "(ordinance 002 §8), monthly, {period}"),
    "inc_backlog_age": ("Zaległe zgłoszenia wg wieku (dni robocze) na {as_of}",
                        "Open tickets by age (working days) as of {as_of}"),
    "inc_near_breach": ("Zgłoszenia bliskie przekroczenia SLA na {as_of} (wykorzystany % celu)",
                        "Tickets nearing SLA breach as of {as_of} (% of target used)"),
    "inc_by_service": ("Zgłoszenia i SLA wg usługi, {period}",
                       "Tickets and SLA by service, {period}"),
    "inc_by_group": ("Zgłoszenia i SLA wg grupy, {period}", "Tickets and SLA by group, {period}"),
    "inc_ticket_list": ("Lista zgłoszeń (filtr)", "Ticket list (filter)"),
    "service": ("Usługa", "Service"),
    "group": ("Grupa", "Group"),
    "only_open": ("Tylko otwarte", "Open only"),
    "only_breached": ("Tylko z niedotrzymanym SLA", "SLA missed only"),
    "median": ("mediana", "median"),
    "p90": ("p90", "p90"),
    "sla_target": ("cel SLA", "SLA target"),
    # kck
    "kck_topics_trend": ("Odebrane połączenia wg grupy tematów, miesięcznie, {period}",
                         "Answered calls by topic group, monthly, {period}"),
    "kck_topics_share": ("Udział tematów w odebranych połączeniach, {period}",
                         "Share of topics in answered calls, {period}"),
    "kck_queue_sl": ("Poziom obsługi (% w 20 s) wg kolejki, miesięcznie, {period} — z celem",
                     "Service level (% within 20 s) by queue, monthly, {period} — with target"),
    "kck_queue_table": ("Kolejki KCK: wskaźniki vs cele, {period}",
                        "KCK queues: measures vs targets, {period}"),
    "kck_heatmap": ("Połączenia oferowane wg dnia tygodnia i godziny, {period}",
                    "Offered calls by weekday and hour, {period}"),
    "kck_dk03": ("DK-03: problemy i pomysły z kanałów elektronicznych przekazane do jednostek, "
                 "miesięcznie, {period}",
                 "DK-03: electronic problems and ideas forwarded to units, monthly, {period}"),
    "kck_overdue_unit": ("Odpowiedzi po terminie wg jednostki na {as_of}",
                         "Overdue replies by unit as of {as_of}"),
    "kck_overdue_district": ("Odpowiedzi po terminie wg dzielnicy na {as_of}",
                             "Overdue replies by district as of {as_of}"),
    "weekday": ("Dzień tygodnia", "Weekday"),
    "hour": ("Godzina", "Hour"),
    "other_topics": ("pozostałe tematy", "other topics"),
    # units
    "department": ("Wydział / jednostka nadrzędna", "Department"),
    "reporting_line": ("Pion nadzoru", "Reporting line"),
    "unit": ("Jednostka", "Unit"),
    "units_compare": ("Porównaj jednostki", "Compare units"),
    "unit_over_time": ("{unit}: obciążenie miesięcznie, {period}",
                       "{unit}: workload by month, {period}"),
    "units_side_by_side": ("Porównanie jednostek: {measure}, miesięcznie, {period}",
                           "Units compared: {measure}, monthly, {period}"),
    "measure": ("Miara", "Measure"),
    # publications
    "pub_by_portal": ("Publikacje w ciągu 1 dnia roboczego (%) wg portalu, miesięcznie, {period}",
                      "Published within 1 working day (%) by portal, monthly, {period}"),
    "pub_by_unit": ("Czas od gotowości do publikacji wg jednostki, {period}",
                    "Ready-to-published time by unit, {period}"),
    "pub_stale": ("Karty usług bez przeglądu ponad 12 miesięcy na {as_of}",
                  "Service cards not reviewed for over 12 months as of {as_of}"),
    "pub_note": ("„Niezwłocznie” (zarządzenie 001): udział publikacji w ciągu jednego dnia "
                 "roboczego od gotowości.",
                 "\"Without delay\" (ordinance 001): share published within one working day "
                 "of being ready."),
    # smart city
    "sc_projects": ("Projekty Smart City na {as_of}", "Smart City projects as of {as_of}"),
    "sc_gantt": ("Harmonogram projektów: plan i realizacja (prognoza), stan na {as_of}",
                 "Project timeline: plan and actual (forecast), as of {as_of}"),
    "sc_milestones": ("Kamienie milowe po terminie na {as_of}", "Overdue milestones as of {as_of}"),
    "plan": ("plan", "plan"),
    "actual": ("realizacja", "actual"),
    "rag_green": ("zielony", "green"),
    "rag_amber": ("bursztynowy", "amber"),
    "rag_red": ("czerwony", "red"),
    # builder
    "builder_mart": ("Zestawienie (mart)", "Mart"),
    "builder_measures": ("Miary", "Measures"),
    "builder_agg": ("Agregacja", "Aggregation"),
    "builder_breakdowns": ("Podziały", "Breakdowns"),
    "builder_filters": ("Filtry", "Filters"),
    "builder_chart": ("Typ wykresu", "Chart type"),
    "builder_run": ("Pokaż", "Show"),
    "builder_save": ("Zapisz raport", "Save report"),
    "builder_name": ("Nazwa raportu", "Report name"),
    "builder_open": ("Otwórz zapisany raport", "Open a saved report"),
    "builder_saved": ("Zapisano raport „{name}”.", "Saved report \"{name}\"."),
    "builder_none": ("(nowy raport)", "(new report)"),
    "builder_sql": ("Zapytanie SQL tylko do odczytu (schemat marts)",
                    "Read-only SQL query (marts schema)"),
    "builder_sql_run": ("Wykonaj", "Run"),
    "builder_sql_missing": ("Moduł zapytań SQL (warehouse.safe_sql) nie jest dostępny.",
                            "The SQL module (warehouse.safe_sql) is not available."),
    "builder_pick_measure": ("Wybierz co najmniej jedną miarę.", "Choose at least one measure."),
    "builder_title": ("{measures} wg: {breakdowns} — {mart}",
                      "{measures} by {breakdowns} — {mart}"),
    "row_count": ("Liczba wierszy", "Row count"),
    "builder_no_breakdown": ("razem", "total"),
    "filter_column": ("Kolumna filtra", "Filter column"),
    "filter_values": ("Wartości", "Values"),
    "chart_bar": ("słupkowy", "bar"),
    "chart_line": ("liniowy", "line"),
    "chart_none": ("bez wykresu", "no chart"),
    "agg_sum": ("suma", "sum"),
    "agg_avg": ("średnia", "average"),
    "agg_min": ("minimum", "minimum"),
    "agg_max": ("maksimum", "maximum"),
    "agg_count": ("liczba", "count"),
    "agg_median": ("mediana", "median"),
    "none": ("(brak)", "(none)"),
    "higher_is_better": ("im więcej, tym lepiej", "higher is better"),
    "lower_is_better": ("im mniej, tym lepiej", "lower is better"),
    "unit_count": ("liczba", "count"),
}

MARTS: dict[str, tuple[str, str]] = {
    "dim_org_units": ("Jednostki organizacyjne", "Organisational units"),
    "director_kpis": ("Wskaźniki dla dyrekcji (miesięcznie)", "Director KPIs (monthly)"),
    "director_kpis_by_unit": ("Wskaźniki dla dyrekcji wg jednostek", "Director KPIs by unit"),
    "incident_sla": ("Zgłoszenia IT (każde zgłoszenie)", "IT tickets (one row per ticket)"),
    "incident_sla_monthly": ("SLA zgłoszeń IT (miesięcznie)", "IT ticket SLAs (monthly)"),
    "kck_queue_service": ("Kolejki KCK (miesięcznie)", "KCK queues (monthly)"),
    "kck_call_topics": ("Tematy połączeń KCK (miesięcznie)", "KCK call topics (monthly)"),
    "kck_calls_hourly": ("Połączenia KCK wg dnia i godziny", "KCK calls by weekday and hour"),
    "submissions": ("Zgłoszenia elektroniczne DK-03", "DK-03 electronic submissions"),
    "unit_workload": ("Obciążenie jednostek (miesięcznie)", "Unit workload (monthly)"),
    "publications": ("Publikacje", "Publications"),
    "service_card_freshness": ("Aktualność kart usług", "Service card freshness"),
    "service_catalogue": ("Katalog usług IT", "IT service catalogue"),
    "smart_city_portfolio": ("Portfel projektów Smart City", "Smart City portfolio"),
    "smart_city_milestones": ("Kamienie milowe Smart City", "Smart City milestones"),
}


def mart_label(mart: str, lang: str = "pl") -> str:
    pair = MARTS.get(mart)
    return mart if pair is None else pair[0 if lang == "pl" else 1]


WEEKDAYS = {
    "pl": ["pon", "wt", "śr", "czw", "pt", "sob", "nd"],
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
}

# Column labels for tables and downloads' screen view: column -> (Polish, English).
COLUMNS: dict[str, tuple[str, str]] = {
    "month_start": ("Miesiąc", "Month"),
    "kpi_code": ("Kod wskaźnika", "KPI code"),
    "kpi_name": ("Wskaźnik", "KPI"),
    "kpi_name_pl": ("Wskaźnik", "KPI (Polish)"),
    "kpi_name_en": ("Wskaźnik (ang.)", "KPI"),
    "value": ("Wartość", "Value"),
    "target": ("Cel", "Target"),
    "unit": ("Jednostka miary", "Unit of measure"),
    "direction": ("Kierunek", "Direction"),
    "is_on_target": ("W celu", "On target"),
    "previous_value": ("Poprzedni miesiąc", "Previous month"),
    "change": ("Zmiana", "Change"),
    "unit_code": ("Kod jednostki", "Unit code"),
    "unit_name_pl": ("Jednostka", "Unit"),
    "numerator": ("Licznik", "Numerator"),
    "denominator": ("Mianownik", "Denominator"),
    "name_pl": ("Nazwa", "Name (Polish)"),
    "name_en": ("Nazwa (ang.)", "Name"),
    "department": ("Wydział", "Department"),
    "reporting_line": ("Pion nadzoru", "Reporting line"),
    "unit_kind": ("Rodzaj jednostki", "Unit kind"),
    "ticket_id": ("Nr zgłoszenia", "Ticket"),
    "ticket_type": ("Typ", "Type"),
    "priority": ("Priorytet", "Priority"),
    "service_code": ("Kod usługi", "Service code"),
    "service_name_pl": ("Usługa", "Service"),
    "support_hours": ("Godziny wsparcia", "Support hours"),
    "requester_unit": ("Jednostka zgłaszająca", "Requester unit"),
    "final_group_code": ("Grupa końcowa", "Final group"),
    "group_code": ("Grupa", "Group"),
    "channel": ("Kanał", "Channel"),
    "opened_at": ("Otwarte", "Opened"),
    "opened_month": ("Miesiąc otwarcia", "Month opened"),
    "first_response_at": ("Pierwsza reakcja", "First response"),
    "resolved_at": ("Rozwiązane", "Resolved"),
    "closed_at": ("Zamknięte", "Closed"),
    "response_business_minutes": ("Reakcja (min robocze)", "Response (business min)"),
    "resolution_business_minutes": ("Rozwiązanie (min robocze)", "Resolution (business min)"),
    "resolution_calendar_minutes": ("Rozwiązanie (min kalendarzowe)", "Resolution (calendar min)"),
    "on_hold_business_minutes": ("Wstrzymane (min robocze)", "On hold (business min)"),
    "response_target_minutes": ("Cel reakcji (min)", "Response target (min)"),
    "resolution_target_minutes": ("Cel rozwiązania (min)", "Resolution target (min)"),
    "is_response_sla_met": ("SLA reakcji", "Response SLA met"),
    "is_resolution_sla_met": ("SLA rozwiązania", "Resolution SLA met"),
    "is_sla_met": ("SLA dotrzymane", "SLA met"),
    "is_first_line_resolved": ("Rozwiązane na I linii", "First-line resolved"),
    "escalation_count": ("Eskalacje", "Escalations"),
    "has_escalation_without_comment": ("Eskalacja bez komentarza", "Escalation without comment"),
    "reopen_count": ("Ponowne otwarcia", "Reopens"),
    "is_open": ("Otwarte", "Open"),
    "age_business_minutes": ("Wiek (min robocze)", "Age (business min)"),
    "resolution_target_used_pct": ("Wykorzystany cel (%)", "Target used (%)"),
    "as_of_at": ("Stan na", "As of"),
    "tickets_opened": ("Otwarte", "Opened"),
    "tickets_resolved": ("Rozwiązane", "Resolved"),
    "sla_met_tickets": ("SLA dotrzymane (liczba)", "SLA met (count)"),
    "sla_met_pct": ("SLA dotrzymane (%)", "SLA met (%)"),
    "response_sla_met_pct": ("SLA reakcji (%)", "Response SLA met (%)"),
    "median_resolution_business_minutes": ("Mediana rozwiązania (min robocze)",
                                           "Median resolution (business min)"),
    "p90_resolution_business_minutes": ("p90 rozwiązania (min robocze)",
                                        "p90 resolution (business min)"),
    "median_resolution_calendar_minutes": ("Mediana rozwiązania (min kalendarzowe)",
                                           "Median resolution (calendar min)"),
    "p90_resolution_calendar_minutes": ("p90 rozwiązania (min kalendarzowe)",
                                        "p90 resolution (calendar min)"),
    "median_response_business_minutes": ("Mediana reakcji (min robocze)",
                                         "Median response (business min)"),
    "p90_response_business_minutes": ("p90 reakcji (min robocze)", "p90 response (business min)"),
    "first_line_resolved_tickets": ("Rozwiązane na I linii (liczba)",
                                    "First-line resolved (count)"),
    "first_line_resolved_pct": ("Rozwiązane na I linii (%)", "First-line resolved (%)"),
    "escalations_without_comment": ("Eskalacje bez pełnego komentarza",
                                    "Escalations without full comment"),
    "backlog_at_month_end": ("Zaległe na koniec miesiąca", "Backlog at month end"),
    "queue": ("Kolejka", "Queue"),
    "offered": ("Oferowane", "Offered"),
    "answered": ("Odebrane", "Answered"),
    "abandoned": ("Porzucone", "Abandoned"),
    "short_abandoned": ("Porzucone < 5 s", "Short abandons < 5 s"),
    "answered_within_20s": ("Odebrane w 20 s", "Answered within 20 s"),
    "service_level_pct": ("Poziom obsługi (%)", "Service level (%)"),
    "abandon_rate_pct": ("Porzucenia (%)", "Abandonment (%)"),
    "asa_seconds": ("ASA (s)", "ASA (s)"),
    "aht_seconds": ("AHT (s)", "AHT (s)"),
    "target_service_level_pct": ("Cel poziomu obsługi (%)", "Service level target (%)"),
    "target_abandon_rate_pct": ("Cel porzuceń (%)", "Abandonment target (%)"),
    "topic_code": ("Kod tematu", "Topic code"),
    "topic_name_pl": ("Temat", "Topic (Polish)"),
    "topic_name_en": ("Temat (ang.)", "Topic"),
    "topic_name": ("Temat", "Topic"),
    "topic_group": ("Grupa tematów", "Topic group"),
    "share_of_answered_pct": ("Udział w odebranych (%)", "Share of answered (%)"),
    "resolved_on_call_pct": ("Rozwiązane w rozmowie (%)", "Resolved on call (%)"),
    "information": ("Informacje", "Information"),
    "problems": ("Problemy", "Problems"),
    "ideas": ("Pomysły", "Ideas"),
    "surveys": ("Ankiety", "Surveys"),
    "forwarded": ("Przekazane", "Forwarded"),
    "weekday": ("Dzień tygodnia", "Weekday"),
    "hour": ("Godzina", "Hour"),
    "submission_id": ("Nr zgłoszenia", "Submission"),
    "received_at": ("Wpłynęło", "Received"),
    "received_month": ("Miesiąc wpływu", "Month received"),
    "kind": ("Rodzaj", "Kind"),
    "district": ("Dzielnica (nr)", "District (no.)"),
    "district_name": ("Dzielnica", "District"),
    "responsible_unit": ("Kod jednostki odpowiedzialnej", "Responsible unit code"),
    "responsible_unit_name_pl": ("Jednostka odpowiedzialna", "Responsible unit"),
    "forwarded_at": ("Przekazano", "Forwarded"),
    "unit_replied_at": ("Odpowiedź jednostki", "Unit replied"),
    "outcome": ("Wynik", "Outcome"),
    "days_to_forward": ("Dni do przekazania", "Days to forward"),
    "days_to_unit_reply": ("Dni do odpowiedzi", "Days to reply"),
    "reply_due_at": ("Termin odpowiedzi", "Reply due"),
    "is_overdue": ("Po terminie", "Overdue"),
    "submissions": ("Zgłoszenia", "Submissions"),
    "overdue": ("Po terminie", "Overdue"),
    "open": ("Otwarte", "Open"),
    "tickets_requested": ("Zgłoszenia IT złożone", "IT tickets requested"),
    "tickets_handled": ("Zgłoszenia IT obsłużone", "IT tickets handled"),
    "escalations_received": ("Eskalacje przyjęte", "Escalations received"),
    "calls_forwarded": ("Połączenia przekazane", "Calls forwarded"),
    "submissions_forwarded": ("Zgłoszenia elektroniczne przekazane", "Submissions forwarded"),
    "submissions_overdue": ("Zgłoszenia po terminie", "Submissions overdue"),
    "publications_made": ("Publikacje", "Publications"),
    "publication_id": ("Nr publikacji", "Publication"),
    "portal": ("Portal", "Portal"),
    "portal_area": ("Obszar portalu", "Portal area"),
    "content_type": ("Rodzaj treści", "Content type"),
    "owner_unit": ("Kod jednostki", "Owner unit code"),
    "owner_unit_name_pl": ("Jednostka", "Owner unit"),
    "action": ("Działanie", "Action"),
    "ready_at": ("Gotowe", "Ready"),
    "published_at": ("Opublikowane", "Published"),
    "ready_month": ("Miesiąc gotowości", "Month ready"),
    "business_minutes_to_publish": ("Do publikacji (min robocze)", "To publish (business min)"),
    "working_days_to_publish": ("Do publikacji (dni robocze)", "To publish (working days)"),
    "is_published": ("Opublikowane", "Published"),
    "is_published_within_1_working_day": ("W 1 dzień roboczy", "Within 1 working day"),
    "service_card_id": ("Karta usługi", "Service card"),
    "editor_role": ("Rola redaktora", "Editor role"),
    "publications": ("Publikacje", "Publications"),
    "published": ("Opublikowane", "Published"),
    "within_1wd": ("W 1 dzień roboczy", "Within 1 working day"),
    "within_1wd_pct": ("W 1 dzień roboczy (%)", "Within 1 working day (%)"),
    "median_working_days": ("Mediana (dni robocze)", "Median (working days)"),
    "p90_working_days": ("p90 (dni robocze)", "p90 (working days)"),
    "card_id": ("Karta usługi", "Service card"),
    "title_pl": ("Tytuł", "Title"),
    "online_available": ("Dostępna online", "Online"),
    "last_reviewed_at": ("Ostatni przegląd", "Last reviewed"),
    "days_since_review": ("Dni od przeglądu", "Days since review"),
    "is_stale": ("Nieaktualna", "Stale"),
    "criticality": ("Krytyczność", "Criticality"),
    "status": ("Status", "Status"),
    "tickets": ("Zgłoszenia", "Tickets"),
    "incidents": ("Incydenty", "Incidents"),
    "open_tickets": ("Otwarte", "Open"),
    "project_id": ("Projekt", "Project"),
    "name": ("Nazwa", "Name"),
    "strategy_area": ("Obszar strategii", "Strategy area"),
    "planned_start": ("Początek (plan)", "Planned start"),
    "planned_end": ("Koniec (plan)", "Planned end"),
    "actual_start": ("Początek (realizacja)", "Actual start"),
    "actual_end": ("Koniec (realizacja)", "Actual end"),
    "forecast_end": ("Koniec (prognoza)", "Forecast end"),
    "schedule_variance_days": ("Odchylenie harmonogramu (dni)", "Schedule variance (days)"),
    "budget_pln": ("Budżet (zł)", "Budget (PLN)"),
    "spent_pln": ("Wydano (zł)", "Spent (PLN)"),
    "budget_burn_pct": ("Wykorzystanie budżetu (%)", "Budget burn (%)"),
    "elapsed_pct": ("Upływ czasu (%)", "Time elapsed (%)"),
    "milestones_total": ("Kamienie milowe", "Milestones"),
    "milestones_done": ("Osiągnięte", "Done"),
    "milestones_overdue": ("Po terminie", "Overdue"),
    "rag_status": ("Status RAG", "RAG"),
    "rag_reason": ("Powód", "Reason"),
    "project_name": ("Nazwa projektu", "Project name"),
    "milestone": ("Kamień milowy", "Milestone"),
    "due_on": ("Termin", "Due"),
    "done_on": ("Osiągnięto", "Done on"),
    "is_done": ("Osiągnięty", "Done"),
    "days_late": ("Dni opóźnienia", "Days late"),
    "age_bucket": ("Wiek", "Age"),
    "target_used_bucket": ("Wykorzystany cel", "Target used"),
    "label": ("Etykieta", "Label"),
}


# Values of enumerated columns shown to readers: column -> {value: (Polish, English)}.
VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "reporting_line": {"Director": ("Dyrektor", "Director"),
                       "I Deputy Director": ("I Zastępca Dyrektora", "I Deputy Director"),
                       "II Deputy Director": ("II Zastępca Dyrektora", "II Deputy Director"),
                       "III Deputy Director": ("III Zastępca Dyrektora", "III Deputy Director"),
                       "Mayor": ("Prezydent Miasta", "Mayor"),
                       "Plenipotentiary": ("Pełnomocnik Prezydenta", "Plenipotentiary"),
                       "External": ("Jednostki i spółki miejskie", "City units and companies")},
    "ticket_type": {"incident": ("incydent", "incident"),
                    "service_request": ("wniosek o usługę", "service request")},
    "channel": {"phone": ("telefon", "phone"), "email": ("e-mail", "e-mail"),
                "portal": ("portal", "portal"), "walk_in": ("osobiście", "walk-in"),
                "monitoring": ("monitoring", "monitoring"), "mobile_app": ("aplikacja", "app"),
                "epuap": ("ePUAP", "ePUAP")},
    "kind": {"problem": ("problem", "problem"), "idea": ("pomysł", "idea")},
    "outcome": {"resolved": ("załatwione", "resolved"), "rejected": ("odrzucone", "rejected"),
                "duplicate": ("duplikat", "duplicate"), "open": ("otwarte", "open")},
    "content_type": {"service_card": ("karta usługi", "service card"),
                     "news": ("aktualność", "news"), "unit_page": ("strona jednostki", "unit page"),
                     "document": ("dokument", "document")},
    "action": {"create": ("utworzenie", "create"), "update": ("aktualizacja", "update"),
               "unpublish": ("wycofanie", "unpublish")},
    "rag_status": {"green": ("zielony", "green"), "amber": ("bursztynowy", "amber"),
                   "red": ("czerwony", "red")},
    "support_hours": {"business": ("godziny pracy", "business hours"), "24x7": ("24/7", "24/7")},
    "status": {"completed": ("zakończony", "completed"),
               "in_progress": ("w realizacji", "in progress"),
               "on_hold": ("wstrzymany", "on hold"), "planned": ("planowany", "planned"),
               "cancelled": ("anulowany", "cancelled"), "active": ("aktywna", "active"),
               "retired": ("wycofana", "retired")},
    "topic_group": {"city_services": ("usługi miejskie", "city services"),
                    "information": ("informacja", "information"),
                    "taxes_fees": ("podatki i opłaty", "taxes and fees"),
                    "environment": ("środowisko", "environment"),
                    "infrastructure": ("infrastruktura", "infrastructure"),
                    "events": ("wydarzenia", "events"), "other": ("inne", "other"),
                    "survey": ("ankiety", "surveys"),
                    "participation": ("partycypacja", "participation"),
                    "elections": ("wybory", "elections")},
}


def t(key: str, lang: str = "pl", **kwargs: object) -> str:
    """The label for ``key`` in ``lang``, with ``{placeholders}`` filled from kwargs."""
    pair = LABELS.get(key)
    text = key if pair is None else pair[0 if lang == "pl" else 1]
    return text.format(**kwargs) if kwargs else text


def value_label(column: str, value: str, lang: str = "pl") -> str:
    """The reader's word for an enumerated value (VALUES); the value itself if unknown."""
    pair = VALUES.get(column, {}).get(value)
    return pair[0 if lang == "pl" else 1] if pair else value


def column_label(column: str, lang: str = "pl") -> str:
    """A reader's name for a column; unknown columns get a tidied name, never snake_case."""
    pair = COLUMNS.get(column)
    if pair is not None:
        return pair[0 if lang == "pl" else 1]
    if "_" not in column:
        return column
    text = column.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def fmt_number(value: float | int | None, lang: str = "pl", decimals: int | None = None) -> str:
    """``1 234,5`` in Polish, ``1,234.5`` in English; integers without decimals; None → ''."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 1
    text = f"{value:,.{decimals}f}"  # 1,234.5
    if lang == "pl":
        text = text.replace(",", NBSP).replace(".", ",")
    return text.replace("-", "−") if text.startswith("-") else text


UNIT_SUFFIX: dict[str, tuple[str, str]] = {
    "%": ("%", "%"), "pp": ("p.p.", "pp"), "s": ("s", "s"), "min": ("min", "min"),
    "days": ("dni", "days"), "count": ("", ""),
}
UNIT_NAMES: dict[str, tuple[str, str]] = {
    "%": ("%", "%"), "s": ("sekundy", "seconds"), "min": ("minuty", "minutes"),
    "days": ("dni", "days"), "count": ("liczba", "count"),
}


def fmt_value(value: float | None, unit: str, lang: str = "pl") -> str:
    """A KPI value with its unit: ``92,5 %``, ``18,2 s``, ``1 234``, ``1,9 dni``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    decimals = 1 if unit in ("%", "pp") else (0 if float(value).is_integer() else 1)
    number = fmt_number(value, lang, decimals)
    pair = UNIT_SUFFIX.get(unit, (unit, unit))
    suffix = pair[0 if lang == "pl" else 1]
    return f"{number}{NBSP}{suffix}" if suffix else number


def fmt_change(change: float | None, unit: str, lang: str = "pl") -> str | None:
    """A change against the previous month with an ASCII sign (Streamlit reads the arrow
    from it): ``+2,9 p.p.`` for percentages, ``-7`` for counts; None when unknown."""
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return None
    unit = "pp" if unit == "%" else unit
    shown = fmt_value(abs(change), unit, lang)
    decimals = 1 if unit == "pp" or not float(change).is_integer() else 0
    if round(abs(change), decimals) == 0:
        return shown
    return ("+" if change > 0 else "-") + shown


def fmt_date(value: date | datetime | None, lang: str = "pl") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M" if lang == "pl" else "%Y-%m-%d %H:%M")
    return value.strftime("%d.%m.%Y" if lang == "pl" else "%Y-%m-%d")


def fmt_month(value: date | None, lang: str = "pl") -> str:
    """``11.2026`` in Polish, ``2026-11`` in English."""
    if value is None:
        return ""
    return value.strftime("%m.%Y" if lang == "pl" else "%Y-%m")


def fmt_period(first: date | None, last: date | None, lang: str = "pl") -> str:
    """The period a chart covers: ``01.2025–12.2025``."""
    if first is None or last is None:
        return ""
    if first == last:
        return fmt_month(first, lang)
    return f"{fmt_month(first, lang)}–{fmt_month(last, lang)}"


def _decimals(series: pl.Series) -> int:
    """0 for integers and for floats that hold whole numbers only, else 1."""
    if series.dtype.is_integer():
        return 0
    values = series.drop_nulls().drop_nans() if series.dtype.is_float() else series.drop_nulls()
    if values.is_empty():
        return 0
    return 0 if bool((values == values.round(0)).all()) else 1


def _number_format_expr(col: str, decimals: int, lang: str) -> pl.Expr:
    return pl.col(col).map_elements(
        lambda v: fmt_number(v, lang, decimals), return_dtype=pl.String, skip_nulls=True
    )


def format_frame(df: pl.DataFrame, lang: str = "pl") -> pl.DataFrame:
    """A display copy of ``df``: numbers, dates and booleans as text in ``lang``, headers
    renamed to labels. Downloads use the raw frame, not this one."""
    yes, no = ("tak", "nie") if lang == "pl" else ("yes", "no")
    exprs: list[pl.Expr] = []
    for col, dtype in df.schema.items():
        if dtype == pl.Boolean:
            expr = pl.when(pl.col(col)).then(pl.lit(yes)).when(~pl.col(col)).then(pl.lit(no))
        elif dtype.is_numeric():
            expr = _number_format_expr(col, _decimals(df[col]), lang)
        elif dtype == pl.Date and (col == "month_start" or col.endswith("_month")):
            expr = pl.col(col).dt.strftime("%m.%Y" if lang == "pl" else "%Y-%m")
        elif dtype == pl.Date:
            expr = pl.col(col).dt.strftime("%d.%m.%Y" if lang == "pl" else "%Y-%m-%d")
        elif isinstance(dtype, pl.Datetime):
            expr = pl.col(col).dt.strftime("%d.%m.%Y %H:%M" if lang == "pl" else "%Y-%m-%d %H:%M")
        elif col in VALUES and dtype == pl.String:
            mapping = {k: v[0 if lang == "pl" else 1] for k, v in VALUES[col].items()}
            expr = pl.col(col).replace(mapping)
        else:
            expr = pl.col(col)
        exprs.append(expr.alias(column_label(col, lang)))
    # two columns may map to the same label (name_pl / name_en): keep the first
    seen: set[str] = set()
    unique: list[pl.Expr] = []
    for col, expr in zip(df.columns, exprs, strict=True):
        label = column_label(col, lang)
        n = 2
        while label in seen:
            label = f"{column_label(col, lang)} ({n})"
            n += 1
        expr = expr.alias(label)
        seen.add(label)
        unique.append(expr)
    return df.select(unique) if unique else df
