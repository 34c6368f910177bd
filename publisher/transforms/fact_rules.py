"""The words of research facts: rating grades and their scale, rating actions, currencies,
exchanges, forecast indicators and what a report title's head says when it is not a company.

The one home of these tables: :mod:`publisher.transforms.facts` builds its patterns from them.
"""

from __future__ import annotations

# --- ratings ------------------------------------------------------------------------------------

#: Chinese grades as brokers write them, and their place on the scale (``publisher.model.RATING_SCALE``).
CN_GRADES: dict[str, str] = {
    "买入": "buy",
    "买进": "buy",
    "强烈推荐": "buy",
    "强推": "buy",
    "强烈买入": "buy",
    "推荐": "outperform",
    "增持": "outperform",
    "审慎增持": "outperform",
    "谨慎增持": "outperform",
    "谨慎推荐": "outperform",
    "优于大市": "outperform",
    "跑赢大市": "outperform",
    "跑赢行业": "outperform",
    "领先大市": "outperform",
    "强于大市": "outperform",
    "优于行业": "outperform",
    "超配": "outperform",
    "超越大市": "outperform",
    "中性": "neutral",
    "持有": "neutral",
    "标配": "neutral",
    "同步大市": "neutral",
    "同步行业": "neutral",
    "区间操作": "neutral",
    "减持": "underperform",
    "弱于大市": "underperform",
    "跑输行业": "underperform",
    "跑输大市": "underperform",
    "低配": "underperform",
    "回避": "underperform",
    "卖出": "sell",
    "看好": "outperform",
}

#: English grades (matched without regard to case) and their place on the scale.
#: The scales from the most to the least favourable (``to Buy from Hold`` is an upgrade).
SCALE_ORDER = ("buy", "outperform", "neutral", "underperform", "sell")
EN_GRADES: dict[str, str] = {
    "strong buy": "buy",
    "buy": "buy",
    "conviction buy": "buy",
    "outperform": "outperform",
    "market outperform": "outperform",
    "outperform the market": "outperform",
    "sector outperform": "outperform",
    "overweight": "outperform",
    "accumulate": "outperform",
    "add": "outperform",
    "moderate buy": "outperform",
    "neutral": "neutral",
    "hold": "neutral",
    "equal-weight": "neutral",
    "equal weight": "neutral",
    "market perform": "neutral",
    "sector perform": "neutral",
    "peer perform": "neutral",
    "in-line": "neutral",
    "underperform": "underperform",
    "market underperform": "underperform",
    "underperform the market": "underperform",
    "underweight": "underperform",
    "reduce": "underperform",
    "sell": "sell",
    "strong sell": "sell",
}

#: Words before a Chinese grade that say what the statement does to the rating.
CN_ACTIONS: dict[str, str] = {
    "首次覆盖": "first",
    "首次给予": "first",
    "首次推荐": "first",
    "首次评级": "first",
    "首次": "first",
    "首予": "first",
    "维持": "maintain",
    "重申": "maintain",
    "继续给予": "maintain",
    "继续维持": "maintain",
    "上调至": "upgrade",
    "上调为": "upgrade",
    "上调": "upgrade",
    "调高至": "upgrade",
    "调高": "upgrade",
    "升至": "upgrade",
    "降至": "downgrade",
    "提升至": "upgrade",
    "上修至": "upgrade",
    "下调至": "downgrade",
    "下调为": "downgrade",
    "下调": "downgrade",
    "调低至": "downgrade",
    "调低": "downgrade",
}

#: Words before a Chinese grade that give it without saying what changed (``给予"买入"评级``).
CN_GIVING = ("给予", "予以", "予", "评级为", "评级:", "评级：", "评级", "投资评级")

#: English words before a grade, and the action each says (``""``: gives it, action unknown).
EN_ACTIONS: dict[str, str] = {
    "initiate coverage with": "first",
    "initiated coverage with": "first",
    "initiating coverage with": "first",
    "initiates coverage with": "first",
    "initiate at": "first",
    "initiate with": "first",
    "initiated at": "first",
    "initiating at": "first",
    "initiate": "first",
    "initiates": "first",
    "initiated": "first",
    "initiating": "first",
    "maintain": "maintain",
    "maintains": "maintain",
    "maintained": "maintain",
    "maintaining": "maintain",
    "reiterate": "maintain",
    "reiterates": "maintain",
    "reiterated": "maintain",
    "reiterating": "maintain",
    "keep": "maintain",
    "keeps": "maintain",
    "kept": "maintain",
    "retain": "maintain",
    "retains": "maintain",
    "remain at": "maintain",
    "stay at": "maintain",
    "upgrade": "upgrade",
    "upgrades": "upgrade",
    "upgraded": "upgrade",
    "upgrading": "upgrade",
    "downgrade": "downgrade",
    "downgrades": "downgrade",
    "downgraded": "downgrade",
    "downgrading": "downgrade",
    "upgrade to": "upgrade",
    "upgrades to": "upgrade",
    "upgraded to": "upgrade",
    "upgrading to": "upgrade",
    "downgrade to": "downgrade",
    "downgrades to": "downgrade",
    "downgraded to": "downgrade",
    "downgrading to": "downgrade",
    "raise": "upgrade",
    "raises": "upgrade",
    "raised": "upgrade",
    "lift": "upgrade",
    "lifts": "upgrade",
    "lifted": "upgrade",
    "lower": "downgrade",
    "lowers": "downgrade",
    "lowered": "downgrade",
    "cut": "downgrade",
    "cuts": "downgrade",
    "revise": "",
    "revises": "",
    "revised": "",
    "assign": "",
    "assigns": "",
    "assigned": "",
    "rate": "",
    "rates": "",
    "rated": "",
    "rating of": "",
    "rating:": "",
    "with a": "",
    "with an": "",
}

#: A grade in parentheses after it, saying the action: ``买入(维持)``, ``Buy (maintained)``.
AFTER_ACTIONS: dict[str, str] = {
    "维持": "maintain",
    "首次": "first",
    "首次覆盖": "first",
    "上调": "upgrade",
    "下调": "downgrade",
    "maintain": "maintain",
    "maintained": "maintain",
    "initiate": "first",
    "initiated": "first",
    "upgrade": "upgrade",
    "upgraded": "upgrade",
    "downgrade": "downgrade",
    "downgraded": "downgrade",
}

#: A grade followed by one of these is not a rating (``推荐组合``, ``买入并持有``, ``买入时点``).
CN_NOT_AFTER_GRADE = (
    "组合",
    "并",
    "时点",
    "时机",
    "机会",
    "逻辑",
    "理由",
    "标的",
    "个股",
    "方向",
    "关注",
    "配置",
    "资金",
    "持仓",
    "信号",
    "金额",
    "规模",
)

#: A rating of the industry, not of a company (``维持行业"推荐"评级``).
INDUSTRY_WORDS = ("行业", "板块", "industry", "sector")

# --- target prices --------------------------------------------------------------------------------

#: Currencies written after a number.
CN_CURRENCIES: dict[str, str] = {
    "港元": "HKD",
    "港币": "HKD",
    "美元": "USD",
    "人民币": "CNY",
    "元人民币": "CNY",
    "元": "CNY",
    "日元": "JPY",
    "欧元": "EUR",
    "英镑": "GBP",
    "新台币": "TWD",
    "euro": "EUR",
    "euros": "EUR",
    "yen": "JPY",
    "yuan": "CNY",
    "rupees": "INR",
    "HKD": "HKD",
    "USD": "USD",
    "RMB": "CNY",
    "CNY": "CNY",
    "HK$": "HKD",
    "US$": "USD",
    "KRW": "KRW",
    "JPY": "JPY",
    "EUR": "EUR",
    "INR": "INR",
    "VND": "VND",
    "TWD": "TWD",
}

#: Currency signs written before a number.
PREFIX_CURRENCIES: dict[str, str] = {
    "HK$": "HKD",
    "HKD": "HKD",
    "US$": "USD",
    "USD": "USD",
    "$": "USD",
    "RMB": "CNY",
    "CNY": "CNY",
    "Rmb": "CNY",
    "¥": "CNY",
    "￥": "CNY",
    "€": "EUR",
    "£": "GBP",
    "NT$": "TWD",
    "S$": "SGD",
    "A$": "AUD",
    "C$": "CAD",
    "Rs": "INR",
    "INR": "INR",
    "₹": "INR",
    "VND": "VND",
}

#: The currency a price is quoted in, by exchange, when the text writes none.
EXCHANGE_CURRENCIES = {"SH": "CNY", "SZ": "CNY", "BJ": "CNY", "HK": "HKD", "US": "USD", "JP": "JPY"}

#: Words that name a target price.
CN_TARGET_WORDS = ("目标价格", "目标价位", "目标股价", "目标价", "合理价值", "合理价格", "合理股价")
EN_TARGET_WORDS = ("target price", "price target", "TP", "PT", "price objective", "fair value")

#: Words that name the current price a target is compared with.
CN_PRICE_WORDS = ("现价", "当前股价", "最新股价", "当前价格", "收盘价", "最新收盘价", "当前价", "现股价")
EN_PRICE_WORDS = ("current price", "current share price", "last close", "closing price", "share price of")

# --- valuation ------------------------------------------------------------------------------------

#: Words before a multiple that make it the basis of a valuation (``给予2025年13-14倍PE``).
VALUATION_CUES = ("给予", "按照", "按", "基于", "采用", "参考", "取", "目标估值")
#: Multiples a valuation is based on.
MULTIPLES = (
    "EV/EBITDA",
    "EV/EBIT",
    "EV/Sales",
    "P/E",
    "P/B",
    "P/S",
    "PEG",
    "PE",
    "PB",
    "PS",
    "市盈率",
    "市净率",
    "市销率",
)
#: Methods named on their own.
VALUATION_METHODS = (
    "DCF",
    "SOTP",
    "DDM",
    "分部估值",
    "绝对估值",
    "相对估值",
    "PB-ROE",
    "P/B-ROE",
    "sum-of-the-parts",
    "sum of the parts",
    "discounted cash flow",
)

# --- companies --------------------------------------------------------------------------------------

#: A six-digit A-share code's exchange by its first digits.
A_SHARE_PREFIXES = (
    ("60", "SH"),
    ("68", "SH"),
    ("90", "SH"),
    ("00", "SZ"),
    ("30", "SZ"),
    ("20", "SZ"),
    ("92", "BJ"),
    ("8", "BJ"),
    ("4", "BJ"),
)

#: Suffixes of tickers and the exchange each names.
TICKER_SUFFIXES = {
    "SH": "SH",
    "SS": "SH",
    "SZ": "SZ",
    "BJ": "BJ",
    "HK": "HK",
    "O": "US",
    "OQ": "US",
    "N": "US",
    "US": "US",
    "A": "US",
    "T": "JP",
}

#: Exchanges written before a ticker (``NASDAQ: AAPL``).
EXCHANGE_PREFIXES = {
    "NASDAQ": "US",
    "NYSE": "US",
    "Nasdaq": "US",
    "NYSEARCA": "US",
    "OTCMKTS": "US",
    "TSX": "CA",
    "ASX": "AU",
    "LON": "GB",
    "HKEX": "HK",
    "SEHK": "HK",
    "SSE": "SH",
    "SZSE": "SZ",
    "NSE": "IN",
    "BSE": "IN",
    "BOM": "IN",
}

#: Words in a title's head before ``:`` that make it a kind of report, not a company.
REPORT_KIND_WORDS = (
    "行业",
    "周报",
    "月报",
    "日报",
    "季报",
    "年报",
    "晨报",
    "晨会",
    "早报",
    "点评",
    "快评",
    "策略",
    "专题",
    "宏观",
    "观察",
    "跟踪",
    "研究",
    "系列",
    "报告",
    "周观",
    "月观",
    "策略",
    "组合",
    "持仓",
    "业绩",
    "总结",
    "展望",
    "纪要",
    "Research",
    "Alert",
    "Weekly",
    "Daily",
    "Monthly",
    "Note",
    "Report",
    "Outlook",
    "Update",
    "Review",
    "Strategy",
    "Morning",
)

#: Endings of a title's head that name a group of companies, not one (``上市险企``, ``新势力车企``).
GROUP_ENDINGS = ("险企", "车企", "房企", "药企", "券商", "银行们", "上市公司", "龙头", "企业")

#: Words a company's name ends with that are no name alone: a cue word cut before one of them was part
#: of the name (``呈和科技`` is not ``和`` + ``科技``).
NAME_TAILS = frozenset(
    (
        *("科技", "股份", "集团", "控股", "电子", "药业", "医药", "实业", "能源", "材料", "化学", "化工", "生物"),
        *("智能", "电气", "电力", "光电", "环境", "环保", "传媒", "物流", "银行", "证券", "保险", "食品", "机械"),
        *("汽车", "新材"),
    )
)

#: Endings of a title's head that name a broker retelling its view (``东方证券:维持快手-W"买入"评级``),
#: unless a ticker follows the name (``中信证券(600030):…`` is a report on the broker itself).
BROKER_ENDINGS = ("证券", "研究所", "期货")

#: Brokers and sources whose name may head a title (``高盛:中国半导体…``).
BROKERS = (
    "国泰海通",
    "国泰君安",
    "中信建投",
    "申万宏源",
    "高盛",
    "摩根士丹利",
    "大摩",
    "摩根大通",
    "小摩",
    "瑞银",
    "花旗",
    "美银",
    "野村",
    "麦格理",
    "中金",
    "中金公司",
    "汇丰",
    "巴克莱",
    "德银",
    "杰富瑞",
    "伯恩斯坦",
    "CFRA",
    "Goldman Sachs",
    "Morgan Stanley",
    "JPMorgan",
    "UBS",
    "Citi",
    "Jefferies",
    "Nomura",
    "Macquarie",
    "HSBC",
)

#: What a title's head is, when it names a market, an industry or a theme rather than a company
#: (a head holding one of :data:`REPORT_KIND_WORDS` is no company either).
NOT_COMPANY_TITLE_WORDS = (
    "大行评级",  # a Hong Kong news column: 大行评级丨建银国际:上调信达生物目标价…
    "市场",
    "分析",
    "板块",
    "指数",
    "周期",
    "要闻",
    "数据",
    "事件",
    "配置",
    "回顾",
    "前瞻",
    "固收",
    "金工",
    "量化",
    "期货",
    "债",
    "深度",
    "产业",
    "经济",
    "政策",
    "专家",
    "会议",
    "调研",
    "简评",
    "动态",
    "观点",
    "洞察",
    "聚焦",
    "视角",
    "复盘",
    "综述",
    "主题",
    "热点",
    "资讯",
    "快讯",
    "速递",
    "精选",
    "汇总",
    "一览",
    "出口",
    "进口",
    "通胀",
    "社融",
    "央行",
    "美联储",
    "海外",
    "全球",
    "中国",
    "美国",
    "港股",
    "美股",
    "A股",
    "北交所",
    "科创",
    "创业板",
    "保险业",
    "证券业",
    "医药",
    "医疗",
    "食品饮料",
    "白酒",
    "家电",
    "汽车",
    "电子",
    "计算机",
    "通信",
    "传媒",
    "军工",
    "机械",
    "化工",
    "建材",
    "钢铁",
    "煤炭",
    "有色",
    "电力",
    "公用",
    "交运",
    "地产",
    "农业",
    "农林牧渔",
    "纺织",
    "轻工",
    "商贸",
    "零售",
    "社服",
    "环保",
    "新能源",
    "光伏",
    "风电",
    "储能",
    "锂电",
    "半导体",
    "信创",
    "机器人",
    "人工智能",
    "AI",
    "算力",
    "黄金",
    "原油",
    "石油",
    "航空",
    "航运",
    "物流",
    "快递",
    "生猪",
    "养殖",
    "建筑",
    "基金",
    "ETF",
    "REITs",
    "转债",
    "利率",
    "汇率",
    "信用",
    "Market",
    "Macro",
    "Sector",
    "Industry",
)

#: Words that start a list of companies an industry report recommends.
CN_PICK_CUES = (
    "重点推荐",
    "推荐关注",
    "建议关注",
    "重点关注",
    "受益标的",
    "相关标的",
    "推荐标的",
    "关注标的",
    "核心标的",
    "标的包括",
    "标的:",
    "标的：",
    "个股方面",
    "推荐组合包括",
    "首推",
    "其次为",
    "次推",
    "组合包括",
    "推荐个股",
    "关注个股",
)

#: Items of such a list that are not companies.
NOT_PICKS = frozenset(
    (
        "政策",
        "资金",
        "业绩",
        "估值",
        "龙头",
        "公司",
        "个股",
        "标的",
        "行业",
        "板块",
        "机会",
        "方向",
        "主线",
        "需求",
        "供给",
        "价格",
        "进展",
        "变化",
        "情况",
        "风险",
        "催化",
        "节奏",
        "表现",
    )
)

#: Share-class marks after a Hong Kong name (``阿里巴巴-W``, ``网易-S``, ``首药控股-U``).
SHARE_CLASS_SUFFIXES = ("-SW", "-W", "-S", "-U", "-B", "-WR", "－W", "－S", "－U")

#: Words in the text before a code that show it is not preceded by the company's name
#: (``目标价在港股(9988.HK)``): the code then belongs to the report's company.
NOT_NAME_WORDS = ("目标价", "港股", "美股", "A股", "H股", "股价", "市值", "代码", "股票")

#: First digits of six-digit codes of funds (ETFs, LOFs), not companies.
FUND_CODE_PREFIXES = ("15", "16", "18", "50", "51", "52", "56", "58")

# --- forecasts ----------------------------------------------------------------------------------

#: Indicators of a forecast by the words of a figure's subject, most specific first:
#: (words the subject ends in or is, indicator).
FORECAST_INDICATORS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("扣非归母净利润", "扣非净利润", "扣非归母净利", "扣非后归母净利润"), "net_profit_adjusted"),
    (
        (
            "归母净利润",
            "归母净利",
            "归属母公司净利润",
            "归属于母公司股东的净利润",
            "归属母公司股东净利润",
            "净利润",
            "净利",
        ),
        "net_profit",
    ),
    (("营业总收入", "营业收入", "营收", "收入", "总收入"), "revenue"),
    (("每股收益", "每股盈利", "EPS", "摊薄EPS", "每股净收益"), "eps"),
    (("市盈率", "PE", "P/E"), "pe"),
    (("市净率", "PB", "P/B"), "pb"),
    (("ROE", "净资产收益率"), "roe"),
    (("毛利率",), "gross_margin"),
    (("EV/EBITDA",), "ev_ebitda"),
    (("EBITDA",), "ebitda"),
    (("revenue", "revenues", "sales"), "revenue"),
    (("net profit", "net income", "earnings"), "net_profit"),
)

#: The kind of unit each indicator's value has: ``money`` (any currency), or a base unit.
INDICATOR_UNITS = {
    "net_profit_adjusted": "money",
    "net_profit": "money",
    "revenue": "money",
    "eps": "money",
    "ebitda": "money",
    "pe": "multiple",
    "pb": "multiple",
    "ev_ebitda": "multiple",
    "roe": "ratio",
    "gross_margin": "ratio",
}
