"""The report categories a municipality starts with (staff rename them, change the division or add others in the
console). Codes are the Open311 ``service_code``s; keywords are what residents type (「道路に穴があいてる」).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.models import ReportCategory

DEFAULTS: list[dict[str, Any]] = [
    {"code": "road", "name": "道路の穴・破損", "division": "建設課", "keywords": [
        "道路", "道", "穴", "陥没", "段差", "ひび", "舗装", "路面", "側溝", "ガードレール", "歩道", "マンホール"],
     "names": {"ja-easy": "道の あな・こわれ", "en": "Road damage / pothole", "zh-Hans": "道路破损・坑洞",
               "zh-Hant": "道路破損・坑洞", "ko": "도로 파손・구멍", "vi": "Đường hư hỏng / ổ gà",
               "pt": "Buraco / dano na rua", "tl": "Sira / butas sa kalsada", "ne": "सडक बिग्रेको / खाल्डो",
               "id": "Jalan rusak / berlubang"}},
    {"code": "streetlight", "name": "街灯の故障", "division": "建設課", "keywords": [
        "街灯", "防犯灯", "外灯", "電灯", "照明", "街路灯", "ライト", "明かり"],
     "names": {"ja-easy": "外の でんき（がいとう）", "en": "Broken streetlight", "zh-Hans": "路灯故障",
               "zh-Hant": "路燈故障", "ko": "가로등 고장", "vi": "Đèn đường hỏng", "pt": "Poste de luz apagado",
               "tl": "Sirang ilaw sa kalye", "ne": "सडक बत्ती बिग्रेको", "id": "Lampu jalan rusak"}},
    {"code": "dumping", "name": "不法投棄", "division": "環境課", "keywords": [
        "不法投棄", "ポイ捨て", "捨てられ", "放置", "投棄", "粗大ごみが", "ゴミが捨て", "ごみが捨て"],
     "names": {"ja-easy": "すてては いけない ごみ", "en": "Illegal dumping", "zh-Hans": "非法丢弃垃圾",
               "zh-Hant": "非法棄置垃圾", "ko": "불법 투기", "vi": "Vứt rác trái phép", "pt": "Descarte ilegal de lixo",
               "tl": "Iligal na pagtatapon ng basura", "ne": "अवैध फोहोर फाल्ने", "id": "Pembuangan sampah liar"}},
    {"code": "playground", "name": "公園の遊具", "division": "都市計画課", "keywords": [
        "遊具", "公園", "ブランコ", "すべり台", "滑り台", "ジャングルジム", "ベンチ", "砂場"],
     "names": {"ja-easy": "こうえんの あそぶ もの", "en": "Park playground equipment", "zh-Hans": "公园游乐设施",
               "zh-Hant": "公園遊樂設施", "ko": "공원 놀이기구", "vi": "Đồ chơi trong công viên",
               "pt": "Brinquedos do parque", "tl": "Palaruan sa parke", "ne": "पार्कका खेल सामग्री",
               "id": "Permainan di taman"}},
    {"code": "mirror", "name": "カーブミラー", "division": "建設課", "keywords": ["カーブミラー", "ミラー", "反射鏡"],
     "names": {"ja-easy": "カーブミラー（道の かがみ）", "en": "Traffic mirror", "zh-Hans": "道路反光镜",
               "zh-Hant": "道路反射鏡", "ko": "도로 반사경", "vi": "Gương cầu lồi", "pt": "Espelho de curva",
               "tl": "Salamin sa kanto", "ne": "मोडको ऐना", "id": "Cermin tikungan"}},
    {"code": "other", "name": "その他", "division": "総務課", "keywords": [],
     "names": {"ja-easy": "ほかの こと", "en": "Other", "zh-Hans": "其他", "zh-Hant": "其他", "ko": "기타", "vi": "Khác",
               "pt": "Outro", "tl": "Iba pa", "ne": "अन्य", "id": "Lainnya"}},
]


def ensure_categories(session: Session, municipality_id: int) -> int:
    """Give a municipality without categories the defaults; returns how many were added (0 when it has some)."""
    if session.scalar(select(ReportCategory.id).where(ReportCategory.municipality_id == municipality_id).limit(1)):
        return 0
    for position, item in enumerate(DEFAULTS):
        session.add(ReportCategory(municipality_id=municipality_id, position=position, **item))
    session.flush()
    return len(DEFAULTS)
