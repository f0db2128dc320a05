"""The words of a question that are not the base's names: question words (kinds, places to group by,
money, amounts, counts, when), dates, article numbers and the words of metrics, in English and Chinese.
Everything here is data or a pure function of the question's text: no database."""

from __future__ import annotations

import re
import unicodedata

from ...text import loose


def _words(tag: str, text: str) -> dict[str, str]:
    return {w.strip(): tag for w in text.split("|") if w.strip()}


QUESTION_WORDS: dict[str, str] = {
    **_words("kind:law", "law|laws|legislation|regulation|regulations|policy|policies|policy document|"
                         "statute|statutes|rule|rules|法律|法规|政策|政策文件|条例|规定|文件|办法|法"),
    **_words("kind:pilot", "pilot|pilots|piloted|piloting|trial|trials|trialled|trialed|being piloted|"
                           "试点|试验|改革试点|先行先试"),
    **_words("kind:model", "model|models|mode|modes|模式|转化模式"),
    **_words("kind:practice", "practice|practices|initiative|initiatives|实践|经验|案例|case|cases"),
    # what a place does about something: its practices, pilots and documents (若干措施 are laws here)
    **_words("kinds:done", "measure|measures|做法|措施|举措|具体做法|具体措施|举措"),
    **_words("group:blockage", "blockage|blockages|obstacle|obstacles|barrier|barriers|bottleneck|bottlenecks|"
                               "block|blocks|blocking|hindering|"
                               "堵点|难点|障碍|瓶颈|梗阻|痛点|难题"),
    # a question about what is wrong (not grouped by blockage: 问题 also ends questions about remedies)
    **_words("problem", "问题|短板|不足|困境|制约|弊端|挑战|难在哪|什么问题|哪些问题|缺乏|缺少|"
                        "problem|problems|shortcoming|shortcomings|weakness|weaknesses|difficulty|difficulties|"
                        "challenge|challenges|reluctant|reluctance|lack|lacks|lacking|stand in the way|"
                        "holds back|hold back|hinder|hinders|obstruction|obstructions"),
    # a question about remedies: what is done about a problem
    **_words("remedy", "解决|破解|应对|对策|打通|改善|分担|化解|克服|疏通|缓解|建议|如何改进|怎么改善|"
                       "solve|solved|solves|address|addressed|tackle|tackled|overcome|remedy|remedies|fix|fixed|"
                       "improve|improved|proposed|propose|proposals|help|helps|cure|clear|ease"),
    **_words("why", "why|为什么|为何|为啥|原因|成因|何以"),
    **_words("when", "when|since when|what year|which year|什么时候|何时|哪年|哪一年|几时|什么时间"),
    **_words("level:city", "city|cities|municipal|城市|市|哪些城市|哪个城市"),
    **_words("level:province", "province|provinces|provincial|省|省份|哪些省|哪个省|哪些省份"),
    **_words("level:country", "country|countries|nation|nations|哪些国家|哪个国家"),
    **_words("group", "where|which region|which regions|which places|哪里|哪儿|哪些地方|哪些地区|在哪|在哪里|何地"),
    **_words("money", "fund|funds|funded|finance|finances|financed|financing|money|pay|pays|paid|paying|give|"
                      "gives|giving|invest|invests|invested|spend|spends|spent|subsidise|subsidises|subsidize|"
                      "subsidizes|资金|经费|出资|拨款|钱|投入资金|财政资金|扶持资金|资助|补贴|补助|奖补|奖励资金|"
                      "财政补贴|资金支持"),
    **_words("amount", "how much|how big|how large|how high|what share|what percentage|what proportion|"
                       "what rate|多少|多少钱|多大|几何|多高|几成|百分之几"),
    **_words("count", "how many|number of|多少家|多少个|多少项|多少所|多少人|多少名|几家|几个|几项|几所|数量|"
                      "几次|多少次|多少款|几款|多少件|多少条|几条"),
    **_words("compare", "compare|compared|comparison|versus|vs|比较|对比|相比|相比较"),
    **_words("stop", "which|what|who|whom|whose|how|does|do|did|is|are|was|were|be|been|the|a|an|of|"
                     "to|for|in|on|by|at|with|and|or|that|this|these|those|there|their|its|it|any|about|from|"
                     "into|has|have|had|get|gets|got|set|up|done|doing|make|makes|made|use|uses|used|support|"
                     "supports|supporting|supported|addresses|tackles|"
                     "deal|deals|promote|promotes|encourage|encourages|tell|me|list|show|give me|"
                     "say|says|said|between|each|own|per|than|much|many|"
                     "哪些|有哪些|有什么|什么|怎样|怎么|怎么样|如何|为什么|是否|是不是|哪个|哪|的|了|吗|呢|吧|"
                     "以及|可以|针对|关于|采取|采用|进行|开展|推动|推进|促进|支持|实施|出台|提出|"
                     "建立|一下|请问|各地|是什么|有没有|怎么做|如何做|设立|成立|设置|推出|发布|印发|分别|分别是|"
                     "主要|具体|内容|几种|哪几种|有哪几种|多少种|规定了什么|说了什么|讲了什么|有关|相关|情况|"
                     "establish|established|establishes|launch|launched|launches|create|created|creates|"
                     "build|builds|built|introduce|introduced|start|started|starts"),
}
# one-character words that carry no meaning when they stand alone between recognised words (对 in
# 杭州对中试基地…); inside a phrase they are left alone (能 in 人工智能, 用 in 用户)
FUNCTION_CHARS = frozenset("有是在和与及对给为把被于由向都也还又能会做用请呀啊各等将已其该这那")
EXTRA = {loose(k): [v] for k, v in QUESTION_WORDS.items()}
CITY_LEVELS = ["city", "municipality"]
MONEY_UNITS = frozenset(("yuan", "eur", "usd"))
# words that ask for a number, left in the question as content (成交额 also matches a figure's quote)
AMOUNT_RE = re.compile(r"\b(?:how much|how many|how big|how large|how high|number of|amount|turnover|spending|"
                       r"budget|percentage|proportion|what share|what rate|size)\b|多少|多大|多高|成交额|交易额|金额|规模|数量|"
                       r"总额|总量|比例|占比|比重|增速|强度|上限|几[家个项所次款]|授权量|申请量|交易量|成交量|登记量|"
                       r"存量|增量|[化换]率|目标值")
SHARE_RE = re.compile(r"\b(?:shares?|rates?|ratios?|percent|percentage|proportions?|growth|grow|grows|increase|"
                      r"increases|intensity)\b|比例|占比|比重|比率|率|增长|增速|增幅|强度|百分")
TARGET_RE = re.compile(r"\b(?:targets?|aims?|goals?|plans?|planned|expects?|expected|by 20\d\d|to be built)\b|"
                       r"目标|力争|计划|规划|预计|将达|到20\d\d")
NATIONAL = frozenset(("全国", "national", "nationwide", "全国范围", "全国各地"))
DETERMINERS = frozenset(("the", "a", "an", "this", "that", "its", "their", "his", "her", "our", "whose"))

# The words of metrics in Chinese, as the English words metric ids and labels are made of: a Chinese
# question names a metric (技术合同成交额: technology-contract-turnover) through them.
METRIC_WORDS: dict[str, str] = {
    "技术合同": "technology contract", "技术交易": "technology trade", "成交额": "turnover",
    "成交金额": "turnover", "交易额": "turnover trade value", "合同数": "contracts", "合同数量": "contracts",
    "合同项数": "contracts", "登记量": "contracts", "转化率": "transfer rate", "成果转化率": "transfer rate",
    "产业化率": "industrialisation rate", "发明专利": "invention patent", "专利": "patent",
    "研发投入": "rd spending", "研发经费": "rd spending", "研发支出": "rd spending", "研究与试验发展经费": "rd spending",
    "投入强度": "rd intensity", "研发强度": "rd intensity", "研发投入强度": "rd intensity", "增长": "growth",
    "增速": "growth", "增幅": "growth", "目标": "target", "高新技术企业": "high tech enterprise",
    "高企": "high tech enterprise", "科技型中小企业": "tech based sme", "孵化器": "incubator",
    "技术经理人": "technology manager", "技术经纪人": "technology broker", "基金规模": "fund size",
    "总规模": "fund size", "补贴上限": "subsidy cap", "最高补贴": "subsidy cap", "最高奖补": "award cap",
    "概念验证中心": "poc centre", "中试基地": "pilot base", "高校": "university", "大学": "university",
    "科研院所": "institute institution", "研究机构": "research institution", "技术转移机构": "tto",
    "占比": "share", "比例": "share", "比重": "share", "排名": "rank", "位次": "rank", "人数": "person",
    "企业": "enterprise firm", "项目": "project", "成果": "result", "收入": "income", "融资": "financing",
    "投资": "investment invested", "基础研究": "basic research", "国际专利": "pct", "创新指数": "innovation index",
    "示范区": "demonstration zone", "分中心": "sub centre branch centre", "服务机构": "service entity",
}

# English words that say the same as a metric's word
METRIC_SYNONYMS = {"aim": "target", "goal": "target", "objective": "target", "plan": "target",
                   "office": "tto", "deal": "contract", "value": "turnover", "sales": "turnover"}

# ---------------------------------------------------------------- dates

_Y = r"((?:19|20)\d{2})"
_DATE_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(rf"between\s+{_Y}\s+and\s+{_Y}", re.IGNORECASE), "range"),
    (re.compile(rf"(?:from\s+)?{_Y}\s*(?:-|–|—|to|until|至|到|~|～)\s*{_Y}\s*年?", re.IGNORECASE), "range"),
    (re.compile(rf"{_Y}\s*年\s*(\d{{1,2}})\s*月(?:份)?"), "month"),
    (re.compile(rf"(?:since|from|starting)\s+{_Y}", re.IGNORECASE), "since"),
    (re.compile(rf"after\s+{_Y}", re.IGNORECASE), "after"),
    (re.compile(rf"(?:自|从|從)?\s*{_Y}\s*年?\s*(?:以来|以來|以后|以後|之后|之後|起|开始|開始|至今)"), "since"),
    (re.compile(rf"(?:自|从|從)\s*{_Y}\s*年?"), "since"),
    (re.compile(rf"before\s+{_Y}", re.IGNORECASE), "before"),
    (re.compile(rf"(?:until|till|through|by|up to)\s+{_Y}", re.IGNORECASE), "until"),
    (re.compile(rf"{_Y}\s*年?\s*(?:以前|之前|前)"), "before"),
    (re.compile(rf"(?:in|during|for|of)?\s*{_Y}\s*年?(?:度)?", re.IGNORECASE), "year"),
]


# a year a figure is compared with is not the period asked (a multiple of 2012, compared with 2012)
_BASE_YEAR = re.compile(rf"(?:multiple of|relative to|compared (?:to|with)|than|versus|vs\.?|比)\s*{_Y}\s*年?",
                        re.IGNORECASE)


def read_dates(text: str) -> tuple[str, str | None, str | None, list[str]]:
    """The question without its date expressions, the since and until dates, and the expressions read."""
    text = unicodedata.normalize("NFKC", text)  # full-width digits
    text = _BASE_YEAR.sub(lambda m: m.group().replace(m.group(1), " "), text)
    since = until = None
    found: list[str] = []
    for rx, kind in _DATE_PATTERNS:
        m = rx.search(text)
        if not m:
            continue
        g = m.groups()
        if kind == "range":
            since, until = min(g[0], g[1]), max(g[0], g[1])
        elif kind == "month" and 1 <= int(g[1]) <= 12:
            since = until = f"{g[0]}-{int(g[1]):02d}"
        elif kind == "since":
            since = g[0]
        elif kind == "after":
            since = str(int(g[0]) + 1)
        elif kind == "until":
            until = g[0]
        elif kind == "before":
            until = str(int(g[0]) - 1)
        elif kind == "year":
            since = until = g[0]
        else:
            continue
        found.append(m.group().strip())
        text = text[:m.start()] + " " + text[m.end():]
        if since and until:
            break
    return text, since, until, found


# ---------------------------------------------------------------- articles

# 第十四条, 第14条, 第十四條 (folded: 条), article 14, art. 14, section 14, § 14
ARTICLE_RE = re.compile(r"第\s*([一二三四五六七八九十百零〇两\d]+)\s*[条條]|"
                        r"(?:\barticles?|\barts?\.?|\bsections?|\bsecs?\.?|§)\s*(\d+)", re.IGNORECASE)
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def article_number(m: re.Match) -> int | None:
    """第十四条 -> 14, article 14 -> 14."""
    s = m.group(1) or m.group(2)
    if s.isdigit():
        return int(s)
    total, current = 0, 0
    for ch in s:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
    return total + current or None


# ---------------------------------------------------------------- names

# the last words of an organisation's name: a question naming one is about it (南开大学, Nankai University)
_ORG = r"(?:大学|学院|研究院|研究所|科学院|公司|集团|银行|医院|实验室|协会|学会|基金会|委员会|管委会|交易所|交易中心|研究中心)"
ORG_SUFFIX_ZH = re.compile(_ORG + "$")
# an organisation's name in a run of Chinese: from the run's start, or after a particle, to the first suffix
ORG_NAME_RE = re.compile(r"(?:^|(?<=[的把在对有是给为和与及跟同向]))[^的把在对有是给为和与及跟同向]{1,12}?" + _ORG)
ORG_SUFFIX_EN = frozenset(("university", "college", "institute", "academy", "company", "corporation", "corp",
                           "group", "bank", "hospital", "laboratory", "lab", "association", "foundation",
                           "inc", "ltd", "limited", "ministry", "bureau", "commission", "exchange", "park"))
# a short name of an organisation at a question's start (工研院, 科技部): to the first of these characters
SHORT_ORG_RE = re.compile(r"^[^的把在对有是给为和与及]{1,3}?[院所局厅委社司署]")
# particles after which a name at the start of a Chinese question is its subject (南开大学把…, 华为的…)
SUBJECT_AFTER = ("的", "把", "在", "对", "有", "是", "给", "如何", "怎样", "怎么", "将", "通过", "采取", "推出",
                 "设立", "出台", "建立", "开展", "实行", "规定")
