"""Who the sites of world d are: names, division codes, levels, platform families, encodings and roles."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# (city code, city, [(county code, county)]): Sichuan divisions, real codes.
REGIONS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("510100", "成都市", [("510112", "龙泉驿区"), ("510113", "青白江区"), ("510115", "温江区")]),
    ("510300", "自贡市", [("510303", "贡井区"), ("510304", "大安区")]),
    ("510500", "泸州市", [("510503", "纳溪区"), ("510504", "龙马潭区")]),
    ("510600", "德阳市", [("510623", "中江县"), ("510682", "什邡市"), ("510683", "绵竹市")]),
    ("510700", "绵阳市", [("510726", "北川羌族自治县"), ("510781", "江油市")]),
    ("511100", "乐山市", [("511111", "沙湾区"), ("511112", "五通桥区"), ("511132", "峨边彝族自治县")]),
    ("511300", "南充市", [("511303", "高坪区"), ("511304", "嘉陵区"), ("511324", "仪陇县")]),
    ("511400", "眉山市", [("511403", "彭山区"), ("511421", "仁寿县")]),
    ("511500", "宜宾市", [("511504", "叙州区"), ("511525", "高县"), ("511527", "筠连县")]),
    ("511700", "达州市", [("511703", "达川区"), ("511781", "万源市")]),
    ("511800", "雅安市", [("511822", "荥经县"), ("511826", "芦山县")]),
    ("512000", "资阳市", [("512002", "雁江区"), ("512021", "安岳县")]),
    ("513300", "甘孜藏族自治州", [("513322", "泸定县"), ("513323", "丹巴县")]),
    ("513400", "凉山彝族自治州", [("513424", "德昌县"), ("513425", "会理市"), ("513427", "宁南县")]),
]
# (department, pinyin initials used in paths)
DEPARTMENTS: list[tuple[str, str]] = [
    ("发展和改革局", "fgj"),
    ("教育和体育局", "jtj"),
    ("公安局", "gaj"),
    ("司法局", "sfj"),
    ("财政局", "czj"),
    ("自然资源和规划局", "zrzyj"),
    ("生态环境局", "sthjj"),
    ("住房和城乡建设局", "zjj"),
    ("交通运输局", "jtysj"),
    ("水利局", "slj"),
    ("农业农村局", "nyncj"),
    ("商务局", "swj"),
    ("卫生健康局", "wjj"),
    ("退役军人事务局", "tyjrj"),
    ("应急管理局", "yjj"),
    ("审计局", "sjj"),
    ("市场监督管理局", "scjgj"),
    ("医疗保障局", "ybj"),
]
# kaipu: a 集约化 provincial platform (开普云/南威/拓尔思 new generation), /col/<name>/index.html;
# nanwei: lists loaded by script from a JSON API; trsgk: a portal on a 政府信息公开 platform.
FAMILIES = ["kaipu", "nanwei", "trsgk"]
_FAMILY_WEIGHTS = [45, 30, 25]
VARIANTS = 3
# encoding variant: utf8 (header and meta), utf8-meta (meta only), gb18030 (GB18030 bytes declared
# gb2312 in the meta only), utf8-bom (a BOM, then UTF-8; the whole nanwei family)
ENCODINGS = ["utf8", "utf8-meta", "gb18030", "utf8-bom"]
_ENCODING_WEIGHTS = {
    "kaipu": [70, 10, 20, 0],
    "nanwei": [0, 0, 0, 100],
    "trsgk": [45, 15, 40, 0],
}
ROLES = ("down", "slow", "zombie", "homestale")


@dataclass(slots=True)
class Identity:
    """One site of world d: what the registry says about it, plus its family and role."""

    index: int
    site_id: str
    name: str
    level: str
    region: str
    department: str
    ip: str
    down: bool
    slow: bool
    family: str
    variant: int
    encoding: str
    role: str
    place: str  # the county/city the site is about
    city_code: str
    dept_slug: str = ""
    faults: set[str] = field(default_factory=set)
    features: set[str] = field(default_factory=set)
    missing_marks: list[str] = field(default_factory=list)
    site_code_shown: str | None = None
    error_report: bool = True

    @property
    def portal(self) -> bool:
        return self.level in ("city", "county")


def short_name(place: str) -> str:
    """龙泉驿区 → 龙泉驿 (two-character names keep their suffix: 高县)."""
    return place[:-1] if len(place) > 2 else place


def families_for(sites: int, rng: random.Random) -> list[str]:
    """Every family at least twice when there is room (at random positions), the rest drawn with weights."""
    families = [rng.choices(FAMILIES, _FAMILY_WEIGHTS)[0] for _ in range(sites)]
    wanted = FAMILIES * 2 if sites >= 2 * len(FAMILIES) else FAMILIES
    positions = rng.sample(range(sites), min(sites, len(wanted)))
    order = wanted[:]
    rng.shuffle(order)
    for position, family in zip(positions, order, strict=False):
        families[position] = family
    return families


def make_identity(index: int, seed: int, ip: str, family: str) -> Identity:
    """Name, level and codes of site `index`."""
    rng = random.Random(f"worldd/{seed}/id/{index}")
    city_code, city, counties = REGIONS[rng.randrange(len(REGIONS))]
    county_code, county = counties[rng.randrange(len(counties))]
    dept, dept_slug = DEPARTMENTS[rng.randrange(len(DEPARTMENTS))]
    pick = rng.random()
    if family == "trsgk":
        level = "city" if pick < 0.35 else "county"
    else:
        level = "city" if pick < 0.15 else "county" if pick < 0.5 else "department"
    if level == "city":
        code, name, place, department = city_code, f"{city}人民政府", city, ""
    elif level == "county":
        code, name, place, department = county_code, f"{county}人民政府", county, ""
    elif rng.random() < 0.4:
        code, name, place, department = city_code, f"{city}{dept}", city, dept
    else:
        code, name, place, department = county_code, f"{county}{dept}", county, dept
    return Identity(
        index=index,
        site_id=f"{code}{index + 1:04d}",
        name=name,
        level=level,
        region=city,
        department=department,
        ip=ip,
        down=False,
        slow=False,
        family=family,
        variant=rng.randrange(VARIANTS),
        encoding=rng.choices(ENCODINGS, _ENCODING_WEIGHTS[family])[0],
        role="",
        place=place,
        city_code=city_code,
        dept_slug=dept_slug,
    )
