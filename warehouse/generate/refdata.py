"""Reference codes for the generator, read only through :mod:`warehouse.reference`.

Unit, topic, portal-area and service codes come from the seeds, so the generated files
always pass the loader's foreign-key checks.  The generator only hard-codes the *role* of a
few codes named in the ordinances (IT-02-3 first line; IT-02-4, IT-04-1, IT-04-2, IT-02-2
second line; DK-02 infoline; DK-03 electronic channels; IT-01-4 Smart City) and of a few
topics that carry a calendar signal (local_taxes, elections, snow_clearing, …); a role
whose code is missing from the seeds simply drops out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import polars as pl

from warehouse import reference

FIRST_LINE = "IT-02-3"
SECOND_LINE_APPS = "IT-02-4"
SECOND_LINE_INFRA = "IT-04-1"
SECOND_LINE_WORKSTATIONS = "IT-04-2"
SECOND_LINE_SECURITY = "IT-02-2"
SECOND_LINE = (SECOND_LINE_APPS, SECOND_LINE_INFRA, SECOND_LINE_WORKSTATIONS,
               SECOND_LINE_SECURITY)
INFOLINE = "DK-02"
ELECTRONIC_CHANNELS = "DK-03"
SMART_CITY = "IT-01-4"


@dataclass(frozen=True)
class Reference:
    units: pl.DataFrame  # unit_code, name_pl, department, unit_kind
    topics: pl.DataFrame  # topic_code, name_pl, topic_group, record_types, default_unit
    areas: pl.DataFrame  # area_code, portal
    services: pl.DataFrame  # the it_services contract columns

    @property
    def internal_units(self) -> list[str]:
        """City Hall departments and their units (they raise tickets, own content)."""
        return self.units.filter(pl.col("unit_kind").is_in(["department", "unit"]))[
            "unit_code"].to_list()

    @property
    def external_units(self) -> list[str]:
        """City units and municipal companies (they receive forwarded reports)."""
        return self.units.filter(pl.col("unit_kind").is_in(["company", "city_unit"]))[
            "unit_code"].to_list()

    @property
    def departments(self) -> list[str]:
        """Internal units outside COI and DK: the 'business' of the City Hall."""
        return self.units.filter(
            pl.col("unit_kind").is_in(["department", "unit"])
            & ~pl.col("department").is_in(["COI", "DK"])
        )["unit_code"].to_list()

    def has_unit(self, code: str) -> bool:
        return code in set(self.units["unit_code"].to_list())

    def topic_list(self) -> list[str]:
        return self.topics["topic_code"].to_list()


@cache
def load_reference() -> Reference:
    units = reference.load_seed("org_units").select(
        "unit_code", "name_pl", "department", "unit_kind").sort("unit_code")
    topics = reference.load_seed("kck_topics").select(
        "topic_code", "name_pl", "topic_group", "record_types", "default_unit"
    ).sort("topic_code")
    areas = reference.load_seed("portal_areas").select("area_code", "portal").sort("area_code")
    services = reference.default_it_services().sort("service_code")
    return Reference(units=units, topics=topics, areas=areas, services=services)
