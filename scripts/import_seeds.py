"""Split the raw seed pages into one Markdown file per article under corpus/.

Usage: python scripts/import_seeds.py SEEDS_DIR [OUT_DIR]

The seed pages hold several articles each, hard line breaks inside sentences and page furniture.
The manifest below says where each article starts (its headline) and where its body starts, plus
the outlet and the publication date; `qa.text.lines.join_hard_breaks` repairs the wrapping. Article text
is otherwise kept verbatim: answers quote it by character offsets.

Dates: where a page omits the year it follows from the content (see each entry's comment).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa.text.lines import join_hard_breaks  # noqa: E402

# Lines that are page furniture, not article text (menus, share counters, photo captions cut
# into the middle of a sentence, platform notices).
FURNITURE = {
    "001_6f9b58bfd72148e0.txt": ["0", "分享至"],
    "004_6211d498416fb23a.txt": ["临淄区第十八届人民代表大会第五次会议隆重开幕。"],
}

# file -> [(id, head, body, title, source, date)] in page order; an article ends where the next
# one's head starts, or at END for the last one.
ARTICLES: dict[str, list[tuple[str, str, str, str, str, str]]] = {
    # 齐鲁晚报 page: "2021年是中国共产党成立100周年，是“十四五”规划开局之年" fixes the year.
    "000_a419cb1c67c37703.txt": [
        ("2021-02-07-zichuan-cppcc-session", " 政协第十二届", "齐鲁晚报·齐鲁壹点",
         "政协第十二届淄川区委员会第五次会议隆重开幕", "齐鲁晚报", "2021-02-07"),
        ("2021-02-07-jinan-zibo-integration", "济南淄博同城化战略签约", "2月6日下午",
         "济南淄博同城化战略签约：经十路东延、景区市民待遇互认、共同打造济淄医联体和专科联盟等被提及",
         "大众日报", "2021-02-07"),
    ],
    # 网易号 repost of 闪电新闻, "1月13日讯" about "2025年": published January 2026.
    "001_6f9b58bfd72148e0.txt": [
        ("2026-01-13-zibo-cppcc-2025-review", "淄博政协这一年", "齐鲁网·闪电新闻1月13日讯",
         "淄博政协这一年|以实干实绩交出履职新答卷", "闪电新闻", "2026-01-13"),
    ],
    # A Liaocheng daily page; its latest date is the CPPCC letter's "2023年1月19日".
    "002_c71313bd67d0923c.txt": [
        ("2023-01-19-liaocheng-regional-coordination", "下好区域协调发展", "■ 本报记者 王培源",
         "下好区域协调发展“一盘棋”——聚焦市委经济工作会议系列述评之八", "聊城日报", "2023-01-19"),
        ("2023-01-19-liaocheng-conscription", "我市安排部署今年征兵工作", "本报讯(记者 林金彦)1月18日",
         "我市安排部署今年征兵工作", "聊城日报", "2023-01-19"),
        ("2023-01-19-liu-qingfa-guanxian-visit", "柳庆发到冠县开展春节前走访慰问", "本报讯(记者 林晨)",
         "柳庆发到冠县开展春节前走访慰问", "聊城日报", "2023-01-19"),
        ("2023-01-19-liaocheng-fire-prevention", "我市扎实推进社会面火灾防控工作",
         "本报讯(记者 赵宗锋)1月18日下午,第一季度", "我市扎实推进社会面火灾防控工作", "聊城日报", "2023-01-19"),
        ("2023-01-19-liu-wenqiang-fire-and-power", "刘文强调研消防安全和保供电工作",
         "本报讯(记者 赵宗锋)1月18日下午,市委常委、常务副市长刘文强带队",
         "刘文强调研消防安全和保供电工作", "聊城日报", "2023-01-19"),
        ("2023-01-19-wang-feng-spring-travel", "王峰检查春运工作并走访慰问一线职工", "本报讯(记者 申东方)",
         "王峰检查春运工作并走访慰问一线职工", "聊城日报", "2023-01-19"),
        ("2023-01-19-pengshui-donation", "我市向彭水捐赠价值50万元物资", "本报讯(记者 林金彦)1月17日",
         "我市向彭水捐赠价值50万元物资", "聊城日报", "2023-01-19"),
        ("2023-01-19-dazu-yuanheng-photo", "目击", "1月16日,位于高新区",
         "目击：山东大族元亨光电有限公司", "聊城日报", "2023-01-19"),
        ("2023-01-19-discipline-epidemic-control", "市纪委监委", "本报讯(记者 王培源)",
         "市纪委监委保障新阶段疫情防控措施落地落实", "聊城日报", "2023-01-19"),
        ("2023-01-19-cppcc-new-year-letter", "感谢一路有您", "各位政协委员:",
         "感谢一路有您——致全市政协委员的一封信", "聊城日报", "2023-01-19"),
    ],
    # 大众日报 Zibo: datelined "淄博2月27日讯", the resolution passed "2021年2月26日".
    "003_2c0afc4cfe051961.txt": [
        ("2021-02-27-zibo-npc-44th-meeting", "淄博市十五届人大常委会举行第四十四次会议",
         "淄博2月27日讯 2月26日，淄博市十五届",
         "淄博市十五届人大常委会举行第四十四次会议 推动“十四五”开局起步的决议表决通过", "大众日报", "2021-02-27"),
        ("2021-02-27-zibo-npc-review-targets", "淄博市人大常委会全年确定12个评议对象", "淄博2月27日讯 2月26日，在",
         "淄博市人大常委会全年确定12个评议对象：首批6部门将接受专项工作评议", "大众日报", "2021-02-27"),
        ("2021-02-27-zibo-npc-resolution", "淄博市人民代表大会常务委员会 关于", "(2021年2月26日",
         "淄博市人民代表大会常务委员会关于加力提速落实突破推动“十四五”开好局起好步的决议", "大众日报", "2021-02-27"),
    ],
    # 大众日报 Zibo: "在1月13日举行的临淄区第十八届人民代表大会第五次会议" on the 2021 work plan.
    "004_6211d498416fb23a.txt": [
        ("2021-01-13-linzi-government-report", "编者按", "在1月13日举行的",
         "强化干部担当 厚植民生本色 推动产业“链长制” 加快建设富强文明智慧美丽的社会主义现代化新临淄",
         "大众日报", "2021-01-13"),
    ],
}
# Where the last article of a page ends (platform notices follow).
END = {"001_6f9b58bfd72148e0.txt": "特别声明:"}
# Text before the body that belongs to the article (the editor's note of the Linzi report).
LEAD = {"2021-01-13-linzi-government-report": ("编者按", "强化干部担当")}


def _find(raw: str, needle: str, name: str, after: int = 0) -> int:
    at = raw.find(needle, after)
    if at < 0:
        raise SystemExit(f"{name}: marker not found: {needle!r}")
    return at


def split_page(name: str, raw: str) -> list[dict]:
    """The articles of one seed page, each with its cleaned text."""
    for line in FURNITURE.get(name, []):
        raw = "\n".join(x for x in raw.split("\n") if x.strip() != line)
    entries = ARTICLES[name]
    heads = []
    pos = 0
    for entry in entries:
        pos = _find(raw, entry[1], name, pos)
        heads.append(pos)
    ends = heads[1:] + [_find(raw, END[name], name) if name in END else len(raw)]
    out = []
    for (aid, _head, body, title, source, date), head, end in zip(entries, heads, ends):
        start = _find(raw, body, name, head)
        text = raw[start:end]
        if aid in LEAD:
            a, b = LEAD[aid]
            lead_start = _find(raw, a, name, head)
            text = raw[lead_start:_find(raw, b, name, lead_start)] + "\n\n" + text
        out.append({"id": aid, "title": title, "source": source, "date": date, "origin": name,
                    "text": join_hard_breaks(text)})
    return out


def render(article: dict) -> str:
    return (
        "---\n"
        f"title: \"{article['title']}\"\n"
        f"source: {article['source']}\n"
        f"date: {article['date']}\n"
        f"origin: {article['origin']}\n"
        "---\n"
        # Paragraphs apart by blank lines: the loader's hard-wrap repair gives the same text back.
        + article["text"].replace("\n", "\n\n") + "\n"
    )


def main(argv: list[str]) -> int:
    seeds = Path(argv[0])
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1] / "corpus"
    out.mkdir(parents=True, exist_ok=True)
    for name in ARTICLES:
        raw = (seeds / name).read_text(encoding="utf-8")
        for article in split_page(name, raw):
            (out / f"{article['id']}.md").write_text(render(article), encoding="utf-8")
            print(f"{article['id']}.md  {len(article['text'])} chars")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
