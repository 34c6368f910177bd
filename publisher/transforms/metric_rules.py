"""Word tables of the metric extractor: units, scales, relations, periods and subject words.

Everything language-specific that ``publisher.transforms.metrics`` knows
lives here as plain data, so that a new unit or a new verb is one line.
Words are matched longest first; Chinese words anywhere, English words
only on word boundaries.
"""

from __future__ import annotations

from decimal import Decimal

# --- scales ------------------------------------------------------------------------------------

#: Chinese scale words written before a unit (``亿元``) or alone (``2504.27亿``).
CN_SCALES: dict[str, Decimal] = {
    "万亿": Decimal("1e12"),
    "千亿": Decimal("1e11"),
    "百亿": Decimal("1e10"),
    "十亿": Decimal("1e9"),
    "亿": Decimal("1e8"),
    "千万": Decimal("1e7"),
    "百万": Decimal("1e6"),
    "十万": Decimal("1e5"),
    "万": Decimal("1e4"),
}

#: English scale words (``1.72 trillion yuan``, ``US$4.06bn``).
EN_SCALES: dict[str, Decimal] = {
    "trillion": Decimal("1e12"),
    "billion": Decimal("1e9"),
    "million": Decimal("1e6"),
    "thousand": Decimal("1e3"),
    "crore": Decimal("1e7"),  # Indian English: 1 crore = 10 million, 1 lakh = 100,000
    "lakh": Decimal("1e5"),
    "tn": Decimal("1e12"),
    "bn": Decimal("1e9"),
    "mn": Decimal("1e6"),
    "mln": Decimal("1e6"),
}

#: One-letter scales written right after the digits (``128K``, ``405B参数``).
LETTER_SCALES: dict[str, Decimal] = {
    "K": Decimal("1e3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "B": Decimal("1e9"),
    "T": Decimal("1e12"),
}

# --- units -------------------------------------------------------------------------------------
# unit as written → (base unit, factor to the base unit)

RATIO = "ratio"
PERCENT_UNITS: dict[str, tuple[str, Decimal]] = {
    "%": (RATIO, Decimal("0.01")),
    "％": (RATIO, Decimal("0.01")),
    "‰": (RATIO, Decimal("0.001")),
    # percentage points
    "个百分点": (RATIO, Decimal("0.01")),
    "百分点": (RATIO, Decimal("0.01")),
    "pcts": (RATIO, Decimal("0.01")),
    "pct": (RATIO, Decimal("0.01")),
    "ppts": (RATIO, Decimal("0.01")),
    "ppt": (RATIO, Decimal("0.01")),
    "pp": (RATIO, Decimal("0.01")),
    # basis points
    "个基点": (RATIO, Decimal("0.0001")),
    "基点": (RATIO, Decimal("0.0001")),
    "bps": (RATIO, Decimal("0.0001")),
    "bp": (RATIO, Decimal("0.0001")),
    "BP": (RATIO, Decimal("0.0001")),
}

CN_UNITS: dict[str, tuple[str, Decimal]] = {
    **PERCENT_UNITS,
    # index points and multiples
    "点": ("points", Decimal(1)),
    "倍": ("multiple", Decimal(1)),
    "X": ("multiple", Decimal(1)),
    "x": ("multiple", Decimal(1)),
    # money
    "元人民币": ("CNY", Decimal(1)),
    "人民币": ("CNY", Decimal(1)),
    "元": ("CNY", Decimal(1)),
    "美元": ("USD", Decimal(1)),
    "美金": ("USD", Decimal(1)),
    "港元": ("HKD", Decimal(1)),
    "港币": ("HKD", Decimal(1)),
    "欧元": ("EUR", Decimal(1)),
    "日元": ("JPY", Decimal(1)),
    "英镑": ("GBP", Decimal(1)),
    # durations
    "个交易日": ("trading day", Decimal(1)),
    "交易日": ("trading day", Decimal(1)),
    "个工作日": ("day", Decimal(1)),
    "个季度": ("month", Decimal(3)),
    "季度": ("month", Decimal(3)),
    "个月": ("month", Decimal(1)),
    "财年": ("fiscal year", Decimal(1)),
    "小时": ("hour", Decimal(1)),
    "分钟": ("minute", Decimal(1)),
    "天": ("day", Decimal(1)),
    "周": ("day", Decimal(7)),
    "年": ("year", Decimal(1)),
    # physical quantities
    "千瓦时": ("Wh", Decimal(1000)),
    "吉瓦": ("W", Decimal("1e9")),
    "兆瓦": ("W", Decimal("1e6")),
    "千瓦": ("W", Decimal(1000)),
    "GWh": ("Wh", Decimal("1e9")),
    "MWh": ("Wh", Decimal("1e6")),
    "kWh": ("Wh", Decimal(1000)),
    "TWh": ("Wh", Decimal("1e12")),
    "度": ("Wh", Decimal(1000)),  # 吨发电量352.4度, 上网电量32.06亿度: kilowatt-hours
    "GW": ("W", Decimal("1e9")),
    "MW": ("W", Decimal("1e6")),
    "kW": ("W", Decimal(1000)),
    "吨公里": ("t·km", Decimal(1)),
    "人公里": ("passenger·km", Decimal(1)),
    "吨": ("t", Decimal(1)),
    "公斤": ("kg", Decimal(1)),
    "千克": ("kg", Decimal(1)),
    "桶": ("barrel", Decimal(1)),
    "盎司": ("oz", Decimal(1)),
    "平方米": ("m²", Decimal(1)),
    "平米": ("m²", Decimal(1)),
    "平": ("m²", Decimal(1)),  # 在管面积达5.36亿平: square metres, as property notes write them
    "㎡": ("m²", Decimal(1)),
    "立方米": ("m³", Decimal(1)),
    "公里": ("km", Decimal(1)),
    "亩": ("mu", Decimal(1)),
    # computing power (floating-point operations per second)
    "EFLOPS": ("FLOPS", Decimal("1e18")),
    "PFLOPS": ("FLOPS", Decimal("1e15")),
    "TFLOPS": ("FLOPS", Decimal("1e12")),
    # containers (twenty- and forty-foot equivalent units)
    "标箱": ("TEU", Decimal(1)),
    "TEU": ("TEU", Decimal(1)),
    "FEU": ("FEU", Decimal(1)),
}

#: Count words (``142台``, ``2 家``, ``600家次``): base unit ``count``.
COUNT_WORDS = (
    "家次 人次 家 只 台 口 个 单 次 篇 名 人 户 项 笔 支 批 例 条 件 张 艘 架 辆 座 套 手 层 款 种 所 宗 起 轮 "
    "头 份 股 部 颗 羽 场"
).split()
for _word in COUNT_WORDS:
    CN_UNITS.setdefault(_word, ("count", Decimal(1)))

#: Denominators of compound units (``万元/吨``, ``美元/桶``).
PER_UNITS: dict[str, str] = {
    "吨": "t",
    "桶": "barrel",
    "股": "share",
    "盎司": "oz",
    "平方米": "m²",
    "平米": "m²",
    "㎡": "m²",
    "千瓦时": "kWh",
    "兆瓦时": "MWh",
    "MWh": "MWh",
    "GWh": "GWh",
    "千瓦·年": "kW·year",
    "kW·年": "kW·year",
    "百万英热": "MMBtu",
    "MMBtu": "MMBtu",
    "千瓦": "kW",
    "兆瓦": "MW",
    "kW": "kW",
    "MW": "MW",
    "GW": "GW",
    "kWh": "kWh",
    "度": "kWh",
    "辆": "vehicle",
    "年": "year",
    "月": "month",
    "天": "day",
    "公斤": "kg",
    "千克": "kg",
    "斤": "jin",
    "kg": "kg",
    "t": "t",
}

EN_UNITS: dict[str, tuple[str, Decimal]] = {
    "percentage points": (RATIO, Decimal("0.01")),
    "percentage point": (RATIO, Decimal("0.01")),
    "percent": (RATIO, Decimal("0.01")),
    "per cent": (RATIO, Decimal("0.01")),
    "basis points": (RATIO, Decimal("0.0001")),
    "basis point": (RATIO, Decimal("0.0001")),
    "points": ("points", Decimal(1)),
    "point": ("points", Decimal(1)),
    "pts": ("points", Decimal(1)),
    "times": ("multiple", Decimal(1)),
    "yuan": ("CNY", Decimal(1)),
    "renminbi": ("CNY", Decimal(1)),
    "RMB": ("CNY", Decimal(1)),
    "CNY": ("CNY", Decimal(1)),
    "US dollars": ("USD", Decimal(1)),
    "dollars": ("USD", Decimal(1)),
    "USD": ("USD", Decimal(1)),
    "HK dollars": ("HKD", Decimal(1)),
    "HKD": ("HKD", Decimal(1)),
    "euros": ("EUR", Decimal(1)),
    "EUR": ("EUR", Decimal(1)),
    "yen": ("JPY", Decimal(1)),
    "tonnes": ("t", Decimal(1)),
    "tons": ("t", Decimal(1)),
    "barrels": ("barrel", Decimal(1)),
    "trading days": ("trading day", Decimal(1)),
    "days": ("day", Decimal(1)),
    "weeks": ("day", Decimal(7)),
    "months": ("month", Decimal(1)),
    "quarters": ("month", Decimal(3)),
    "years": ("year", Decimal(1)),
    "TEU": ("TEU", Decimal(1)),
    "TEUs": ("TEU", Decimal(1)),
    "FEU": ("FEU", Decimal(1)),
    "metric tons": ("t", Decimal(1)),
    "metric tonnes": ("t", Decimal(1)),
    # currency codes written after the number (340,000 KRW, 3.6 trillion KRW)
    **{code: (code, Decimal(1)) for code in ("KRW", "JPY", "GBP", "INR", "VND", "TWD", "AUD", "CAD", "SGD", "CHF")},
}

#: ``per share`` / ``per barrel`` after an English figure.
EN_PER = (
    "share", "barrel", "tonne", "ton", "unit", "vehicle", "day", "month", "year", "ounce", "TEU", "FEU", "box",
    "pound", "lb", "kWh", "MWh", "MMBtu", "kg",
)  # fmt: skip

#: Currency written before the number (``US$4.06 billion``, ``RMB 1.2bn``) → base unit.
PREFIX_CURRENCIES: dict[str, str] = {
    "US$": "USD",
    "HK$": "HKD",
    "NT$": "TWD",
    "NZ$": "NZD",
    "R$": "BRL",
    "S$": "SGD",
    "A$": "AUD",
    "C$": "CAD",
    "$": "USD",
    "¥": "CNY",
    "￥": "CNY",
    "€": "EUR",
    "£": "GBP",
    "₹": "INR",
    "Rs.": "INR",
    "Rs": "INR",
    "RMB": "CNY",
    "人民币": "CNY",
    "CNY": "CNY",
    "USD": "USD",
    "HKD": "HKD",
    "EUR": "EUR",
    "GBP": "GBP",
    "JPY": "JPY",
    "CHF": "CHF",
    "DKK": "DKK",
    "SEK": "SEK",
    "NOK": "NOK",
    "KRW": "KRW",
    "INR": "INR",
    "TWD": "TWD",
    "SGD": "SGD",
    "AUD": "AUD",
    "CAD": "CAD",
}

#: English words of change (and of their basis) that follow a figure: ``an 81% increase year-on-year``
#: says how much what the clause names changed, not a thing the figure measures.
EN_CHANGE_NOUNS = frozenset(
    "increase increases decrease decreases rise rises fall falls growth decline declines drop drops gain gains "
    "jump jumps surge surges slump slumps year-on-year yoy y/y y-o-y".split()
)

#: English plural nouns that are not counts when they follow a number.
EN_NOT_COUNTS = frozenset(
    "years months weeks days quarters times points percent hours minutes seconds "
    "this his its was has is us as plus less thus across versus does goes always perhaps whereas".split()
)

# --- what numbers are not metrics --------------------------------------------------------------

#: Index and board names that end in a number (``北证 50``, ``沪深 300``, ``CSI 300``).
INDEX_NAMES = (
    "北证 科创 创业板 沪深 中证 上证 深证 国证 恒生 中小板 红利 上证综 深成 富时 标普 纳斯达克 道琼斯 日经 "
    "CSI SSE SZSE MSCI FTSE Nikkei STAR ChiNext Russell DAX CAC KOSPI Topix TOPIX"
).split()
#: Words after a number that make it part of a name (``北证 50 指数``, ``10年期``).
NAME_FOLLOWERS = ("指数", "成份", "成分", "样本", "ETF", "年期", "天期", "月期", "个月期", "日期", "周期")
#: A duration followed by one of these is a tenor inside a name (``7天逆回购``).
TENOR_NOUNS = ("逆回购", "回购", "期", "SHIBOR", "Shibor", "存单", "国债", "美债", "均线", "MLF")
#: Stock-code suffixes (``600519.SH``).
CODE_SUFFIXES = (".SH", ".SZ", ".HK", ".BJ", ".US", ".sh", ".sz", ".hk")
#: Words that introduce a bare number as a value (``系数为1.52``, ``close at 3,346``).
BARE_CUES_CN = (
    "收于", "收报", "收盘", "录得", "为", "报", "达", "至", "到", "是", "约",
    # a price, a spread or a margin written without its unit (山东地区人民币价格5290, 银星基差81)
    "价格", "价差", "基差", "利润", "利润率", "比率",
)  # fmt: skip
BARE_CUES_EN = ("at", "to", "of", "was", "is", "were", "are", "reached", "hit", "stood at", "from", "versus")
#: Words before a 2-digit number + 年 that make it a duration, not a year (``近10年``).
DURATION_CUES = ("近", "过去", "未来", "超过", "超", "逾", "满", "约", "长达", "连续")

# --- relations ---------------------------------------------------------------------------------

#: Words of change → direction.  An empty value neutralises (``涨跌幅`` says no direction).
DIRECTION_WORDS: dict[str, str] = {
    **dict.fromkeys("最多 至多 较多 更多 诸多 许多 多数 多空 多头 减持 增持 新增".split(), ""),
    "涨跌幅": "",
    "涨跌": "",
    "升降": "",
    "增减": "",
    **dict.fromkeys(
        "上涨 涨 回升 上升 升 增长 增加 增 提升 提高 上行 走高 攀升 反弹 放量 扩大 走阔 多 流入 净流入 上扬 领涨 "
        "涨幅 增幅 转正 扩展 加快 提速 回暖 改善 走强 跑赢 微增 微升 微涨 扭亏 扭亏为盈 上修 上调".split(),
        "up",
    ),
    **dict.fromkeys(
        "下跌 跌 回落 下降 降低 降 减少 减 下滑 放缓 恶化 走弱 下行 走低 回调 缩量 收窄 少 流出 净流出 领跌 跌幅 降幅 "
        "转负 净回笼 跑输 微降 微跌 微减 优化 由盈转亏 转亏 下修 下调".split(),
        "down",
    ),
    **dict.fromkeys("持平 收平 不变 走平 企稳".split(), "flat"),
}
EN_DIRECTION_WORDS: dict[str, str] = {
    **dict.fromkeys(
        "rose rise rises rising up gained gain gains increased increase increases grew grow grows climbed climb "
        "jumped jump surged surge higher added widened expanded improved rebounded advanced more "
        "raised raise raises".split(),
        "up",
    ),
    **dict.fromkeys(
        "fell fall falls falling down declined decline declines decreased decrease dropped drop slid slipped "
        "lower lost shrank narrowed slowed eased less slide slides sink sinks sank dipped dips reduced "
        "reduce reduces".split(),
        "down",
    ),
    **dict.fromkeys("flat unchanged stable steady".split(), "flat"),
}

#: Comparison words → relation.  Checked before ``from``/``to``/``prior``.
RELATION_WORDS: dict[str, str] = {
    "同比": "yoy",
    "较同期": "yoy",
    "比同期": "yoy",
    "比上年同期": "yoy",
    "较上年同期": "yoy",
    "较去年同期": "yoy",
    "比去年同期": "yoy",
    "环比": "seq",
    "YoY": "yoy",
    "YOY": "yoy",
    "QoQ": "qoq",
    "MoM": "mom",
    "较上周": "wow",
    "较前一周": "wow",
    "周环比": "wow",
    "较上月": "mom",
    "较前一月": "mom",
    "较上季度": "qoq",
    "较上个交易日": "dod",
    "较前一交易日": "dod",
    "较前一日": "dod",
    "较昨日": "dod",
    "较年初": "vs",
    "较": "vs",
    "前值": "prior",
    "由盈转亏": "",  # a direction (down), not "from"
    "由亏转盈": "",
    "由": "from",
    "从": "from",
    "至": "to",
    "到": "to",
}
EN_RELATION_WORDS: dict[str, str] = {
    "year on year": "yoy",
    "year-on-year": "yoy",
    "year over year": "yoy",
    "y-o-y": "yoy",
    "yoy": "yoy",
    "y/y": "yoy",
    "a year earlier": "yoy",
    "a year ago": "yoy",
    "month on month": "mom",
    "month over month": "mom",
    "m-o-m": "mom",
    "mom": "mom",
    "m/m": "mom",
    "quarter on quarter": "qoq",
    "quarter over quarter": "qoq",
    "q-o-q": "qoq",
    "qoq": "qoq",
    "q/q": "qoq",
    "week on week": "wow",
    "week over week": "wow",
    "wow": "wow",
    "previous": "prior",
    "prior": "prior",
    "from": "from",
    "to": "to",
}
#: Relation strength: a comparison says more than ``from``/``to``.
RELATION_RANK = {"yoy": 3, "qoq": 3, "mom": 3, "wow": 3, "dod": 3, "seq": 3, "vs": 2, "prior": 2, "from": 1, "to": 1}

#: Bound words right before the figure.
BOUND_BEFORE: dict[str, str] = {
    "至少": "at_least",
    "不少于": "at_least",
    "不低于": "at_least",
    "达或超": "at_least",
    "超过": "more_than",
    "超": "more_than",
    "逾": "more_than",
    "多于": "more_than",
    "不超过": "at_most",
    ">": "more_than",
    "≥": "at_least",
    ">=": "at_least",
    "<": "less_than",
    "≤": "at_most",
    "<=": "at_most",
    "大于": "more_than",
    "高于": "more_than",
    "小于": "less_than",
    "低于": "less_than",
    "至多": "at_most",
    "最多": "at_most",
    "不足": "less_than",
    "少于": "less_than",
    "约": "about",
    "近": "about",
    "大约": "about",
    "接近": "about",
}
EN_BOUND_BEFORE: dict[str, str] = {
    "at least": "at_least",
    "no less than": "at_least",
    "more than": "more_than",
    "over": "more_than",
    "above": "more_than",
    "in excess of": "more_than",
    "at most": "at_most",
    "up to": "at_most",
    "no more than": "at_most",
    "less than": "less_than",
    "under": "less_than",
    "below": "less_than",
    "about": "about",
    "around": "about",
    "approximately": "about",
    "roughly": "about",
    "nearly": "about",
    "almost": "about",
    "some": "about",
    "near": "about",
}
#: Bound words right after the figure (``148台及以上``, ``5%左右``).
BOUND_AFTER: dict[str, str] = {
    "及以上": "at_least",
    "以上": "at_least",
    "及以下": "at_most",
    "以下": "at_most",
    "以内": "at_most",
    "左右": "about",
    "附近": "about",
    "上下": "about",
}
#: Written between the number and its unit (``300多家``, ``50余家``): more than.
CN_INFIX_MORE = ("多", "余")
EN_BOUND_AFTER: dict[str, str] = {"or more": "at_least", "or above": "at_least", "or less": "at_most"}

# --- periods -----------------------------------------------------------------------------------

#: Relative periods in Chinese (absolute dates are matched by pattern).
CN_PERIOD_WORDS = (
    "年初至今 本周 上周 下周 本月 上月 下月 今年 去年 明年 本年 年内 本年内 当日 当天 全天 今日 昨日 "
    "周一 周二 周三 周四 周五 周六 周日 年初 年末 年底 前三季度 上半年 下半年 全年 一季度 二季度 三季度 四季度 "
    "近三年 近两年 近一年 近五年 近十年 近一周 近一月 近一个月 盘中 午后 早盘 尾盘 节前 节后 春节 假期 "
    "当月 当周 当季 当年 月末 月初 月内 周内 季末 季初 同期 "
    "第一季度 第二季度 第三季度 第四季度 第一财季 第二财季 第三财季 第四财季 一财季 二财季 三财季 四财季 "
    "下季度 上季度 本季度 下一季度 "
    "报告期内 报告期末 报告期 本季度 本季 单季度 单季 基日以来 成立以来 上市以来 "
    "未来三年 未来两年 过去三年 过去五年 过去一年 一个月 三个月 六个月"
).split()
EN_PERIOD_WORDS = (
    "this week|last week|next week|over the week|for the week|this month|last month|over the month|this year|"
    "last year|year to date|year-to-date|YTD|today|yesterday|on Friday|on Monday|on Tuesday|on Wednesday|"
    "on Thursday|in the quarter|over the quarter|on the week|on the month|on the day|on the quarter"
).split("|")
EN_MONTHS = (
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
).split()
#: Frequency words dropped from subjects (``每股股息每年至少增10%``).
FREQUENCY_WORDS = ("每年", "每月", "每季度", "每周", "每日", "每天", "per year", "a year", "a day", "per day")

# --- subjects ----------------------------------------------------------------------------------

#: Stripped from the end of a subject (repeatedly): verbs, relations, bounds, linking words.
CN_TRAILING = (
    "回升至 回落至 上升至 下降至 下行至 上行至 升至 降至 增至 减至 跌至 涨至 收窄至 扩大至 回升到 上涨到 下跌到 "
    "提升至 提高至 增长至 增加至 减少至 降低至 下滑至 下跌至 上涨至 攀升至 放缓至 上调至 下调至 反弹至 走高至 走低至 "
    "抬升至 收缩至 萎缩至 加快至 提升到 提高到 增长到 下降到 上升到 回落到 "
    "分别为 分别是 分别 合计 共计 累计 共 总计 为 是 报 收报 收于 达到 达 至 到 录得 "
    "持续为正 为正 为负 持续 继续 维持 延续 保持 一度 边际 小幅 大幅 略有 略 明显 显著 均 都 也 仍 已 将 或 有望 预计 "
    "通常 往往 一般 仅 约 近 超过 超 逾 至少 不少于 不低于 不足 大约 接近 达或超 "
    "同比 环比 较上周 较前一周 较上月 较上个交易日 较前一交易日 较前一日 较昨日 较年初 较去年同期 较上年同期 "
    "比上年同期 比去年同期 较同期 比同期 前值 由 从 在 于 的 后 有 目标 目标是 "
    "涨幅 跌幅 增幅 降幅 上涨 下跌 回升 回落 上升 下降 增长 增加 减少 下滑 提升 提高 上行 下行 走高 走低 攀升 "
    "反弹 放量 缩量 扩大 走阔 收窄 涨 跌 升 降 增 减 多 少 净流入 净流出 流入 流出 上扬 转正 转负 净回笼 "
    "单月 连续 已连续 处于 位于 居于 基于 包含 含 采用 支持 可处理 处理 构成 占 收录 覆盖 涉及 持有 "
    "跌破 突破 升破 站上 站稳 重回 重返 回到 逼近 触及 创下 贡献 发行 普遍 大多 "
    "整体 变动 变化 新增 预测 已经 稳定 保持低位 保持高位 引进 包括 净增 净减 开盘 与 低至 高至 最高 最低 上看 "
    "微降 微增 微升 微跌 微涨 优化 需 须 应 大于 高于 小于 低于"
).split()
#: Nouns that end in a trailing word but must stay whole (``年报`` is not ``年`` + ``报``).
CN_TRAILING_EXCEPT = (
    "策略 战略 忽略 简略 年报 周报 月报 季报 日报 行为 人均 日均 月均 周均 平均 作为 认为 最多 更多 较多 "
    "参与 给与 自有 国有 私有 所有 公有 共有 内需 外需 必需 供应 响应 效应 对应 适应 反应"
).split()
EN_TRAILING = (
    "rose fell gained lost increased decreased declined dropped climbed grew slowed eased jumped surged slid "
    "rise fall gain increase decrease decline drop climb grow year on year year-on-year yoy "
    "was were is are stood stayed remained reached hit averaged trades traded trading closed close ended "
    "reported posted recorded targets guided "
    "exceeded exceeds exceed stands stand rises falls gains slide slides sink sinks sank hits "
    "edged edges dipped dips ticked inched jump jumps surge surges slip slips tops topped hovered hovers "
    "totalled totaled totals amounted accounted represented "
    "easing slowing rising falling climbing dropping sliding reaching hitting totalling totaling amounting "
    "accounting representing averaging standing hovering exceeding topping jumping surging dipping "
    "declining increasing gaining growing revised reduced raised lowered trimmed remain remains closing "
    "had has have been registered called "
    "versus vs or "
    "up down by to from at of about around approximately nearly almost over above below under back again further "
    "in for on within after since during stood "
    "at least more than less than at most up to some and with while but the a an its their"
).split()
#: Words a subject may start with although they begin with a leading word (``在建工程`` is not ``在`` + ``建工程``).
CN_LEADING_EXCEPT = (
    "在建 在运 在营 在管 在手 在售 在产 在研 对外 对应 对公 对私 共享 达成 约束 和解 还款 还原 其他 其余 其后 "
    "较大 较高 较低 该股 仍然 目标价"
).split()
#: Stripped from the start of a subject.
CN_LEADING = (
    "且 而 但 还 其中 同时 另外 此外 其 即 则 和 与 及 以及 但是 并且 这 该 当前 目前 预计 从 由 在 对 "
    "较 仍 也 达 为 高于 低于 领先于 领先 落后于 约 近 分别 合计 共 目标 目标是 假设 若 如 以来 至今 预测 此前 最终 的 "
    "开始 维持 仅 将 拟 截至 截止"
).split()
EN_LEADING = (
    "and or while but with whereas versus vs as from the a an its their our we of in on at to for "
    "which there it this that these those revised reportedly"
).split()
#: Verbs inside a subject: the subject is what follows the last one (``公司此前提出未来五年``).
CN_INNER_VERBS = (
    "提出 完成 实现 推动 认为 显示 表明 通过 获得 披露 宣布 公告 发布 指出 目标是 低开 高开 获支撑 对应 预计 派发 "
    "承诺 测算 估算 给予 拟以 由于 受益于 得益于 主要系 上调 下调 上修 下修 增厚 建成 取得 居前 录得 具备"
).split()
EN_INNER_VERBS = [
    *(
        "reported posted recorded approved guided announced said expects expected targets set saw raise raised "
        "lift lifted cut lower lowered maintain maintained upgrade upgraded downgrade downgraded "
        "expect trim trims trimmed implying implies imply lowers cuts raises lifts maintains reiterates reiterated "
        "upgrades downgrades sets achieved achieving achieves reached reaching delivered generated representing "
        "reflecting indicating sees has had initiate initiates initiated topping beating missing"
    ).split(),
    "compared to",
    "points to",
    "we forecast",  # forecast alone is as often a noun
    "we estimate",
]
#: ``yields to peak near 1.65%``, ``expected to reach 2.1mn TEU``: the subject ends before ``to`` and one of these.
EN_TO_VERBS = (
    "peak bottom reach hit rise fall climb drop decline grow increase decrease slow accelerate remain stay exceed "
    "top average settle end return recover rebound stabilise stabilize ease edge widen narrow improve"
).split()
#: An English verb after one of these (``could push``, ``is tracking``) is cut from the subject.
EN_AUXILIARIES = "could would may might will should can is are was were been be".split()
#: After a count (``16台新型混合动力钻机已运营``) the counted noun ends before one of these.
CN_NOUN_STOPS = (
    "上涨 下跌 收平 上市 发行 问询 终止 运营 投入 使用 参与 达到 实现 完成 获得 披露 公告 涨幅 跌幅 为 有 已 均 将 在 "
    "被 的 获 同比 环比 较 占 合计 共 累计 分别 等 均值 新发 以及 和 与 及"
).split()
#: A count whose clause starts with one of these scopes keeps it (``全市场2398只个股`` → ``全市场个股``).
CN_SCOPES = (
    "全市场 两市 沪市 深市 沪深两市 北交所 上交所 深交所 港股 A股 美股 全国 全球 全行业 行业 板块 市场 "
    "创业板 科创板 主板"
).split()
#: A subject that is only one of these takes the subject it modifies from the context.
MEASURE_PREFIXES = ("日均", "月均", "周均", "平均", "单月", "单日", "单周")
MEASURE_SUFFIXES = ("TTM同比", "TTM", "同比增速", "增速", "均值", "中值", "占比", "同比")
#: Measure nouns shared by a list before 分别 (``上证综指与创业板指数平均市盈率分别为14.15倍、38.02倍``).
SHARED_MEASURES = (
    "市盈率 市净率 市销率 PE PB PS 估值 成交额 成交量 收益率 涨幅 跌幅 增速 占比 换手率 规模 利率 价格 股息率"
).split()
SHARED_MODIFIERS = ("平均", "日均", "整体", "加权", "中位数")


# --- lists, years and change (metric_lists.py) ---------------------------------------------------

#: The last character of a name that is a whole measure already (``营收/归母净利润``): such names do not
#: share the last name's tail.  ``销售/管理/财务费用率`` shares ``费用率``; ``国内/海外收入`` shares ``收入``.
LIST_MEASURE_ENDINGS = frozenset("收润率额量价数比速值本入费利差息税损益盈亏格流货支产债")
#: What qualifies a measure rather than naming a thing of its own (``存货/归母净利润``).
MEASURE_MODIFIERS = frozenset(("归母", "扣非", "单季", "累计", "合计", "整体", "平均", "经营", "调整"))
#: Measures that names of any length share when the last one ends with them (longest first).
SHARED_TAILS = tuple(
    sorted(
        (
            "毛利率 净利率 费用率 收入 营收 销量 营业收入 增速 占比 市占率 出货量 成交额 成交量 销售额 规模 价格 "
            "净利润 利润 均价 单价 产量 出口量 进口量 库存 开工率 产能 利用率"
        ).split(),
        key=len,
        reverse=True,
    )
)
#: Measures a run of two-character names may share (``销售管理研发财务费用率``).
COMPOUND_TAILS = ("费用率", "费用", "收入", "营收", "毛利率", "利润", "成本", "销量")
#: Before a range of two-digit years, what makes it a duration (``未来10-15年``); compare DURATION_CUES
#: (a number of years that is a duration, not a year) and SHORT_YEAR_NOT_AFTER (a two-digit year).
YEAR_RANGE_DURATION_CUES = ("未来", "近", "过去", "长达", "超过", "约", "逾", "over", "next", "past")
#: Before a two-digit year with 年 (``24年利润``), what makes it a number of years instead (``近10年``).
SHORT_YEAR_NOT_AFTER = ("近", "过去", "未来", "超", "约", "逾", "达", "第", "连续", "满")
#: Relations that are a basis of comparison (not ``from``/``to``/``prior``).
BASES = frozenset(("yoy", "qoq", "seq", "mom", "wow", "dod", "vs"))
#: Units that only ever measure a change (``+3.3pcts``, ``-25bp``).
CHANGE_UNITS = frozenset(
    ("pcts", "pct", "pct pts", "pp", "ppt", "ppts", "bp", "bps", "个百分点", "百分点", "个bp", "BP", "BPS")
)
#: Words that make a signed figure a change without a direction (``涨跌幅 -0.33%``).
SIGNED_CHANGE_WORDS = ("涨跌幅", "涨跌", "变动", "变化", "增速", "增长率", "增幅", "增长", "change", "chg", "growth")
#: A table column whose cells are changes (``同比增长率(%)``).
GROWTH_COLUMNS = ("增长率", "增速", "同比", "增幅", "growth", "YoY", "yoy")

# --- other subject words ---------------------------------------------------------------------------

#: ``6个月评级``, ``12个月高/低``: after a number of months, the horizon of a rating or a price range.
MONTHS_NAMING = ("评级", "目标价", "目标", "高", "低", "最高", "最低", "内")
#: ``公司营收`` → ``营收``: the company a report is about, as a generic word.
GENERIC_COMPANY = ("公司", "本公司", "该公司")
#: Words before a measure that do not name whose it is (``其中营收``, ``单季营收``).
NOT_OWNERS = frozenset(
    "其中 合计 累计 单季 单季度 全年 当期 同期 本期 集团 整体 行业 板块 国内 海外 境内 境外 实现 对应".split()
)
#: ``, which is 6.0%``: a subject that is only a pronoun takes the clause's before.
PRONOUNS = frozenset(("which", "there", "it", "this", "that", "these", "those", "they"))
#: Words that are not a company although a heading may start with them (metric_entities.py).
NOT_COMPANY_NAMES = frozenset(
    "公司 行业 板块 市场 整体 重点公司 个股 海外 国内 全球 中国 本周 上周 本月 风险 投资 盈利 估值 财务 业务 "
    "产品 Summary Key Investment Valuation Risks Risk Core Financial Earnings Outlook Company Report".split()
)
