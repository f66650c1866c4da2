"""Word lists for receivers, phones and the street part of addresses, as people type them.

Road names deliberately include region names (北京路, 陕西南路, 南京东路, 延安西路): real streets
all over China carry them, and a parser must not read them as the region of the address.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)  # noqa: E501
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽浩宇轩然子涵梓睿一诺"
)  # noqa: E501
ROAD_ROOTS = [
    "人民", "解放", "中山", "建设", "和平", "新华", "胜利", "文化", "青年", "光明", "长江",
    "黄河", "朝阳", "东风", "幸福", "团结", "迎宾", "滨江", "环城", "府前", "学府", "科技",
    "创业", "文三", "天目山", "莫干山", "延安西", "南京东", "陕西南", "北京", "上海", "南京",
    "杭州", "广州", "湖南", "四川中", "福州", "长春", "西藏南", "天山", "珠江", "金沙江",
    "淮海中", "衡山", "漕溪北", "凤起", "武林", "工业", "汉阳", "解放南", "五一", "八一",
    "江汉", "金桥", "张江", "世纪", "龙华", "深南", "华强北", "科苑", "高新", "锦绣", "望江",
]  # fmt: skip
ROAD_TYPES = ["路", "路", "路", "街", "大道", "大街", "巷", "中路", "东路", "西路", "北路"]
COMMUNITY_ROOTS = [
    "阳光", "金色", "翠苑", "碧桂园", "万科", "绿城", "保利", "龙湖", "华润", "融创", "世纪",
    "锦绣", "御景", "滨江", "香樟", "紫荆", "丽景", "春晓", "东方", "新城", "和谐", "学府",
    "西湖", "金沙", "天府", "海淀", "名仕", "枫林", "雅居", "桂花", "湖畔", "江南",
]  # fmt: skip
COMMUNITY_TYPES = ["花园", "小区", "苑", "公寓", "家园", "新村", "华庭", "府", "城", "大厦", "广场"]
TOWN_ROOTS = [
    "城关", "新华", "东城", "西城", "南湖", "北苑", "文新", "古荡", "桥头", "沙河",
    "龙泉", "石桥", "白沙", "黄村", "马桥", "长安", "新塘", "大沥", "城厢", "清河",
]  # fmt: skip
VILLAGE_ROOTS = ["王家", "李庄", "张湾", "刘家岭", "陈家坝", "新民", "红旗", "杨柳", "前进", "东升"]
PARK_ROOTS = ["高新技术", "经济开发区", "科技", "电商", "创新", "软件"]
PICKUP = ["菜鸟驿站", "丰巢快递柜", "妈妈驿站", "兔喜快递超市", "京东快递站"]
# details that name no door, short and long as buyers write them: with only short ones the model
# learnt "under five characters" and passed 详见聊天记录 (same count: the world's draws stay put)
JUNK_DETAILS = [
    "不详", "同上", "家", "无", "见订单备注", "1", "。", "xx", "详见聊天记录", "到了打电话确认", "-"
]  # fmt: skip
NOISE = ["(电联)", "（电话联系）", "放门口", "送货前打电话", "(工作日送)", "放快递柜"]

MOBILE_PREFIXES = (
    [f"13{i}" for i in range(10)] + ["145", "147", "150", "151", "152", "153", "155", "156",
    "157", "158", "159", "166", "172", "173", "175", "176", "177", "178"]
    + [f"18{i}" for i in range(10)] + ["191", "193", "195", "198", "199"]
)  # fmt: skip
AREA_CODES = ["010", "021", "020", "0755", "0571", "028", "027", "029", "024", "025", "0512"]


def person_name(rng: random.Random) -> str:
    surname = rng.choice(SURNAMES)
    roll = rng.random()
    if roll < 0.08:
        return surname + rng.choice(["先生", "女士", "小姐"])
    return surname + "".join(rng.choice(GIVEN) for _ in range(1 if roll < 0.45 else 2))


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random) -> str:
    code = rng.choice(AREA_CODES)
    return f"{code}-{rng.randrange(2, 9)}{rng.randrange(10**7):07d}"[: len(code) + 9]


def bad_phone(rng: random.Random) -> str:
    """Wrong length, a prefix no carrier uses, or a letter typed for a digit."""
    good = mobile(rng)
    kind = rng.randrange(4)
    if kind == 0:
        return good[:-1]
    if kind == 1:
        return good + str(rng.randrange(10))
    if kind == 2:
        return rng.choice(["10", "11", "12"]) + good[2:]
    pos = rng.randrange(3, 11)
    return good[:pos] + rng.choice("oOlI") + good[pos + 1 :]


def town_name(rng: random.Random, urban: bool, towns: Sequence[str]) -> str:
    """A town of the customer's county: one of its real ``towns`` where the table has them (the
    parser reads a town as its county's: 观海卫镇 is 慈溪's, so a made-up one would be a conflict
    in another city), a subdistrict (街道) in a city district, a town or township in a county;
    else a made-up name. Two draws either way, so the world's other draws stay put."""
    root = rng.randrange(len(TOWN_ROOTS))
    suffix = "街道" if urban else rng.choice(["镇", "镇", "乡"])
    kind = [t for t in towns if t.endswith("街道") == urban] or list(towns)
    return kind[root % len(kind)] if kind else TOWN_ROOTS[root] + suffix


def street_detail(
    rng: random.Random, urban: bool, towns: Sequence[str] = ()
) -> tuple[str | None, str]:
    """(town or None, street part). Styles: road + number + community/building, villages,
    industrial parks and parcel lockers."""
    town = None
    if rng.random() < (0.25 if urban else 0.7):
        town = town_name(rng, urban, towns)
    style = rng.random()
    root = rng.choice(ROAD_ROOTS)
    road = root + rng.choice(ROAD_TYPES[:4] if root[-1] in "东西南北中" else ROAD_TYPES)
    number = f"{rng.randrange(1, 999)}号"
    if not urban and style < 0.6:
        village = rng.choice(VILLAGE_ROOTS) + "村"
        group = f"{rng.randrange(1, 12)}组" if rng.random() < 0.6 else ""
        return town, f"{village}{group}{rng.randrange(1, 120)}号"
    if style < 0.1:
        park = rng.choice(PARK_ROOTS) + rng.choice(["园区", "产业园", "工业园"])
        return town, f"{road}{number}{park}{rng.randrange(1, 30)}号楼{rng.randrange(1, 6)}楼"
    if style < 0.17:
        community = rng.choice(COMMUNITY_ROOTS) + rng.choice(COMMUNITY_TYPES)
        return town, f"{community}{rng.choice(PICKUP)}"
    community = rng.choice(COMMUNITY_ROOTS) + rng.choice(COMMUNITY_TYPES)
    building = rng.randrange(1, 40)
    room = f"{rng.randrange(1, 33)}{rng.randrange(1, 9):02d}"
    form = rng.randrange(5)
    if form == 0:
        tail = f"{building}栋{rng.randrange(1, 5)}单元{room}室"
    elif form == 1:
        tail = f"{building}幢{room}"
    elif form == 2:
        tail = f"{building}号楼{room}"
    elif form == 3:
        tail = f"{building}-{rng.randrange(1, 5)}-{room}"
    else:
        tail = f"{building}栋{room}"
    lead = f"{road}{number}" if rng.random() < 0.7 else ""
    return town, f"{lead}{community}{tail}"
