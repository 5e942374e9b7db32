"""A synthetic but realistic corpus for speed benchmarks: seeded, English and some Chinese.

Documents are news items and profiles built from sentence templates over a fixed world of
people (Western and Chinese, the latter with a pinyin and a Chinese name), places,
organisations, events and topics. Each document has a cast drawn with Zipf-like
frequencies, so a few entities occur in many documents and most in few, as in real
collections; paragraphs and documents vary in length. Document ``i`` depends only on
(seed, i), so a smaller corpus is a prefix of a larger one.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FIRST = ("Maria", "James", "Ana", "David", "Sofia", "Daniel", "Emma", "Lucas", "Olivia", "Noah",
         "Amara", "Kwame", "Elena", "Mateo", "Hannah", "Omar", "Priya", "Arjun", "Fatima", "Yusuf",
         "Ingrid", "Lars", "Chloe", "Hugo", "Nadia", "Ivan", "Grace", "Samuel", "Leila", "Tomas",
         "Aisha", "Felix", "Rosa", "Diego", "Mei", "Kenji", "Sara", "Jonas", "Irene", "Pablo")
SURNAMES = ("Okafor", "Lindqvist", "Moreau", "Tanaka", "Haddad", "Novak", "Ferreira", "Kowalski",
            "Mensah", "Ivanova", "Castillo", "Brennan", "Schmidt", "Rossi", "Dubois", "Jensen",
            "Nakamura", "Alvarez", "Petrov", "Walsh", "Osei", "Kaplan", "Varga", "Silva", "Larsen",
            "Costa", "Fischer", "Romano", "Bauer", "Morales", "Quinn", "Sato", "Hughes", "Keller",
            "Nyberg", "Adeyemi", "Marsh", "Ortega", "Holm", "Wright")
ZH_SURNAMES = {"王": "Wang", "李": "Li", "张": "Zhang", "刘": "Liu", "陈": "Chen", "杨": "Yang",
               "黄": "Huang", "赵": "Zhao", "吴": "Wu", "周": "Zhou", "徐": "Xu", "孙": "Sun",
               "马": "Ma", "朱": "Zhu", "胡": "Hu", "郭": "Guo", "何": "He", "高": "Gao", "林": "Lin",
               "罗": "Luo", "郑": "Zheng", "梁": "Liang", "谢": "Xie", "宋": "Song", "唐": "Tang"}
ZH_GIVEN = {"伟": "wei", "芳": "fang", "娜": "na", "敏": "min", "静": "jing", "强": "qiang",
            "磊": "lei", "军": "jun", "洋": "yang", "勇": "yong", "艳": "yan", "杰": "jie",
            "涛": "tao", "明": "ming", "超": "chao", "霞": "xia", "平": "ping", "刚": "gang",
            "英": "ying", "华": "hua", "兰": "lan", "文": "wen", "辉": "hui", "鹏": "peng",
            "浩": "hao", "晨": "chen", "欣": "xin", "怡": "yi", "婷": "ting", "雪": "xue",
            "琳": "lin", "建": "jian", "国": "guo", "志": "zhi", "海": "hai", "嘉": "jia"}
CITIES = {"London": "伦敦", "Paris": "巴黎", "Berlin": "柏林", "Madrid": "马德里", "Rome": "罗马",
          "Lisbon": "里斯本", "Vienna": "维也纳", "Prague": "布拉格", "Warsaw": "华沙",
          "Stockholm": "斯德哥尔摩", "Oslo": "奥斯陆", "Helsinki": "赫尔辛基", "Dublin": "都柏林",
          "Amsterdam": "阿姆斯特丹", "Zurich": "苏黎世", "Istanbul": "伊斯坦布尔", "Cairo": "开罗",
          "Nairobi": "内罗毕", "Lagos": "拉各斯", "Accra": "阿克拉", "Dubai": "迪拜",
          "Mumbai": "孟买", "Bangalore": "班加罗尔", "Singapore": "新加坡", "Bangkok": "曼谷",
          "Jakarta": "雅加达", "Seoul": "首尔", "Tokyo": "东京", "Osaka": "大阪", "Beijing": "北京",
          "Shanghai": "上海", "Shenzhen": "深圳", "Hangzhou": "杭州", "Chengdu": "成都",
          "Wuhan": "武汉", "Nanjing": "南京", "Xi'an": "西安", "Guangzhou": "广州",
          "Hong Kong": "香港", "Taipei": "台北", "Sydney": "悉尼", "Melbourne": "墨尔本",
          "Toronto": "多伦多", "Vancouver": "温哥华", "Chicago": "芝加哥", "Boston": "波士顿",
          "Seattle": "西雅图", "Mexico City": "墨西哥城", "Sao Paulo": "圣保罗",
          "Buenos Aires": "布宜诺斯艾利斯"}
TOWN_SYLLABLES = ("vel", "mor", "ash", "brin", "cal", "dun", "fen", "gar", "hol", "ist", "kar",
                  "lun", "nor", "pel", "quin", "ros", "sel", "tor", "wen", "yar")
ORG_STEMS = {"Northwind": "北风", "Bluepeak": "蓝峰", "Silverline": "银线", "Redwood": "红木",
             "Goldfield": "金田", "Starlight": "星光", "Evergreen": "常青", "Sunrise": "旭日",
             "Ironbridge": "铁桥", "Skyline": "天际", "Pinecrest": "松岭", "Riverstone": "河石",
             "Brightway": "明途", "Crystal": "水晶", "Oceanic": "远洋", "Lotus": "莲花",
             "Phoenix": "凤凰", "Maple": "枫叶", "Falcon": "猎鹰", "Horizon": "远景", "Nova": "新星",
             "Orion": "猎户", "Quantum": "量子", "Vertex": "顶点", "Aurora": "极光",
             "Meridian": "子午", "Granite": "花岗", "Harbor": "海港", "Cedar": "雪松",
             "Kestrel": "红隼", "Juniper": "杜松", "Tidewater": "潮水", "Summit": "峰顶",
             "Greenleaf": "绿叶", "Cobalt": "钴蓝", "Amberly": "琥珀", "Westfield": "西田",
             "Eastgate": "东门", "Highland": "高地", "Clearwater": "清泉"}
ORG_KINDS = {"Labs": "实验室", "Holdings": "控股集团", "Bank": "银行", "University": "大学",
             "Institute": "研究院", "Foundation": "基金会", "Logistics": "物流公司",
             "Energy": "能源集团", "Pharmaceuticals": "制药公司", "Robotics": "机器人公司",
             "Media": "传媒集团", "Capital": "资本", "Motors": "汽车公司", "Software": "软件公司",
             "Hospital": "医院"}
EVENT_KINDS = {"Climate Summit": "气候峰会", "Film Festival": "电影节", "Marathon": "马拉松",
               "Trade Fair": "贸易博览会", "AI Conference": "人工智能大会", "Book Fair": "书展",
               "Music Festival": "音乐节", "Robotics Expo": "机器人博览会"}
TOPICS = {"battery recycling": "电池回收", "urban housing": "城市住房", "water supply": "供水",
          "chip design": "芯片设计", "public transport": "公共交通", "rural schools": "乡村学校",
          "solar power": "太阳能", "data privacy": "数据隐私", "food safety": "食品安全",
          "tourism": "旅游业", "cancer research": "癌症研究", "supply chains": "供应链",
          "electric vehicles": "电动汽车", "online education": "在线教育", "flood control": "防洪",
          "drug pricing": "药品定价", "wind farms": "风电场", "port logistics": "港口物流"}
ROLES = {"chief executive": "首席执行官", "head of research": "研究主管",
         "chief financial officer": "首席财务官", "lead engineer": "首席工程师",
         "product manager": "产品经理", "board member": "董事会成员", "regional director": "区域总监"}
FIELDS = {"economics": "经济学", "physics": "物理学", "computer science": "计算机科学", "law": "法律",
          "medicine": "医学", "architecture": "建筑学", "chemistry": "化学"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")

EN_SENTENCES = (
    "{p} joined {o} as {role} in {month} {year}.",
    "{o} opened a new office in {c} on {month} {day}, {year}, hiring {n} engineers.",
    "According to {p}, the {e} attracted more than {big:,} visitors this year.",
    "{p} and {p2} met in {c} to discuss {t}.",
    "Revenue at {o} rose {pct}% to ${amount} million in {year}, driven by demand for {t}.",
    "The {year} {e} ran from {month} {day} to {month} {day2}, with a large delegation from {c}.",
    "{p}, who grew up in {c}, studied {field} at {u} before moving to {c2}.",
    "In {year}, {o} acquired {o2} for ${amount} million.",
    "{p} published a report on {t} that was widely cited by {o}.",
    "{o} signed a partnership with {o2} to work on {t} in {c}.",
    "Speaking at the {e}, {p} warned that {t} would need far more investment.",
    "{p} left {o} in {year} and later became {role} of {o2}.",
    "The city of {c} approved a plan worth ${amount} million for {t}.",
    "A team led by {p} at {u} found that {t} costs fell by {pct}% between {year} and {year2}.",
    "Critics argued that the plan of {o} relied too heavily on {t}.",
    "Shares of {o} fell {pct}% after the announcement.",
    "Some {n} residents of {c} signed a petition about {t}.",
)
EN_FILLERS = ("The decision surprised many observers.",
              "Local officials said further details would follow in the coming weeks.",
              "Neither side commented on the timing.", "The figures have not been audited.")
ZH_SENTENCES = (
    "{p}于{year}年{mon}月加入{o}，担任{role}。",
    "{o}在{c}开设了新的办公室，招聘了{n}名工程师。",
    "{year}年{e}在{c}举行，吸引了超过{big}名观众。",
    "{year}年，{o}以{amount}亿元收购了{o2}。",
    "{p}和{p2}在{c}会面，讨论{t}问题。",
    "据{p}介绍，{o}去年的收入增长了{pct}%，主要来自{t}业务。",
    "{p}毕业于{u}{field}专业，后来移居{c}。",
    "{o}与{o2}签署合作协议，共同推进{c}的{t}项目。",
    "{p}在{e}上表示，{t}还需要更多投资。",
    "{c}市政府批准了一项{amount}亿元的{t}计划。",
    "{year}年{mon}月，{p}离开{o}，后来出任{o2}的{role}。",
    "{o}的股价在消息公布后下跌了{pct}%。",
)
ZH_FILLERS = ("这一决定引起了广泛关注。", "业内人士认为，这将推动行业进一步发展。", "双方均未对此发表评论。")


@dataclass(frozen=True, slots=True)
class Entity:
    en: str
    zh: str | None  # None: not named in Chinese text


@dataclass(frozen=True, slots=True)
class World:
    people: tuple[Entity, ...]
    places: tuple[Entity, ...]
    orgs: tuple[Entity, ...]
    events: tuple[Entity, ...]


def _zh_person(rng: random.Random) -> Entity:
    surname = rng.choice(list(ZH_SURNAMES))
    given = "".join(rng.choice(list(ZH_GIVEN)) for _ in range(rng.choice((1, 2, 2))))
    pinyin = "".join(ZH_GIVEN[ch] for ch in given).capitalize()
    return Entity(f"{ZH_SURNAMES[surname]} {pinyin}", surname + given)


def make_world(seed: int = 7, people: int = 6000, towns: int = 400) -> World:
    """The fixed cast, each list in Zipf rank order (shuffled once, seeded)."""
    rng = random.Random(f"world:{seed}")
    found: dict[str, Entity] = {}
    while len(found) < people:
        person = (_zh_person(rng) if rng.random() < 0.3
                  else Entity(f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}", None))
        found.setdefault(person.en, person)
    places = [Entity(en, zh) for en, zh in CITIES.items()]
    names = {p.en for p in places}
    while len(places) < len(CITIES) + towns:
        town = "".join(rng.choice(TOWN_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        if town not in names:
            names.add(town)
            places.append(Entity(town, None))
    orgs = [Entity(f"{stem} {kind}", ORG_STEMS[stem] + ORG_KINDS[kind])
            for stem, kind in itertools.product(ORG_STEMS, ORG_KINDS)]
    events = [Entity(f"{city} {kind}", CITIES[city] + EVENT_KINDS[kind])
              for city, kind in itertools.product(CITIES, EVENT_KINDS)]
    lists = [list(found.values()), places, orgs, events]
    for items in lists:
        rng.shuffle(items)
    return World(*(tuple(items) for items in lists))


class Zipf:
    """Draws items with probability proportional to 1 / rank**s."""

    def __init__(self, items: Sequence[Entity], s: float = 1.0) -> None:
        self.items = items
        self.cum = list(itertools.accumulate(1.0 / (rank ** s) for rank in range(1, len(items) + 1)))

    def draw(self, rng: random.Random, zh: bool = False) -> Entity:
        while True:
            item = rng.choices(self.items, cum_weights=self.cum)[0]
            if not zh or item.zh is not None:
                return item


@dataclass(frozen=True, slots=True)
class SyntheticDoc:
    name: str  # relative file path
    text: str


class CorpusGenerator:
    def __init__(self, seed: int = 7, chinese_share: float = 0.2) -> None:
        self.seed = seed
        self.chinese_share = chinese_share
        self.world = make_world(seed)
        w = self.world
        # Exponents below 1 keep the head realistic: the commonest person, place or
        # organisation is named in 5-18% of the documents.
        self.people, self.places = Zipf(w.people, 0.9), Zipf(w.places, 0.8)
        self.orgs, self.events = Zipf(w.orgs, 0.8), Zipf(w.events, 0.8)
        # ranked apart from the organisations, so the top one is not both
        self.universities = Zipf(sorted((o for o in w.orgs if o.en.endswith("University")),
                                        key=lambda o: o.en), 0.6)

    def document(self, i: int) -> SyntheticDoc:
        rng = random.Random(f"doc:{self.seed}:{i}")
        zh = rng.random() < self.chinese_share
        cast = self._cast(rng, zh)
        templates = list(ZH_SENTENCES if zh else EN_SENTENCES)
        rng.shuffle(templates)
        plan = [rng.randint(2, 7) for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))]
        order = itertools.cycle(templates)
        paragraphs = [" ".join(self._sentence(rng, next(order), cast, zh) for _ in range(size))
                      for size in plan]
        if zh:
            paragraphs = ["".join(p.split(" ")) for p in paragraphs]
        folder = f"part-{i // 1000:03d}"
        if rng.random() < 0.4:  # a profile: a Markdown page titled by its main entity
            main = cast["p"] if rng.random() < 0.6 else cast["o"]
            title = main.zh if zh and main.zh else main.en
            return SyntheticDoc(f"{folder}/doc-{i:06d}.md", f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n")
        prefix = "xinwen" if zh else "news"
        return SyntheticDoc(f"{folder}/{prefix}-{i:06d}.txt", "\n\n".join(paragraphs) + "\n")

    def _cast(self, rng: random.Random, zh: bool) -> dict[str, Entity]:
        return {"p": self.people.draw(rng), "p2": self.people.draw(rng),
                "o": self.orgs.draw(rng), "o2": self.orgs.draw(rng),
                "c": self.places.draw(rng, zh), "c2": self.places.draw(rng, zh),
                "e": self.events.draw(rng), "u": self.universities.draw(rng)}

    def _sentence(self, rng: random.Random, template: str, cast: dict[str, Entity], zh: bool) -> str:
        if rng.random() < 0.1:
            return rng.choice(ZH_FILLERS if zh else EN_FILLERS)
        slots = dict(cast)
        if rng.random() < 0.3:  # someone or something outside the document's cast
            slots["p2"], slots["o2"] = self.people.draw(rng), self.orgs.draw(rng)

        def name(entity: Entity) -> str:
            return (entity.zh or entity.en) if zh else entity.en

        topic = rng.choice(list(TOPICS))
        role, field = rng.choice(list(ROLES)), rng.choice(list(FIELDS))
        year = rng.randint(1995, 2024)
        values = {key: name(entity) for key, entity in slots.items()}
        values.update(
            t=TOPICS[topic] if zh else topic, role=ROLES[role] if zh else role,
            field=FIELDS[field] if zh else field, year=year, year2=year + rng.randint(1, 6),
            month=rng.choice(MONTHS), mon=rng.randint(1, 12), day=rng.randint(1, 20),
            day2=rng.randint(21, 28), n=rng.randint(12, 900), big=rng.randint(2_000, 250_000),
            pct=rng.randint(2, 45), amount=round(rng.uniform(1.5, 950.0), 1))
        return template.format(**values)

    def write(self, folder: Path, target_chunks: int, *, chunk_size: int = 200,
              overlap: int = 30, start: int = 0) -> tuple[int, int]:
        """Write documents ``start``, ``start + 1``... into ``folder`` until they make
        ``target_chunks`` chunks at this chunk size; returns (documents, chunks)."""
        from graph.chunking import chunk_text

        chunks, i = 0, start
        while chunks < target_chunks:
            doc = self.document(i)
            path = folder / doc.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(doc.text, encoding="utf-8")
            chunks += len(chunk_text(doc.text, chunk_size=chunk_size, overlap=overlap))
            i += 1
        return i - start, chunks

    # -- queries -------------------------------------------------------------------------

    def queries(self, count: int = 200) -> list[tuple[str, str]]:
        """(kind, query) pairs: entity names and questions, English and Chinese."""
        rng = random.Random(f"queries:{self.seed}")
        kinds = ["name"] * 30 + ["question"] * 40 + ["zh-question"] * 15 + ["zh-name"] * 15
        return [(kind, self._query(rng, kind)) for kind in
                (kinds[int(rng.random() * len(kinds))] for _ in range(count))]

    def _query(self, rng: random.Random, kind: str) -> str:
        p, o, o2 = self.people.draw(rng), self.orgs.draw(rng), self.orgs.draw(rng)
        c, e = self.places.draw(rng, zh=kind.startswith("zh")), self.events.draw(rng)
        topic = rng.choice(list(TOPICS))
        if kind == "name":
            return rng.choice((p.en, o.en, c.en, f"the {e.en}", f"{p.en} {o.en}"))
        if kind == "zh-name":
            return rng.choice((p.zh or p.en, o.zh, f"{c.zh}{TOPICS[topic]}", e.zh))
        if kind == "question":
            return rng.choice((
                f"Where did {p.en} work before joining {o.en}?",
                f"When did {o.en} open its office in {c.en}?",
                f"Who acquired {o.en}, and for how much?",
                f"What happened at the {e.en}?",
                f"How much did revenue at {o.en} grow, and why?",
                f"Which university did {p.en} study at?",
                f"What did {p.en} say about {topic}?",
                f"Is {o.en} working with {o2.en} on {topic}?"))
        return rng.choice((
            f"{p.zh or p.en}在哪家公司工作？", f"{o.zh}什么时候收购了{o2.zh}？",
            f"{e.zh}在哪里举行？", f"{o.zh}的收入增长了多少？", f"{c.zh}的{TOPICS[topic]}计划是什么？"))

