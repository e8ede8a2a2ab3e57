"""Finding places: nearest by great-circle distance, shelter status, suitability for a disaster type."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.timeutil import utcnow
from directory.models import Place

SHELTER_STATUSES = ("open", "closed", "full")
STATUS_JA = {"open": "開設中", "closed": "未開設", "full": "満員"}
# Names staff use for disaster types (machimado disaster on --type …) → shelter flag keys.
DISASTER_TYPES = {"洪水": "flood", "土砂災害": "landslide", "崖崩れ": "landslide", "高潮": "storm_surge",
                  "地震": "earthquake", "津波": "tsunami", "火事": "fire", "大規模な火事": "fire",
                  "内水氾濫": "inland_flood", "火山": "volcano"}


@dataclass(frozen=True)
class Nearby:
    place: Place
    distance_m: float
    suitable: bool  # for the current disaster type (True when no type is set)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.place.id, "name": self.place.name, "lat": self.place.lat, "lon": self.place.lon,
                "distance_m": round(self.distance_m), "status": self.place.status,
                "address": self.place.address}


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def suitable(place: Place, disaster_type: str) -> bool:
    key = DISASTER_TYPES.get(disaster_type, disaster_type)
    if not key:
        return True
    return (place.attributes or {}).get("disasters", {}).get(key) in ("yes", "conditional")


def nearest(session: Session, municipality_id: int, kind: str, lat: float, lon: float, limit: int = 5,
            open_only: bool = False, disaster_type: str = "") -> list[Nearby]:
    """Closest places of ``kind``; for shelters, suitable ones (for ``disaster_type``) come first."""
    query = select(Place).where(Place.municipality_id == municipality_id, Place.kind == kind,
                                Place.lat.is_not(None), Place.lon.is_not(None))
    if open_only:
        query = query.where(Place.status == "open")
    found = [Nearby(p, distance_m(lat, lon, p.lat, p.lon), suitable(p, disaster_type))
             for p in session.scalars(query) if p.lat is not None and p.lon is not None]
    found.sort(key=lambda n: (not n.suitable, n.distance_m))
    return found[:limit]


def find_place(session: Session, municipality_id: int, kind: str, ref: str) -> list[Place]:
    """By database id, the file's ID (key), exact name, or partial name/reading."""
    query = select(Place).where(Place.municipality_id == municipality_id, Place.kind == kind)
    if ref.isdigit():
        hit = session.scalar(query.where(Place.id == int(ref)))
        if hit:
            return [hit]
    exact = list(session.scalars(query.where(or_(Place.name == ref, Place.key == ref))))
    if exact:
        return exact
    return list(session.scalars(query.where(or_(Place.name.contains(ref), Place.kana.contains(ref))).limit(10)))


def set_status(place: Place, status: str) -> None:
    if status not in SHELTER_STATUSES:
        raise ValueError(f"status must be one of {', '.join(SHELTER_STATUSES)}")
    place.status = status
    place.status_updated_at = utcnow()


def active_shelters(session: Session, municipality_id: int) -> list[Place]:
    """Shelters a disaster set to open or full (満員): what ending the disaster closes."""
    return list(session.scalars(select(Place).where(Place.municipality_id == municipality_id,
                                                    Place.kind == "shelters", Place.status.in_(("open", "full")))
                                .order_by(Place.name)))


def open_shelters(session: Session, municipality_id: int) -> list[Place]:
    return list(session.scalars(select(Place).where(Place.municipality_id == municipality_id,
                                                    Place.kind == "shelters", Place.status == "open")
                                .order_by(Place.name)))
