"""Text clean-up before region matching: noise, pasted receiver name / phone, separators.

Order addresses arrive with whatever the buyer typed: "张三 13800138000 浙江省-杭州市_西湖区
(电联)文三路90号". The parser scans a *compact* copy (separators removed) and keeps a map back
to the original so the detail is cut from the text the buyer wrote, separators and all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate, chain

__all__ = [
    "SEPARATORS",
    "SEPARATOR_CHARS",
    "TRAILING_PUNCTUATION",
    "CleanText",
    "clean_text",
    "drop_trailing_name",
    "main_number",
    "phone_correction",
    "phone_kind",
    "valid_phone",
]

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# platforms mask the middle and keep the length: 138****8000, 0571****8888
_MASKED = re.compile(r"^(1[3-9]\d\*{4}\d{4}|0\d{2,3}-?\*{3,6}\d{4})$")
_PHONE_SPACING = re.compile(r"[\s()（）]")
_PHONE_PREFIX = re.compile(r"^(\+?86-?|0086-?)")
# a label some exports keep in the phone field (手机：138…, 联系电话:0571-…, Tel: …)
_PHONE_LABEL = re.compile(
    r"^(?:手机号?码?|联系电话|联系方式|移动电话|电话|座机|tel|mobile|phone)[:：]?", re.IGNORECASE
)
_MORE_NUMBERS = re.compile(r"\s*[,，/;；、]\s*(?=\+?\d)")  # a second number after the first
_MOBILE_START = re.compile(r"1[3-9]\d")
_GROUPED_MOBILE = re.compile(r"^1[3-9]\d-\d{4}-\d{4}$")
# (an extension after a comma is split off as a second number by _MORE_NUMBERS first)
_RELAYED_MOBILE = re.compile(r"^(1[3-9]\d{9}|1[3-9]\d\*{4}\d{4})(?:[-_#转]|ext\.?)\d{1,6}$")
# area code, a local number of 7 or 8 digits (written whole or 6512-3456) and an extension
# (-8001, 转8001, #8001, ext 8001: a company's switchboard)
_LANDLINE = re.compile(r"^0\d{2,3}-?[1-9]\d{2,3}-?\d{4}(?:(?:-|转|#|ext\.?)\d{1,5})?$")
_PHONE_IN_TEXT = re.compile(
    r"(?<![\d*])(?:\+?86[-\s]?)?"
    r"(1[3-9]\d{9}|1[3-9]\d[-\s]\d{4}[-\s]\d{4}|1[3-9]\d\*{4}\d{4}|0\d{2,3}-[1-9]\d{6,7})(?![\d*])"
)
_NOISE_IN_BRACKETS = re.compile(r"[(（\[【{<《]([^)）\]】}>》]{0,20})[)）\]】}>》]")
_NOISE_WORDS = re.compile(
    r"电联|电话|联系|致电|送货|送到|放门|门卫|快递|代收|驿站|丰巢|工作日|周末|勿|请|先生|女士|小姐|收$"
)
# field labels, the placeholder levels region pickers export (北京市市辖区朝阳区,
# 河南省省直辖县级行政区划济源市, 怀化市其他区靖州县) and empty fields written out
_LABELS = re.compile(
    r"(邮编|邮政编码)[:：]?\s*\d{6}|"
    r"(收货人|收件人|联系人|姓名|身份证号码|身份证号|身份证|联系电话|手机号码|手机号|手机|电话|详细地址"
    r"|收货地址|所在地区|地址)[:：]?"
    r"|(省|自治区)?直辖县(级(行政区划|行政单位)?)?|市辖区|其[他它]区(?!域)"
    # the value a program writes for a field it did not have (台州市null浙江省台州市椒江区…)
    r"|(?<![A-Za-z])(null|NULL|Null|None|undefined)(?![A-Za-z])"
)
# the pickers' 县 level of a municipality's counties (重庆市 县 城口县, 重庆市县酉阳土家族苗族
# 自治县), not 县城 (the county town) unless it is 城口县
_COUNTY_PLACEHOLDER = re.compile(
    r"((?:北京|天津|重庆)市)[\s,，/-]*县(?!城(?!口))(?=[\s,，/-]*[\u4e00-\u9fff]{1,14}?县)"
)
# the city level some map services export for a municipality (北京市 北京城区 朝阳区,
# 重庆市 重庆郊县 城口县): no region of its own, read as the municipality
_MUNICIPALITY_PART = re.compile(r"(北京|天津|上海|重庆)(?:城区|郊县)")
_COUNTRY = re.compile(r"^(中华人民共和国|中国大陆|中国)")
# a postcode standing alone (…十三号楼, 011500 / …5楼 200010 柚子), as exports and pasted contact
# cards append it; six digits glued to a word (100001室, 路123456号) are part of the address
_POSTCODE = re.compile(r"(?<![\w*-])[0-8]\d{5}(?![\w*-])")
# a resident ID number pasted with the contact card (…高新大都荟 刘国良 1359… 211381198512096810):
# never part of an address, and not to be kept in it. Sought only where 17 digits run (a pattern
# that starts with a digit class scans fast; the lookbehind would not)
_ID_NUMBER = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
_DIGIT_RUN = re.compile(r"\d{17}")
_WHITESPACE = re.compile(r"\s+")
# emoji and pictographs buyers type into an address (…100号😊, 🏠 送到家): no part of a place
_PICTOGRAPHS = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d]+")
SEPARATORS = frozenset(" \t\r\n-_—–~,，、/\\|;；:：.。·#＃'\"“”‘’()（）[]【】{}<>《》+*")
SEPARATOR_CHARS = "".join(sorted(SEPARATORS))  # for str.strip, joined once
_KEPT_RUN = re.compile(f"[^{re.escape(SEPARATOR_CHARS)}]+")
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔向汤欧常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申耿关兰焦俞左柳"
    "甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解"
    "牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边"
    "卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
    # the rarer of 百家姓 (计, 宓, 竺, 逄 …), less those an address ends in or writes as a place
    # (东, 都, 丰 …) or a shop is named with (沃尔玛)
    "阎溥苍昌利惠计勾宓竺逄禹劳山钮郜暨井邰乐殳越茹郗干羊昝那权容仰奚酆廉伏茅狄贝谈傅皮湛危支经裘贲郁嵇滑荀"
    "於芮羿储汲邴糜隗蓬班秋伊暴钭厉戎祖束幸韶蓟薄印宿怀从鄂索咸籍赖蔺屠阴胥莘扶堵宰郦雍却璩"
    "濮寿扈燕冀郏充慕习宦鱼慎戈庾终衡步耿满弘匡阙蔚夔隆厍晁融訾阚毋乜养鞠须蒯逯盖益桓"
)
# two-character surnames (欧阳, 诸葛, 尉迟 …): the name after one is one or two characters
_COMPOUND_SURNAMES = frozenset(
    row[i : i + 2]
    for row in (
        "万俟司马上官欧阳夏侯诸葛闻人东方赫连皇甫尉迟公羊澹台公冶宗政濮阳淳于单于太叔申屠公孙仲孙轩辕",
        "令狐钟离宇文长孙慕容鲜于闾丘司徒司空亓官司寇子车颛孙端木巫马公西漆雕乐正壤驷公良拓跋夹谷",
        "宰父谷梁段干百里东郭呼延归海羊舌微生梁丘左丘第五",
    )
    for i in range(0, len(row), 2)
)
# last characters of places, not of given names: a region (辽宁省,沈阳市,康平县) or a village,
# street, building or estate written on its own after a space (陈埭镇 江头村, 东闾乡 张庄, 三墩镇
# 金家坊, 陆良县 华城金都)
_PLACE_ENDINGS = frozenset(
    "省市区县旗盟州村镇乡屯寨庄湾坊坪坝沟营堡岭桥铺集港岗洼塘畈垸嘴峪窑滩路街道巷弄号楼栋幢室组厂站店院馆场"
    "城府邸都岛郡墅汇荟"
)
_TRAILING_NAME = re.compile(r"[\s,，;；.。、]+([\u4e00-\u9fff]{2,4})(先生|女士|小姐)?\s*$")
# the receiver's name in a contact card pasted whole: Han characters before a phone, cut to
# _PHONE_MARK, or before the text's end, marked _END_MARK
_PHONE_MARK, _END_MARK = "\x00", "\x01"
_HAN_BEFORE_MARK = re.compile(r"[\u4e00-\u9fff]{2,4}(?=[\s,，;；.。、]*([\x00\x01]))")
# what a name holds none of: a place's last character, or a word saying where (…路口, 西侧, 对面)
_NOT_IN_NAME = _PLACE_ENDINGS | frozenset("侧旁边角口门面内外里处近附对米柜层单元座")
# after what a name glued to the address may start: a place's end, a position, a door (…路东
# 虞佳乐, …东北角游春英, …10号楼容脑灵, …驻地隆斌, …中段魏娜杰); after any other Han character
# the run is one word (苏宁电器, 华润万家: no name in them)
_NAME_MAY_FOLLOW = _NOT_IN_NAME | frozenset("东西南北景厦居苑园寓心部所局堂期地段头首")
# what ends a door or a distance (…707栋, …100米): at a text's end with no phone against it, a
# two-character name follows one of these only
_DOORS = frozenset("号栋幢楼室座层单元户米")
# punctuation that never ends an address: left behind where a phone or a postcode was cut
# (…2103 胡雁，1530…), or a bracket opened and never closed (…2101室（); stripped so the name
# before it is found and the detail ends cleanly
TRAILING_PUNCTUATION = " \t\r\n,，、;；:：.。·(（[【{<《"


@dataclass(frozen=True)
class CleanText:
    """``compact`` is what the scanner reads; ``origin[i]`` is compact[i]'s index in ``text``;
    ``breaks`` are the compact positions that had a separator before them in the text."""

    text: str
    compact: str
    origin: tuple[int, ...]
    phones: tuple[str, ...]
    noise_chars: int
    breaks: frozenset[int]


def main_number(phone: str) -> str:
    """The number to call, in half-width digits, without spacing, country code, dashes between
    a mobile's groups (138-0013-8000) or the extension of a platform's privacy number
    (13800138000-1234, 转1234: marketplaces hide the buyer's own number behind one); of several
    (13800138000/010-…), the first."""
    phone = unicodedata.normalize("NFKC", phone)  # full-width digits (１３８…) as typed on phones
    phone = _PHONE_LABEL.sub("", phone.strip())
    first = _MORE_NUMBERS.split(phone, maxsplit=1)[0]  # "138…,010-…": the first
    spaced = _PHONE_SPACING.sub("", first)
    digits = _PHONE_PREFIX.sub("", spaced)
    if digits != spaced and digits[:1] != "0" and not _MOBILE_START.match(digits):
        digits = "0" + digits  # +86 21 6234 5678: an area code loses its 0 after +86
    if _GROUPED_MOBILE.match(digits):
        digits = digits.replace("-", "")
    relayed = _RELAYED_MOBILE.match(digits)
    return relayed.group(1) if relayed else digits


def phone_kind(phone: str | None) -> str:
    """'mobile', 'masked', 'landline', 'invalid' or 'missing' for a receiver phone."""
    if phone is None or not phone.strip():
        return "missing"
    digits = main_number(phone)
    if _MOBILE.match(digits):
        return "mobile"
    if _MASKED.match(digits) and 10 <= len(digits) <= 13:
        return "masked"
    if _LANDLINE.match(digits):
        return "landline"
    return "invalid"


def valid_phone(phone: str | None) -> bool:
    """Mainland mobile (masked 138****8000 accepted) or landline 0xx-xxxxxxx."""
    return phone_kind(phone) in {"mobile", "masked", "landline"}


# letters typed for the digits they look like (138OO13800O, 1380013800l)
_DIGIT_LOOKALIKES = str.maketrans("oOlIｏＯｌＩ", "00110011")


def phone_correction(phone: str | None, text: str = "") -> str | None:
    """The number an invalid receiver phone most likely means, else None (only the buyer knows):
    itself with letters read as the digits they look like, or a valid number written in the
    address ``text`` (…13800138000 浙江省… with a mistyped phone field)."""
    if phone_kind(phone) != "invalid" or phone is None:
        return None
    fixed = phone.translate(_DIGIT_LOOKALIKES)
    if fixed != phone and phone_kind(fixed) != "invalid":
        return main_number(fixed)
    for match in _PHONE_IN_TEXT.finditer(text):
        if phone_kind(match.group(1)) in {"mobile", "landline"}:
            return main_number(match.group(1))
    return None


def _drop_noise_brackets(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        return " " if _NOISE_WORDS.search(match.group(1)) else match.group(0)

    return _NOISE_IN_BRACKETS.sub(repl, text)


def _is_name(word: str) -> bool:
    """A receiver's name by its surname, with no character of a place in it."""
    if not _NOT_IN_NAME.isdisjoint(word):
        return False
    if word[:2] in _COMPOUND_SURNAMES:
        return len(word) >= 3
    return word[0] in _SURNAMES and len(word) <= 3


def _name_before_mark(match: re.Match[str]) -> str:
    """The Han run before a phone or the end less the receiver's name it ends in: the longest
    name whose surname starts after a place's end, a door, a phone or the text's start (of
    汽车站北20米路西时小红, 时小红 after 西). At the end, with no phone against it, a name of two
    characters follows a door (…707栋孙薇): two end a shop's name too (…万达金鹰)."""
    run, start = match.group(), match.start()
    before_run = match.string[start - 1 : start]
    touches_phone = _PHONE_MARK in (match.group(1), before_run)
    for size in range(len(run), 1, -1):
        word = run[-size:]
        before = run[-size - 1] if size < len(run) else before_run
        if size == 2 and not touches_phone and not (before.isdigit() or before in _DOORS):
            break
        if _is_name(word) and (not "\u4e00" <= before <= "\u9fff" or before in _NAME_MAY_FOLLOW):
            return run[:-size]
    return run


def _drop_card_names(text: str) -> str:
    """``text`` whose phones were cut to :data:`_PHONE_MARK`, without the receiver's name
    written against one or ending the text, as contact cards are pasted whole (…126号勾訾恒
    1851…, …88号 1861… 计星仪, 1565… 河南省…32号赵本山); each mark a space again."""
    marked = text.rstrip(TRAILING_PUNCTUATION) + _END_MARK
    kept = _HAN_BEFORE_MARK.sub(_name_before_mark, marked)
    return kept.replace(_PHONE_MARK, " ").replace(_END_MARK, "")


def drop_trailing_name(text: str) -> str:
    """The text without a receiver's name pasted at its end (…妈妈驿站 向妍勤, or 向妍勤， where a
    phone followed and is cut already), nor the punctuation around it; a place ending the text
    (辽宁省,沈阳市,康平县; 陈埭镇 江头村) is no name, though 康 and 江 are surnames."""
    text = text.rstrip(TRAILING_PUNCTUATION)
    match = _TRAILING_NAME.search(text)
    if match is None:
        return text
    name, title = match.groups()
    if (
        name
        and (name[0] in _SURNAMES or name[:2] in _COMPOUND_SURNAMES)
        and (title or name[-1] not in _PLACE_ENDINGS)
    ):
        return text[: match.start()].strip().rstrip(TRAILING_PUNCTUATION)  # …2202。 刘月红: 。 too
    return text


def clean_text(raw: str, simplify: Callable[[str], str] | None = None) -> CleanText:
    """Normalise width (and traditional characters through ``simplify``) and spacing (a contact
    card pasted over several lines), strip country / ID number / labels / placeholders /
    postcodes / noise / phones / a trailing name."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if simplify:
        text = simplify(text)
    if _DIGIT_RUN.search(text):
        text = _ID_NUMBER.sub(" ", text)
    phones = tuple(m.group(1) for m in _PHONE_IN_TEXT.finditer(text))  # read via main_number
    before = len(text)
    text = _drop_card_names(_PHONE_IN_TEXT.sub(_PHONE_MARK, text)) if phones else text
    text = _COUNTY_PLACEHOLDER.sub(r"\1 ", _POSTCODE.sub(" ", _LABELS.sub(" ", text)))
    if "城区" in text or "郊县" in text:
        text = _MUNICIPALITY_PART.sub(r"\1市 ", text)
    text = _PICTOGRAPHS.sub(" ", _drop_noise_brackets(text))
    if "  " in text or "\n" in text or "\t" in text:  # a card pasted over lines, indented
        text = _WHITESPACE.sub(" ", text)
    text = _COUNTRY.sub("", text.strip())
    text = drop_trailing_name(text).strip()
    runs = [m.span() for m in _KEPT_RUN.finditer(text)]
    origin = tuple(chain.from_iterable(range(start, end) for start, end in runs))
    compact = "".join(text[start:end] for start, end in runs)
    # every run after the first starts after a separator (runs are maximal)
    breaks = frozenset(accumulate(end - start for start, end in runs[:-1]))
    return CleanText(text, compact, origin, phones, max(0, before - len(text)), breaks)
