"""Who receives a notice, from residents' preferences (配信設定) and the notice's target.

Rules:
- only followers who currently follow (blocked/unfollowed residents never receive anything);
- a normal notice reaches residents subscribed to its topic (no preference yet = every topic), and,
  when the target names districts, only residents who chose one of them;
- an emergency notice ignores topic opt-outs; with districts, it also reaches residents who never
  chose a district (誰一人取り残さない: better one notice too many than a missed evacuation order).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Text, and_, cast, func, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from broadcasts.models import Notice
from core.models import Follower


@dataclass(frozen=True)
class Target:
    topic: str
    emergency: bool
    districts: tuple[str, ...] = ()

    @classmethod
    def of(cls, notice: Notice) -> Target:
        return cls(notice.category, notice.emergency, tuple((notice.target or {}).get("districts") or ()))


def wants(topics: list[str] | None, district: str | None, target: Target) -> bool:
    if target.districts:
        if district is None and not target.emergency:
            return False
        if district is not None and district not in target.districts:
            return False
    if target.emergency:
        return True
    return topics is None or target.topic in topics


def _topic_condition(dialect: str, topic: str) -> ColumnElement[bool]:
    """SQL for "no topic preference, or subscribed to ``topic``" on the JSON ``topics`` column.

    The column holds ``json.dumps()`` output (SQLAlchemy's serializer; PostgreSQL's ``json`` type keeps
    the text as written) and a topic is a plain JSON string, so searching its exact serialized form is
    precise — and several times faster on 100k followers than json_each()/jsonb operators.
    """
    raw = cast(Follower.topics, Text)
    position = func.strpos if dialect == "postgresql" else func.instr
    return or_(Follower.topics.is_(None), raw == "null", position(raw, json.dumps(topic)) > 0)


def audience_condition(dialect: str, target: Target) -> ColumnElement[bool]:
    """The rules of :func:`wants` as one SQL condition (filtering 100k followers in the database)."""
    conditions = []
    if target.districts:
        in_district = Follower.district.in_(target.districts)
        conditions.append(or_(in_district, Follower.district.is_(None)) if target.emergency else in_district)
    if not target.emergency:
        conditions.append(_topic_condition(dialect, target.topic))
    return and_(true(), *conditions)


def recipients(session: Session, municipality_id: int, target: Target) -> list[str]:
    dialect = session.get_bind().dialect.name
    query = select(Follower.line_user_id).where(Follower.municipality_id == municipality_id,
                                                Follower.status == "following")
    if dialect in ("sqlite", "postgresql"):
        return list(session.scalars(query.where(audience_condition(dialect, target)).order_by(Follower.id)))
    rows = session.execute(select(Follower.line_user_id, Follower.topics, Follower.district)
                           .where(Follower.municipality_id == municipality_id, Follower.status == "following")
                           .order_by(Follower.id))
    return [user for user, topics, district in rows if wants(topics, district, target)]


def follower_count(session: Session, municipality_id: int) -> int:
    return session.scalar(select(func.count(Follower.id)).where(
        Follower.municipality_id == municipality_id, Follower.status == "following")) or 0


def chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
