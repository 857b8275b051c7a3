"""A generated day of Chinese, Japanese and English news for grouping tests.

Invented text, written for these tests (no outlet's copy): three events, each reported in
its own words by several Chinese and Japanese outlets (and one by two English outlets); items
of the same day on the same topics that report other events (another closure, another quake,
another recall, two diplomatic statements, two Japanese government items); a wire copy of one
report republished by another outlet; and headline-only items. `EVENTS` says which items
report one event; every other item is an event of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.models import Item

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

# (id, outlet, minutes after T0, title, text)
_ROWS: list[tuple[str, str, int, str, str]] = [
    # --- E1: a crack closes the Gangcheng harbour bridge ------------------------------------
    (
        "bridge-xinhua",
        "xinhua.example",
        0,
        "港口大桥主跨发现裂缝 将封闭两周检修",
        "新华社港城3月2日电（记者 王明）港城市交通运输局2日通报，港口大桥主跨桥面在例行巡检中"
        "发现一条长约3米的裂缝。为确保安全，大桥自2日中午起全线封闭，预计封闭两周，其间进行"
        "结构检测和加固维修。港口大桥连接港城老城区与东岸新区，日均通行车辆约8万辆。交通运输局"
        "提醒市民绕行沿江隧道和北环路，并增开三条跨江公交线路。工程技术人员正在对裂缝成因展开"
        "调查，初步判断与去年台风过后的桥墩沉降有关。",
    ),
    (
        "bridge-people",
        "people.example",
        40,
        "港城港口大桥出现3米裂缝全线封闭",
        "港城市港口大桥主跨桥面日前被发现出现一条约3米长的裂缝，港城市交通运输局宣布大桥从2日"
        "中午开始全线封闭检修，封闭时间约两周。据了解，这座跨江大桥每天承担约8万辆车的通行，"
        "封闭期间市民可经沿江隧道和北环路绕行。专家表示，裂缝可能与桥墩沉降有关，需要进行全面"
        "结构检测后才能确定加固方案。市公交集团已临时增开跨江公交线路。",
    ),
    (
        "bridge-chinanews",
        "chinanews.example",
        75,
        "裂缝导致港口大桥封闭两周 市民需绕行沿江隧道",
        "中新网港城3月2日电 港城港口大桥因主跨发现裂缝，2日中午起封闭两周。港城市交通运输局"
        "称，巡检人员在桥面发现一条长约3米的裂缝，随后决定对大桥实施全线封闭，对主跨进行结构"
        "检测和加固。港口大桥日均车流量约8万辆，交通部门建议驾车市民改走沿江隧道或北环路。有"
        "桥梁专家分析，去年台风后桥墩出现沉降，可能是裂缝形成的原因。",
    ),
    (
        "bridge-nhk",
        "nhk.example",
        90,
        "中国・港城の港口大橋で亀裂 2週間通行止めに",
        "中国南部の港城市で、市内を流れる川に架かる港口大橋の主径間に長さおよそ3メートルの"
        "亀裂が見つかり、市の交通当局は2日正午から橋を全面通行止めにしました。通行止めは"
        "およそ2週間続く見通しで、その間に構造の検査と補強工事が行われます。港口大橋は1日に"
        "およそ8万台の車が通行する幹線で、当局は沿江トンネルなどへの迂回を呼びかけています。"
        "専門家は去年の台風のあとに起きた橋脚の沈下が原因の可能性があるとみています。",
    ),
    (
        "bridge-asahi",
        "asahi.example",
        130,
        "港城の港口大橋、亀裂で全面通行止め 補強工事へ",
        "中国・港城市の交通運輸局は2日、港口大橋の主径間で長さ約3メートルの亀裂が見つかった"
        "として、同日正午から橋を全面通行止めにしたと明らかにした。期間は約2週間で、構造検査"
        "と補強工事を進める。港口大橋は旧市街と東岸の新区を結び、1日約8万台が通る。市は沿江"
        "トンネルや北環路への迂回を求めている。橋脚の沈下が亀裂の原因とみられている。",
    ),
    (
        "bridge-en-wire",
        "wire-en.example",
        60,
        "Gangcheng harbour bridge closed for two weeks after crack found in main span",
        "Authorities in the southern Chinese city of Gangcheng closed the Harbour Bridge on "
        "Monday after inspectors found a crack about three metres long in its main span. The "
        "city's transport bureau said the bridge, which carries some 80,000 vehicles a day, "
        "would stay shut for about two weeks while engineers test the structure and reinforce "
        "it. Drivers were told to use the riverside tunnel and the north ring road. Engineers "
        "suspect the pier settled after last year's typhoon.",
    ),
    (
        "bridge-en-daily",
        "daily-en.example",
        150,
        "Crack shuts Gangcheng's Harbour Bridge, 80,000 daily drivers told to detour",
        "Gangcheng's Harbour Bridge, a main link between the old town and the new east bank "
        "district, was closed to traffic on Monday after a three-metre crack was discovered in "
        "its main span during a routine inspection. The transport bureau expects the closure to "
        "last two weeks. Engineers believe the crack may be linked to pier settlement after "
        "last year's typhoon, and extra bus routes across the river have been added.",
    ),
    # the wire copy: Xinhua's report as another outlet runs it (new headline, dateline kept)
    (
        "bridge-copy",
        "gangcheng-daily.example",
        20,
        "港口大桥主跨出现裂缝 大桥封闭两周检修",
        "新华社港城3月2日电（记者 王明）港城市交通运输局2日通报，港口大桥主跨桥面在例行巡检中"
        "发现一条长约3米的裂缝。为确保安全，大桥自2日中午起全线封闭，预计封闭两周，其间进行"
        "结构检测和加固维修。港口大桥连接港城老城区与东岸新区，日均通行车辆约8万辆。交通运输局"
        "提醒市民绕行沿江隧道和北环路，并增开三条跨江公交线路。工程技术人员正在对裂缝成因展开"
        "调查。（编辑 李华）",
    ),
    # headline only
    ("bridge-brief", "sina.example", 100, "港城港口大桥因裂缝封闭 日均8万辆车需绕行", ""),
    # --- E2: an earthquake in Kitaoka prefecture --------------------------------------------
    (
        "quake-nhk",
        "nhk.example",
        200,
        "北岡県で震度6弱 12人けが 新幹線が一時運転見合わせ",
        "2日午前10時すぎ、北岡県東部を震源とする地震があり、北岡県岩見市で震度6弱の揺れを"
        "観測しました。気象庁によりますと、震源の深さは約10キロ、地震の規模を示すマグニチュードは"
        "6.1と推定されています。この地震で岩見市などで12人がけがをし、住宅の壁が崩れるなどの"
        "被害が出ています。新幹線は岩見駅付近で一時運転を見合わせました。気象庁は今後1週間"
        "ほどは同じ程度の揺れに注意するよう呼びかけています。",
    ),
    (
        "quake-asahi",
        "asahi.example",
        230,
        "北岡・岩見市で震度6弱、M6.1 12人負傷",
        "2日午前、北岡県東部を震源とするマグニチュード6.1の地震が発生し、岩見市で震度6弱を"
        "記録した。県によると、岩見市を中心に12人が負傷し、古い住宅の壁が崩れた。新幹線は"
        "一時運転を見合わせたが、午後に再開した。気象庁は震源の深さを約10キロと発表し、"
        "1週間程度は同程度の地震に注意が必要だとしている。",
    ),
    (
        "quake-yomiuri",
        "yomiuri.example",
        260,
        "岩見市で震度6弱の地震 住宅被害相次ぐ",
        "北岡県岩見市で2日午前、震度6弱の揺れを観測した地震で、県内では12人がけがをした。"
        "震源は北岡県東部で、マグニチュードは6.1。岩見市内では住宅の壁や塀が崩れる被害が"
        "相次ぎ、市は避難所を開設した。新幹線の運転見合わせで約2万人に影響が出た。",
    ),
    (
        "quake-xinhua",
        "xinhua.example",
        280,
        "日本北冈县发生6.1级地震 12人受伤",
        "新华社东京3月2日电 据日本气象厅消息，日本北冈县东部2日上午发生6.1级地震，震源深度约"
        "10公里，岩见市观测到震度6弱的强烈震感。地震已造成岩见市等地12人受伤，部分房屋墙体"
        "倒塌，新干线一度停运。日本气象厅提醒，未来一周内可能发生同等强度的余震。",
    ),
    (
        "quake-chinanews",
        "chinanews.example",
        300,
        "日本北冈县6.1级地震致12伤 新干线一度停运",
        "中新网3月2日电 日本北冈县2日上午发生6.1级地震，岩见市最大震度达6弱。当地政府称，地震"
        "导致12人受伤，多处房屋墙体倒塌，新干线在岩见站附近一度停运，约2万名乘客受到影响。日本"
        "气象厅表示，震源深度约10公里，并呼吁民众在未来一周警惕余震。",
    ),
    ("quake-brief", "kyodo.example", 215, "北岡県岩見市で震度6弱 新幹線が運転見合わせ", ""),
    # --- E3: Huaguang Electronics recalls 1.2 million phones --------------------------------
    (
        "recall-people",
        "people.example",
        400,
        "华光电子召回120万部手机 电池存在过热隐患",
        "华光电子2日宣布，因部分批次电池存在过热隐患，将在全球召回约120万部星光X5手机。公司"
        "表示，目前已收到37起电池发热投诉，其中2起造成用户轻微烫伤。召回范围涉及去年9月至12月"
        "生产的产品，用户可到授权服务网点免费更换电池。市场监管总局称已督促企业做好召回工作。",
    ),
    (
        "recall-chinanews",
        "chinanews.example",
        430,
        "星光X5电池过热 华光电子全球召回120万部",
        "中新网3月2日电 华光电子2日发布公告，对去年9月至12月生产的约120万部星光X5手机实施召回，"
        "原因是部分电池在充电时可能过热。公告称，公司累计接到37起相关投诉，2名用户被轻微烫伤。"
        "消费者可前往授权服务网点免费更换电池，召回费用由华光电子承担。",
    ),
    (
        "recall-sina",
        "sina.example",
        470,
        "华光电子召回星光X5：37起投诉 2人烫伤",
        "手机厂商华光电子宣布召回约120万部星光X5，涉及去年9月至12月生产批次。华光电子称，电池"
        "过热问题已导致37起投诉和2起轻微烫伤，用户可预约免费更换电池。华光电子股价2日下跌4%。",
    ),
    (
        "recall-nikkei",
        "nikkei.example",
        500,
        "華光電子、スマホ120万台リコール 電池が過熱",
        "中国のスマートフォン大手、華光電子は2日、電池が過熱するおそれがあるとして、主力機種"
        "「星光X5」約120万台を世界でリコールすると発表した。昨年9月から12月に製造した製品が対象"
        "で、発熱の苦情は37件、うち2件で利用者が軽いやけどを負った。電池は無償で交換する。",
    ),
    # --- same day, same topics, other events ------------------------------------------------
    (
        "metro-closure",
        "people.example",
        50,
        "江州地铁3号线部分区段封闭检修 市民需绕行",
        "江州市地铁集团2日通报，地铁3号线南站至体育中心区段将于本周六起封闭检修两天，更换老化"
        "的信号设备。检修期间，市公交集团将开通接驳公交，地铁集团提醒市民提前规划出行路线。据"
        "介绍，3号线日均客流约45万人次，此次检修是该线路开通十年来首次大修。",
    ),
    (
        "tunnel-opening",
        "chinanews.example",
        140,
        "港城沿江隧道二期工程开工 预计2028年通车",
        "港城市沿江隧道二期工程2日正式开工，全长6.2公里，总投资约58亿元，预计2028年建成通车。"
        "建成后将与一期工程连通，缓解东岸新区与机场之间的交通压力。施工单位表示，工程将采用"
        "盾构法施工，最大埋深约40米。",
    ),
    (
        "quake-small",
        "nhk.example",
        320,
        "南浜県で震度3 津波の心配なし",
        "2日午後3時すぎ、南浜県沖を震源とする地震があり、南浜県浜崎町で震度3の揺れを観測しました。"
        "気象庁によりますと、震源の深さは約50キロ、マグニチュードは4.2と推定されています。"
        "この地震による津波の心配はありません。これまでに被害の情報は入っていません。",
    ),
    (
        "quake-drill",
        "asahi.example",
        350,
        "首都直下地震想定し訓練 都庁で2000人参加",
        "首都直下地震を想定した防災訓練が2日、都庁などで行われ、職員ら約2000人が参加した。"
        "訓練では震度7の揺れを想定し、災害対策本部の設置や安否確認の手順を確かめた。都の担当者は"
        "「実際の地震に備え、訓練を重ねたい」と話した。",
    ),
    (
        "car-recall",
        "sina.example",
        420,
        "星河汽车召回3万辆新能源车 制动系统存在隐患",
        "星河汽车2日向市场监管总局备案召回计划，自3月10日起召回2024年生产的部分星河E7电动车，"
        "共计约3万辆。这些车辆的制动助力泵可能失效，存在安全隐患。星河汽车将为车主免费更换"
        "制动助力泵，车主可联系授权经销商预约。",
    ),
    (
        "trade-talks",
        "xinhua.example",
        180,
        "外交部：中美将在日内瓦举行新一轮经贸磋商",
        "外交部发言人林华2日在例行记者会上表示，中国和美国经贸团队将于下周在日内瓦举行新一轮"
        "经贸磋商，双方将就关税安排和市场准入等问题交换意见。林华说，中方愿同美方相向而行，"
        "推动中美经贸关系健康稳定发展。",
    ),
    (
        "climate-talks",
        "people.example",
        240,
        "中美气候变化工作组在北京举行会议",
        "中国和美国气候变化工作组2日在北京举行会议。生态环境部表示，双方就甲烷减排、森林保护"
        "和清洁能源合作进行了深入交流，同意年内在上海举办气候合作论坛。美国代表团表示，美国"
        "愿同中国加强在气候领域的对话与合作。",
    ),
    (
        "jp-budget",
        "yomiuri.example",
        380,
        "政府、物価高対策の補正予算案を閣議決定 3兆円規模",
        "政府は2日の臨時閣議で、物価高対策を柱とする総額約3兆円の補正予算案を決定した。電気"
        "・ガス料金の補助延長や低所得世帯への給付金が盛り込まれた。山本首相は記者団に「国民生活"
        "を守るため、早期成立を目指す」と述べた。",
    ),
    (
        "jp-visit",
        "nhk.example",
        440,
        "山本首相 オーストラリア首相と会談 安全保障で連携確認",
        "山本首相は2日、来日したオーストラリアのグラント首相と首相官邸で会談し、安全保障分野"
        "での連携強化を確認しました。両首脳は重要鉱物の供給網づくりでも協力することで一致しました。"
        "政府関係者によりますと、会談は約1時間行われました。",
    ),
    (
        "en-metro-other",
        "daily-en.example",
        160,
        "Lisbon metro's green line shuts for a weekend of signal upgrades",
        "Lisbon's metro operator said on Monday that the green line will close from Saturday "
        "morning until Sunday night while contractors install a new signalling system. "
        "Replacement buses will run between Cais do Sodre and Telheiras, and the operator "
        "advised passengers to allow extra time for their journeys.",
    ),
    # two fires of one day in two cities, written alike
    (
        "fire-beijing",
        "xinhua.example",
        330,
        "北京市朝阳区一居民楼发生火灾 造成2人死亡",
        "新华社北京3月2日电 北京市朝阳区望京街道一栋居民楼2日凌晨发生火灾，造成2人死亡、5人受伤。"
        "消防部门接警后出动12辆消防车，大火于凌晨4时许被扑灭。据初步调查，起火部位为该楼"
        "9层一户住宅的厨房，起火原因正在进一步调查中。",
    ),
    (
        "fire-shanghai",
        "chinanews.example",
        360,
        "上海市嘉定区一工厂发生火灾 造成3人死亡",
        "中新网上海3月2日电 上海市嘉定区马陆镇一家服装加工厂2日下午发生火灾，造成3人死亡、"
        "1人受伤。消防部门调派8辆消防车赶赴现场，火势于下午5时许得到控制。起火原因正在"
        "进一步调查中，当地已对辖区内小型加工厂开展消防安全排查。",
    ),
    # two road accidents of one day in two prefectures, written alike
    (
        "crash-aichi",
        "nhk.example",
        340,
        "西川県の高速道路で玉突き事故 3人けが",
        "2日午前、西川県森田市の東央自動車道で、車6台が絡む玉突き事故があり、3人がけがをしました。"
        "警察によりますと、渋滞の最後尾にトラックが追突したとみられ、事故の影響で上り線が"
        "約4時間通行止めになりました。警察が事故の詳しい原因を調べています。",
    ),
    (
        "crash-hokkaido",
        "yomiuri.example",
        410,
        "東浜県の国道でトラックと乗用車が衝突 2人けが",
        "2日午後、東浜県高森町の国道で、トラックと乗用車が正面衝突する事故があり、2人がけがを"
        "した。警察によると、乗用車が対向車線にはみ出したとみられ、国道は約3時間通行止めと"
        "なった。警察が事故の原因を調べている。",
    ),
]

# Items that report one event (every other item is an event of its own).
EVENTS: dict[str, frozenset[str]] = {
    "bridge": frozenset(
        {
            "bridge-xinhua",
            "bridge-people",
            "bridge-chinanews",
            "bridge-nhk",
            "bridge-asahi",
            "bridge-copy",
            "bridge-brief",
            "bridge-en-wire",
            "bridge-en-daily",
        }
    ),
    "quake": frozenset(
        {
            "quake-nhk",
            "quake-asahi",
            "quake-yomiuri",
            "quake-xinhua",
            "quake-chinanews",
            "quake-brief",
        }
    ),
    "recall": frozenset({"recall-people", "recall-chinanews", "recall-sina", "recall-nikkei"}),
}
ENGLISH = frozenset({"bridge-en-wire", "bridge-en-daily", "en-metro-other"})
COPY, ORIGINAL = "bridge-copy", "bridge-xinhua"


def items(minutes_apart: int = 1) -> list[Item]:
    """The fixture as items (published `minutes_apart` × their minute offset after T0)."""
    return [
        _item(item_id, outlet, T0 + timedelta(minutes=minute * minutes_apart), title, text)
        for item_id, outlet, minute, title, text in _ROWS
    ]


def _item(item_id: str, outlet: str, when: datetime, title: str, text: str) -> Item:
    """An outlet's report, first seen when it was published."""
    return Item(
        id=item_id,
        title=title,
        text=text,
        url=f"https://{outlet}/news/{item_id}",
        published=when,
        first_seen=when,
        outlet=outlet,
        outlet_name=outlet.split(".")[0],
    )


def event_of(item_id: str) -> str:
    return next((name for name, ids in EVENTS.items() if item_id in ids), item_id)


# --- a second generated story, for what summaries show a subscriber -------------------------
# One event (a reservoir's water-saving rules) reported in Chinese by three outlets, each as
# outlets write: an agency dateline with its reporters, a local paper's "本报讯", a site's
# dateline without a credit, a title with the outlet after a dash or an underscore, a quote
# of two sentences inside 「」, a connective ("此外，") and a pronoun no one is named for
# ("他表示"), and the same figures in each report. Invented text.
_SUMMARY_ROWS: list[tuple[str, str, int, str, str]] = [
    (
        "reservoir-xinhua",
        "xinhua.example",
        0,
        "江城水库蓄水降至历史低位 全市启动节水措施 - 新华网",
        "新华社江城3月5日电（记者 周文 陈静）江城市水务局5日通报，受持续干旱影响，江城水库"
        "蓄水量已降至1.2亿立方米，为建库以来最低水平。自3月6日起，全市洗车场和公共喷泉暂停"
        "用水，工业用水限额下调15%。水务局局长孙立在通报会上说：「今年的旱情比往年更严重。"
        "我们请每一位市民节约用水。」气象部门预计，本月下旬之前全市难有明显降雨。",
    ),
    (
        "reservoir-daily",
        "jcdaily.example",
        30,
        "江城水库蓄水量降至1.2亿立方米_新闻频道_江城日报网",
        "本报讯（记者 林海）江城水库蓄水量已降至1.2亿立方米，创建库以来新低。市水务局宣布，"
        "从3月6日开始，洗车场和公共喷泉暂停用水，工业用水限额下调15%。据了解，江城水库供应"
        "全市约70%的生活用水，连续四个月降雨偏少是蓄水下降的主要原因。水务局提醒，居民用水"
        "暂不限量，但请市民减少不必要的用水。",
    ),
    (
        "reservoir-site",
        "jcnews.example",
        55,
        "江城启动节水措施 工业用水限额下调15%",
        "江城新闻网3月5日电 江城水库蓄水量降至1.2亿立方米，为建库以来最低。江城市水务局宣布，"
        "自3月6日起全市洗车场和公共喷泉暂停用水，工业用水限额下调15%。水务局表示，如果旱情"
        "持续，将考虑对部分高耗水企业实行错峰供水。此外，市水务局将向居民免费发放节水器具5万套。"
        "他表示，节水措施将持续到旱情缓解为止。",
    ),
]


def summary_items() -> list[Item]:
    """The reservoir story's items (see `_SUMMARY_ROWS`)."""
    return [
        _item(item_id, outlet, T0 + timedelta(days=3, minutes=minute), title, text)
        for item_id, outlet, minute, title, text in _SUMMARY_ROWS
    ]
