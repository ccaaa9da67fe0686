"""Chinese text of world d: titles, paragraphs, names and the date formats lists and article heads use."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random
    from datetime import date

TOPICS = [
    "森林草原防灭火",
    "安全生产",
    "乡村振兴",
    "耕地保护",
    "城乡环境综合治理",
    "义务教育均衡发展",
    "医疗保障",
    "防汛减灾",
    "秸秆禁烧",
    "双拥",
    "河湖长制",
    "优化营商环境",
    "食品安全",
    "消防安全",
    "就业创业",
    "养老服务",
    "农村人居环境整治",
    "高标准农田建设",
    "民营经济发展",
    "粮食安全",
    "生猪稳产保供",
    "地质灾害防治",
    "文明城市创建",
    "招商引资",
    "重点项目建设",
    "燃气安全",
    "未成年人保护",
    "信访维稳",
    "禁毒宣传",
    "全民健身",
    "非物质文化遗产保护",
    "退役军人服务",
    "电信网络诈骗防范",
    "政务服务标准化",
]
TOWNS = [
    "城关镇",
    "新市镇",
    "白马镇",
    "高桥乡",
    "石龙镇",
    "永安镇",
    "龙泉镇",
    "太平镇",
    "金山镇",
    "清水乡",
    "双河镇",
    "青龙镇",
    "三星镇",
    "红岩乡",
    "文昌镇",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "明华建国军平志强伟芳敏静丽勇杰涛斌超辉刚霞红英玲桂兰德福成海波林"
SOURCES = ["政府办公室", "融媒体中心", "宣传部", "本网", "办公室", "政务服务和大数据局"]
# GB18030-only characters (not in GBK): a gb2312-declared site must be read as GB18030 to show them.
RARE = ["王䶮", "李䶮", "刘䶮"]

_TITLES: dict[str, list[str]] = {
    "news": [
        "{place}召开{topic}工作推进会",
        "{leader}调研{topic}工作",
        "{place}开展{topic}专项行动",
        "{town}扎实推进{topic}工作",
        "{place}举行{topic}培训会",
        "{town}{topic}工作取得阶段性成效",
        "{place}部署{topic}重点任务",
        "{leader}督导检查{topic}工作",
    ],
    "notice": [
        "关于{topic}的通知",
        "关于做好{year}年{topic}工作的通知",
        "{place}{topic}有关情况公示",
        "关于{topic}有关事项的公告",
        "关于开展{topic}检查的通知",
        "{year}年{topic}项目公示",
    ],
    "policy": [
        "{place}人民政府办公室关于印发《{place}{topic}实施方案》的通知",
        "《{place}{topic}管理办法》政策解读",
        "关于进一步加强{topic}工作的意见",
        "一图读懂《{topic}三年行动计划》",
    ],
    "personnel": [
        "{place}{year}年公开招聘事业单位工作人员拟聘用人员公示",
        "关于{person}等同志职务任免的通知",
        "{year}年{place}公开考调工作人员公告",
        "{place}干部任前公示",
    ],
    "plan": [
        "{place}{year}年{topic}工作计划",
        "{place}“十四五”{topic}专项规划",
        "{year}年{topic}工作要点",
        "{place}{topic}工作总结",
    ],
    "basic": ["机构职能", "领导分工", "内设机构及职责", "单位概况", "领导简介", "联系方式"],
    "other": [
        "{year}年{month}月财政预算执行情况",
        "{topic}项目资金使用情况公示",
        "{year}年部门预算公开",
        "{year}年{topic}专项资金分配结果公示",
    ],
    "survey": ["关于《{place}{topic}实施办法（征求意见稿）》公开征求意见的公告", "{topic}工作意见建议征集"],
    "interview": ["在线访谈：{topic}工作面对面", "{leader}做客在线访谈谈{topic}"],
    "service": ["{topic}办事指南", "{topic}事项办理流程", "{topic}服务指南（{year}年版）"],
    "exempt": ["信访工作指南", "信访事项办理流程", "来访接待时间及地点"],
}
_SENTENCES = [
    "为深入贯彻落实上级决策部署，切实做好{topic}各项工作，{place}结合实际制定了具体措施。",
    "会议指出，各乡镇、各部门要进一步提高思想认识，压紧压实工作责任，确保各项任务落地见效。",
    "会议强调，要坚持问题导向，聚焦薄弱环节，扎实开展隐患排查整治，坚决守牢安全底线。",
    "近日，{town}组织干部职工深入村组、农户，宣传{topic}相关政策，发放宣传资料一千余份。",
    "下一步，{place}将持续加大工作力度，完善长效机制，推动{topic}工作再上新台阶。",
    "各有关单位要高度重视，严格按照时间节点报送相关材料，逾期未报送的视为放弃。",
    "联系人及电话：{person}，0839-5523{num}。",
    "现将有关情况予以公示，公示期为5个工作日。如有异议，请在公示期内向主管部门反映。",
    "据统计，今年以来全县累计投入资金{num}万元，惠及群众{num}余户。",
    "此次活动进一步增强了群众的{topic}意识，营造了全社会共同参与的良好氛围。",
]
LETTER_SUBJECTS = [
    "小区供暖问题",
    "道路破损维修",
    "农村饮水问题",
    "子女入学咨询",
    "低保办理咨询",
    "噪音扰民",
    "拖欠工资问题",
    "路灯不亮",
    "垃圾清运不及时",
    "医保报销咨询",
    "宅基地审批",
    "违章建筑反映",
    "公交线路建议",
    "物业管理纠纷",
    "养老金发放咨询",
]


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")


def fill(template: str, rng: random.Random, place: str, day: date) -> str:
    return template.format(
        place=place,
        topic=rng.choice(TOPICS),
        town=rng.choice(TOWNS),
        year=day.year,
        month=day.month,
        leader=f"{rng.choice(['县委书记', '县长', '副县长', '局长', '党组书记'])}{person(rng)}",
        person=person(rng),
        num=rng.randrange(100, 9999),
    )


def title(kind: str, rng: random.Random, place: str, day: date) -> str:
    return fill(rng.choice(_TITLES.get(kind, _TITLES["other"])), rng, place, day)


def paragraphs(rng: random.Random, place: str, day: date, count: int) -> list[str]:
    return [
        fill(rng.choice(_SENTENCES), rng, place, day) + fill(rng.choice(_SENTENCES), rng, place, day)
        for _ in range(count)
    ]


def show_date(day: date, style: str, seconds: int = 0) -> str:
    """A date as a list cell shows it ("group": month-day only, under a year heading)."""
    hh, mm, ss = seconds // 3600 % 24, seconds // 60 % 60, seconds % 60
    if style == "iso":
        return day.isoformat()
    if style == "cn":
        return f"{day.year}年{day.month:02d}月{day.day:02d}日"
    if style == "slash":
        return f"{day.year}/{day.month}/{day.day}"
    if style == "bracket":
        return f"[{day.isoformat()}]"
    if style == "group":
        return f"{day.month:02d}-{day.day:02d}"
    if style == "datetime":
        return f"{day.isoformat()} {hh:02d}:{mm:02d}:{ss:02d}"
    if style == "isot":  # an API's ISO 8601 timestamp
        return f"{day.isoformat()}T{hh:02d}:{mm:02d}:{ss:02d}+08:00"
    return ""
