"""China's administrative divisions (province / city / district) from cpca's adcodes.csv.

cpca ships adcode, name and coordinates for ~3,200 divisions as of about 2017. We add the hierarchy,
short names (浙江, 杭州, 萧山), former names, the divisions changed since, up to the 2023 division
codes (``data/region_changes.csv``: new, renamed, merged and moved), and great-circle distances.
The generator and the address parser share this one module.
"""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

PROVINCE, CITY, DISTRICT = 0, 1, 2
PLACEHOLDERS = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})
EXCLUDED_PROVINCES = frozenset({"710000", "810000", "820000"})  # no mainland adcode hierarchy
# county-level units people write without their prefecture: 县 (自治县), 旗 (自治旗) and
# county-level cities 市 (桐庐县, 土默特左旗, 昆山市); an urban district 区 is written with its city
COUNTY_SUFFIXES = ("县", "旗", "市")

_SUFFIXES = {
    PROVINCE: re.compile(r"(自治区|特别行政区|省|市)$"),
    CITY: re.compile(r"(自治州|地区|盟|市)$"),
    DISTRICT: re.compile(r"(自治县|自治旗|新区|林区|特区|区|县|市|旗)$"),
}


@dataclass(frozen=True)
class Region:
    """One division. ``adcode`` is the 6-digit code; ``parent`` the next level up (or None)."""

    adcode: str
    name: str
    level: int
    parent: str | None
    lon: float
    lat: float
    short: str
    former: tuple[str, ...] = ()


def _cpca_file(name: str) -> Path:
    """One of cpca's data files, found without importing cpca: its import builds a matcher we do
    not use (and imports pkg_resources, which recent setuptools no longer has)."""
    spec = find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("cpca is not installed: its adcodes are the gazetteer")
    return Path(spec.submodule_search_locations[0]) / "resources" / name


@lru_cache(maxsize=1)
def _nations() -> tuple[str, ...]:
    """The 56 ethnic group names (壮族, 朝鲜族 …), longest first, for stripping 自治 names."""
    path = _cpca_file("56_nations.csv")
    with path.open(encoding="utf-8") as fh:
        names = [line.strip().split(",")[0] for line in fh if line.strip()]
    return tuple(sorted((n for n in names if n.endswith("族")), key=len, reverse=True))


def short_name(name: str, level: int) -> str:
    """Name without its suffix (浙江省→浙江, 延边朝鲜族自治州→延边); keeps ≥ 2 characters."""
    stripped = _SUFFIXES[level].sub("", name)
    changed = True
    while changed and "自治" in name:
        changed = False
        for nation in _nations():
            if stripped.endswith(nation) and len(stripped) > len(nation):
                stripped, changed = stripped[: -len(nation)], True
                break
    return stripped if len(stripped) >= 2 else name


def is_full_name(name: str) -> bool:
    """Whether ``name`` ends with a division's suffix (浙江省, 西湖区, 和县, 临高县 where a picker
    puts it at the city level), as a standard name does and a name written short (浙江, 杭州)
    does not."""
    return any(suffix.search(name) for suffix in _SUFFIXES.values())


def _level(code: str) -> int:
    if code.endswith("0000"):
        return PROVINCE
    return CITY if code.endswith("00") else DISTRICT


@dataclass
class Gazetteer:
    """Lookups over the division tree. Build once with :func:`load_gazetteer`."""

    regions: dict[str, Region]
    children: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_name: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_short: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_former: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    retired: dict[str, str] = field(default_factory=dict)  # replaced adcode → its successor

    def __post_init__(self) -> None:
        retired = {old: self.regions[new] for old, new in self.retired.items()}
        self._index = retired | self.regions  # one lookup on the hot path
        for code, region in self.regions.items():
            if region.parent:
                self.children[region.parent].append(code)
            self.by_name[region.name].append(code)
            if region.short != region.name:
                self.by_short[region.short].append(code)
            for old in region.former:
                self.by_former[old].append(code)

    def __getitem__(self, adcode: str) -> Region:
        """Old data keeps replaced codes (海门市 320684): they resolve to their successor."""
        return self._index[adcode[:6]]

    def lookup(self, name: str) -> list[Region]:
        """Regions whose full name, short name or former name is ``name`` (exact match)."""
        codes = self.by_name.get(name, []) + self.by_short.get(name, [])
        codes += self.by_former.get(name, [])
        return [self.regions[c] for c in dict.fromkeys(codes)]

    def chain(self, adcode: str) -> list[Region]:
        """Province → city → district for ``adcode`` (as deep as the code goes)."""
        out: list[Region] = []
        code: str | None = self[adcode].adcode
        while code:
            region = self.regions[code]
            out.append(region)
            code = region.parent
        return out[::-1]

    def names(self, adcode: str) -> tuple[str | None, str | None, str | None]:
        """Standard (province, city, district) names; municipalities repeat the province as city."""
        levels: dict[int, str] = {r.level: r.name for r in self.chain(adcode)}
        if DISTRICT in levels and CITY not in levels:  # 省直辖县级市 (潜江市) acts as its own city
            levels[CITY] = levels[DISTRICT]
        return levels.get(PROVINCE), levels.get(CITY), levels.get(DISTRICT)

    def former_prefectures(self) -> dict[str, frozenset[str]]:
        """A county moved to another prefecture → the region its old prefecture is now: old
        addresses still write that prefecture above it (吉林省四平市公主岭市, 安徽省巢湖市庐江县,
        山东省莱芜市钢城区, whose 莱芜市 is now 莱芜区)."""
        out: dict[str, set[str]] = defaultdict(set)
        for old, new in self.retired.items():
            prefecture = old[:4] + "00"
            if _level(old) == DISTRICT and prefecture in self._index:
                now = self._index[prefecture].adcode
                if not self.contains(now, new):
                    out[new].add(now)
        return {code: frozenset(codes) for code, codes in out.items()}

    def contains(self, ancestor: str, adcode: str) -> bool:
        return any(r.adcode == ancestor for r in self.chain(adcode))

    def of_level(self, level: int) -> list[Region]:
        return [r for r in self.regions.values() if r.level == level]

    def distance_km(self, a: str, b: str) -> float:
        """Great-circle distance between two divisions' coordinates."""
        return haversine_km(self[a].lon, self[a].lat, self[b].lon, self[b].lat)


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def _cpca_rows() -> list[dict[str, str]]:
    path = _cpca_file("adcodes.csv")
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _change_rows() -> list[dict[str, str]]:
    path = Path(__file__).parent / "data" / "region_changes.csv"
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _parent_of(code: str, codes: set[str]) -> str | None:
    """Nearest existing ancestor; placeholder cities (市辖区 …) are skipped to the province."""
    level = _level(code)
    if level == PROVINCE:
        return None
    if level == DISTRICT and code[:4] + "00" in codes:
        return code[:4] + "00"
    return code[:2] + "0000"


def build_regions(
    cpca_rows: list[dict[str, str]], changes: list[dict[str, str]]
) -> dict[str, Region]:
    """Pure construction of the region table from cpca rows plus our change table."""
    raw: dict[str, tuple[str, float, float]] = {}
    for row in cpca_rows:
        code, name = row["adcode"][:6], row["name"]
        if code[:2] + "0000" in EXCLUDED_PROVINCES or not row["longitude"]:
            continue
        raw[code] = (name, float(row["longitude"]), float(row["latitude"]))
    former: dict[str, tuple[str, ...]] = {}
    for row in changes:
        for old in row["replaces"].split("|"):
            raw.pop(old, None)
        raw[row["adcode"]] = (row["name"], float(row["lon"]), float(row["lat"]))
        former[row["adcode"]] = tuple(n for n in row["former_names"].split("|") if n)
    # municipality city level: replace placeholder "市辖区"/"县" by the municipality itself
    for muni in MUNICIPALITIES:
        name, lon, lat = raw[muni]
        raw[muni[:2] + "0100"] = (name, lon, lat)
        raw.pop(muni[:2] + "0200", None)
    for code in [c for c, (n, _, _) in raw.items() if n in PLACEHOLDERS]:
        del raw[code]
    codes = set(raw)
    regions: dict[str, Region] = {}
    for code, (name, lon, lat) in raw.items():
        level = _level(code)
        parent = _parent_of(code, codes)
        if code[:2] in {m[:2] for m in MUNICIPALITIES} and level == DISTRICT:
            parent = code[:2] + "0100"
        regions[code] = Region(
            code, name, level, parent, lon, lat, short_name(name, level), former.get(code, ())
        )
    return regions


@lru_cache(maxsize=1)
def city_facts() -> dict[str, tuple[float, str]]:
    """City adcode → (population in 10k, landline area code) for ~70 big cities: the prior for
    an ambiguous name (河东区 → 天津 before 临沂) and the clue in a landline (022 → 天津)."""
    path = Path(__file__).parent / "data" / "city_facts.csv"
    with path.open(encoding="utf-8") as fh:
        return {
            r["adcode"]: (float(r["population_10k"]), r["area_code"]) for r in csv.DictReader(fh)
        }


@dataclass(frozen=True)
class Zone:
    """A functional zone (经开区, 高新区, 工业园区, 新区 …): written where the district goes, with
    no adcode of its own. ``name`` is the form written after the city (苏州 + 工业园区)."""

    city: str
    name: str
    full_name: str
    host: str  # the official district holding most of it ("" for a zone of whole counties)


@lru_cache(maxsize=1)
def functional_zones() -> dict[str, tuple[Zone, ...]]:
    """Host district adcode → the zones in it, from ``data/functional_zones.csv``."""
    path = Path(__file__).parent / "data" / "functional_zones.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    out: dict[str, list[Zone]] = defaultdict(list)
    for r in rows:
        zone = Zone(r["city_adcode"], r["zone"], r["full_name"], r["host_adcode"])
        out[zone.host].append(zone)
    return {host: tuple(zones) for host, zones in out.items()}


@dataclass(frozen=True)
class OutsidePlace:
    """A place in Hong Kong, Macao or Taiwan (``data/outside_mainland.csv``): the mainland
    gazetteer has only their province codes. ``district`` is "" for a Taiwanese city or county,
    whose districts the parser reads by their suffix."""

    province_adcode: str
    province: str
    city: str
    district: str
    forms: tuple[str, ...]  # the other ways people write it (中环, 尖沙咀, 氹仔, 台北)
    latin: tuple[str, ...]  # its names in English (Tsim Sha Tsui, Taipei)


@lru_cache(maxsize=1)
def outside_mainland() -> tuple[OutsidePlace, ...]:
    """The places of ``data/outside_mainland.csv``, in file order."""
    path = Path(__file__).parent / "data" / "outside_mainland.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    return tuple(
        OutsidePlace(
            r["province_adcode"],
            r["province"],
            r["city"],
            r["district"],
            tuple(f for f in r["forms"].split("|") if f),
            tuple(f for f in r["latin"].split("|") if f),
        )
        for r in rows
    )


@lru_cache(maxsize=1)
def towns() -> dict[str, tuple[str, ...]]:
    """Town name (观海卫镇, 仓前街道) → the counties holding a town of that name, from
    ``data/towns.csv``: most names are one county's, some many's (城关镇: 88). A county whose
    code was replaced since counts as its successor; one the gazetteer lacks is left out."""
    gaz = load_gazetteer()
    path = Path(__file__).parent / "data" / "towns.csv"
    out: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(line for line in fh if not line.startswith("#")):
            try:
                county = gaz[r["county"]].adcode
            except KeyError:
                continue
            out[r["name"]].add(county)
    return {name: tuple(sorted(counties)) for name, counties in out.items()}


@lru_cache(maxsize=1)
def county_towns() -> dict[str, tuple[str, ...]]:
    """County adcode → the names of its towns (:func:`towns` the other way round)."""
    out: dict[str, list[str]] = defaultdict(list)
    for name, counties in towns().items():
        for county in counties:
            out[county].append(name)
    return {county: tuple(sorted(names)) for county, names in out.items()}


@lru_cache(maxsize=1)
def moved_towns() -> dict[str, tuple[tuple[str, str], ...]]:
    """County adcode → (town, county) for each of its towns moved to another county of its city,
    which people keep writing under it (余杭区 → (乔司街道, 临平区)), from
    ``data/moved_towns.csv``; a county merged away since counts as its successor (江干区's
    下沙街道 is written under 江干区, read as 上城区)."""
    gaz = load_gazetteer()
    path = Path(__file__).parent / "data" / "moved_towns.csv"
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(line for line in fh if not line.startswith("#")):
            out[gaz[r["from_county"]].adcode].append((r["town"], gaz[r["county"]].adcode))
    return {county: tuple(moved) for county, moved in out.items()}


def retired_codes(changes: list[dict[str, str]]) -> dict[str, str]:
    """Replaced adcode → the adcode that replaced it, from the change table."""
    return {old: row["adcode"] for row in changes for old in row["replaces"].split("|") if old}


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The process-wide gazetteer (read-only, built once)."""
    changes = _change_rows()
    return Gazetteer(build_regions(_cpca_rows(), changes), retired=retired_codes(changes))


@lru_cache(maxsize=8192)
def coords(adcode: str) -> tuple[float, float]:
    """(lon, lat) of a division, trying district, then city, then province codes; NaN if none."""
    regions = load_gazetteer().regions
    for code in (adcode[:6], adcode[:4] + "00", adcode[:2] + "0000"):
        if code in regions:
            return regions[code].lon, regions[code].lat
    return math.nan, math.nan
