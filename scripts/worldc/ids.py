"""Who the sites of world c are: names, division codes, levels, CMS families and roles."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# (city code, city, [(county code, county)]): Sichuan divisions, real codes.
REGIONS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("510100", "成都市", [("510121", "金堂县"), ("510129", "大邑县"), ("510131", "蒲江县")]),
    ("510300", "自贡市", [("510321", "荣县"), ("510322", "富顺县")]),
    ("510400", "攀枝花市", [("510421", "米易县"), ("510422", "盐边县")]),
    (
        "510500",
        "泸州市",
        [("510521", "泸县"), ("510522", "合江县"), ("510524", "叙永县"), ("510525", "古蔺县")],
    ),
    (
        "510700",
        "绵阳市",
        [("510722", "三台县"), ("510723", "盐亭县"), ("510725", "梓潼县"), ("510727", "平武县")],
    ),
    (
        "510800",
        "广元市",
        [("510821", "旺苍县"), ("510822", "青川县"), ("510823", "剑阁县"), ("510824", "苍溪县")],
    ),
    ("510900", "遂宁市", [("510921", "蓬溪县"), ("510923", "大英县")]),
    ("511000", "内江市", [("511024", "威远县"), ("511025", "资中县")]),
    (
        "511100",
        "乐山市",
        [("511123", "犍为县"), ("511124", "井研县"), ("511126", "夹江县"), ("511129", "沐川县")],
    ),
    (
        "511300",
        "南充市",
        [("511321", "南部县"), ("511322", "营山县"), ("511323", "蓬安县"), ("511325", "西充县")],
    ),
    ("511400", "眉山市", [("511423", "洪雅县"), ("511424", "丹棱县"), ("511425", "青神县")]),
    (
        "511500",
        "宜宾市",
        [("511523", "江安县"), ("511524", "长宁县"), ("511526", "珙县"), ("511528", "兴文县")],
    ),
    ("511600", "广安市", [("511621", "岳池县"), ("511622", "武胜县"), ("511623", "邻水县")]),
    (
        "511700",
        "达州市",
        [("511722", "宣汉县"), ("511723", "开江县"), ("511724", "大竹县"), ("511725", "渠县")],
    ),
    (
        "511800",
        "雅安市",
        [("511823", "汉源县"), ("511824", "石棉县"), ("511825", "天全县"), ("511827", "宝兴县")],
    ),
    ("511900", "巴中市", [("511921", "通江县"), ("511922", "南江县"), ("511923", "平昌县")]),
    ("512000", "资阳市", [("512021", "安岳县"), ("512022", "乐至县")]),
]
# (department, pinyin initials used in 站群 paths)
DEPARTMENTS: list[tuple[str, str]] = [
    ("教育局", "jyj"),
    ("卫生健康局", "wjj"),
    ("自然资源局", "zrzyj"),
    ("生态环境局", "sthjj"),
    ("农业农村局", "nyncj"),
    ("住房和城乡建设局", "zjj"),
    ("交通运输局", "jtysj"),
    ("民政局", "mzj"),
    ("人力资源和社会保障局", "rsj"),
    ("市场监督管理局", "scjgj"),
    ("应急管理局", "yjglj"),
    ("文化广播电视和旅游局", "wgltj"),
    ("水利局", "slj"),
    ("财政局", "czj"),
    ("统计局", "tjj"),
]
FAMILIES = ["dede", "empire", "powereasy", "static", "zhanqun", "hdjl"]
_FAMILY_WEIGHTS = [24, 18, 18, 12, 16, 12]
VARIANTS = 3  # markup variants per family
ENCODINGS = [
    "utf8",
    "gb2312-meta",
    "gbk-none",
    "utf8-misspelled",
    "xml-prolog",
    "conflict-utf8",
    "conflict-gbk",
]
_ENCODING_WEIGHTS = {
    "dede": [30, 30, 5, 10, 0, 10, 15],
    "empire": [40, 25, 5, 10, 0, 15, 5],
    "powereasy": [10, 45, 20, 5, 5, 5, 10],
    "static": [5, 30, 35, 5, 20, 0, 5],
    "zhanqun": [70, 5, 0, 15, 0, 10, 0],
    "hdjl": [75, 0, 0, 15, 0, 10, 0],
}
ROLES = ("down", "slow", "zombie", "homestale")


@dataclass(slots=True)
class Identity:
    """One site of world c: what the registry says about it, plus its family and role."""

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
    place: str  # the county/city the site is about ("金堂县")
    dept_slug: str = ""
    faults: set[str] = field(default_factory=set)
    features: set[str] = field(default_factory=set)


def _short(place: str) -> str:
    """金堂县 → 金堂, 成都市 → 成都 (两字 names keep their suffix: 荣县, 珙县, 渠县)."""
    return place[:-1] if len(place) > 2 else place


def short_name(place: str) -> str:
    return _short(place)


def families_for(sites: int, rng: random.Random) -> list[str]:
    """Every family once (at random positions), the rest drawn with weights."""
    families = [rng.choices(FAMILIES, _FAMILY_WEIGHTS)[0] for _ in range(sites)]
    positions = rng.sample(range(sites), min(sites, len(FAMILIES)))
    order = FAMILIES[:]
    rng.shuffle(order)
    for position, family in zip(positions, order, strict=False):
        families[position] = family
    return families


def make_identity(index: int, seed: int, ip: str, family: str) -> Identity:
    """Name, level and codes of site `index`; the family decides what kind of body runs it."""
    rng = random.Random(f"worldc/{seed}/id/{index}")
    city_code, city, counties = REGIONS[rng.randrange(len(REGIONS))]
    county_code, county = counties[rng.randrange(len(counties))]
    dept, dept_slug = DEPARTMENTS[rng.randrange(len(DEPARTMENTS))]
    pick = rng.random()
    if family == "zhanqun":  # department sites on a government site cluster
        level = "department"
    elif family == "hdjl":  # a county or city portal with its 互动交流 platform
        level = "city" if pick < 0.3 else "county"
    else:
        level = "city" if pick < 0.15 else "county" if pick < 0.6 else "department"
    city_dept = rng.random() < 0.4
    if level == "city":
        code, name, place, department = city_code, f"{city}人民政府", city, ""
    elif level == "county":
        code, name, place, department = county_code, f"{county}人民政府", county, ""
    elif city_dept:
        code, name, place, department = city_code, f"{city}{dept}", city, dept
    else:
        code, name, place, department = county_code, f"{county}{dept}", county, dept
    variant = rng.randrange(VARIANTS)
    encoding = rng.choices(ENCODINGS, _ENCODING_WEIGHTS[family])[0]
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
        variant=variant,
        encoding=encoding,
        role="",
        place=place,
        dept_slug=dept_slug,
    )
