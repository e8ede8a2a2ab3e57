"""Who receives a notice, from residents' preferences (配信設定) and the notice's target.

Rules:
- only followers who currently follow (blocked/unfollowed residents never receive anything);
- a normal notice reaches residents subscribed to its topic (no preference yet = every topic), and,
  when the target names districts, only residents who chose one of them;
- an emergency notice ignores topic opt-outs; with districts, it also reaches residents who never
  chose a district (誰一人取り残さない: better one notice too many than a missed evacuation order).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Follower


@dataclass(frozen=True)
class Target:
    topic: str
    emergency: bool
    districts: tuple[str, ...] = ()

    @classmethod
    def of(cls, notice) -> Target:  # type: ignore[no-untyped-def]
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


def recipients(session: Session, municipality_id: int, target: Target) -> list[str]:
    rows = session.execute(
        select(Follower.line_user_id, Follower.topics, Follower.district)
        .where(Follower.municipality_id == municipality_id, Follower.status == "following")
        .order_by(Follower.id)
    )
    return [user for user, topics, district in rows if wants(topics, district, target)]


def follower_count(session: Session, municipality_id: int) -> int:
    return session.scalar(select(func.count(Follower.id)).where(
        Follower.municipality_id == municipality_id, Follower.status == "following")) or 0


def chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
