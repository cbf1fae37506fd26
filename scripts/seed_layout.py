#!/usr/bin/env python3
"""Build the seed's three tables the way a unit types them into Excel by hand.

Not made from the gridbudget template: the layout, labels, blanks (full-width spaces,
——), merged cells and in-cell values ("其中：一般公共预算：116.83") follow the seed
report's own tables. Variants exercise what other units do:

    seed        three sheets 附件1/附件2/附件3, as in the report
    one_sheet   all three tables one below the other on one sheet
    renamed     other sheet names, a cover sheet first, tables in another order
    blank_rows  blank spacer rows inside the tables, an extra column on the left
    yuan        amounts in 元, the headers saying so
    synonyms    other provinces' labels (调整后预算数, 预算执行数, 权重, 完成值, 本年财政拨款, 总额, 预算执行率)
    national2021  the 2021+ national indicator grid: separate 指标性质 and 度量单位 columns,
                and 成本指标 as its own 一级 (经济成本指标)

    python scripts/seed_layout.py OUTDIR      # writes junshan-2024-<variant>.xlsx for every variant
"""

from __future__ import annotations

import io
import re
import sys
from decimal import Decimal
from pathlib import Path

VARIANTS = ("seed", "one_sheet", "renamed", "blank_rows", "yuan", "synonyms", "national2021")
SP = "\u3000"   # the full-width blank the seed's empty cells hold

UNIT_BASIC = "岳阳市君山区社会治理网格化服务中心"
UNIT = "岳阳市君山区社会治理网格化中心"

OVERALL_INDICATORS = [
    ("产出指标\n\n(50分)", "数量指标", [("组织网格员培训", "≥1次", "1次", 10, 10, "无偏差"),
                                    ("更新完善数据库", "≥100条", "134条", 10, 10, "无偏差"),
                                    ("开展志愿者活动，提升服务效能", "≥100次", "100余次", 5, 5, "无偏差")]),
    (None, "质量指标", [("风险防控精准化", "定性", "有效推进", 5, 5, "无偏差"),
                       ("网格化治理全覆盖", "≥100%", "100%", 5, 5, "无偏差")]),
    (None, "时效指标", [("按时间节点完成各项工作计划", "定性", "及时", 5, 5, "无偏差"), None]),
    (None, "成本指标", [("控制在预算内", "≤120.54万元", "116.95万元", 10, 9, "预算减少")]),
    ("效益指标\n\n（30分）\n" + SP, "经济效\n益指标", [("宣传工作促进经济发展", "提升", "有效提升", 10, 10, "无偏差")]),
    (None, "社会效\n益指标", [("维护社会大局稳定\n", "优化", "持续优化", 10, 10, "无偏差")]),
    (None, "生态效\n益指标", [None]),
    (None, "可持续影响指标", [("加强监管水平", "提升", "有效提升", 10, 10, "无偏差")]),
    ("满意度\n指标\n（10分）", "服务对象满意度指标", [("群众安全感满意度象", "95%", "98%", 10, 10, "无偏差")]),
]
PROJECT_INDICATORS = [
    ("产出指标\n\n(50分)", "数量指标", [("君山区网格化平台基础数据累计录入", "≥10000", "人口信息等累计18万余条", 10, 10, "无偏差"),
                                    ("网格化治理全覆盖", "100%", "100%", 10, 10, "无偏差")]),
    (None, "质量指标", [("推动网格信息应用", "≥98%", "100%", 10, 10, "无偏差"),
                       ("提升网格化管理水平", "≥98%", "100%", 5, 5, "无偏差")]),
    (None, "时效指标", [("按时间节点完成各项工作计划", "定性", "及时", 5, 5, "无偏差")]),
    (None, "成本指标", [("控制在预算内", "≤50万元", "40.6万元", 10, 9, "无偏差")]),
    ("效益指标\n\n（30分）\n" + SP, "经济效\n益指标", [("宣传工作促进经济发展", "提升", "有效提升", 10, 10, "无偏差")]),
    (None, "社会效益", [("社会治安风险防控", "提升", "有效提升", 10, 10, "无偏差")]),
    (None, "生态效益指标", [("助力人居环境", "改善", "显著改善", 10, 10, "无偏差")]),
    (None, "可持续影响指标", [None]),
    ("满意度\n指标\n（10分）", "服务对象满意度指标", [("群众安全感满意度", "95%", "98%", 10, 10, "无偏差")]),
]


class _Writer:
    """Writes rows top-down on a sheet; remembers merges; knows the variant."""

    def __init__(self, ws, variant: str, col0: int = 1):
        self.ws, self.variant, self.row, self.col0 = ws, variant, 1, col0

    def money(self, v):
        if v is None or v == "" or isinstance(v, str):
            return v
        if self.variant == "yuan":
            return float(Decimal(str(v)) * 10000)
        return v

    def put(self, col: int, value, *, span: int = 1, down: int = 1, percent: bool = False):
        from openpyxl.styles import Alignment
        c = self.col0 + col
        cell = self.ws.cell(self.row, c, value)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if percent:
            cell.number_format = "0.00%"
        if span > 1 or down > 1:
            self.ws.merge_cells(start_row=self.row, start_column=c, end_row=self.row + down - 1,
                                end_column=c + span - 1)

    def next(self, n: int = 1):
        self.row += n

    def spacer(self):
        if self.variant == "blank_rows":
            self.row += 1

    def label(self, normal: str, synonym: str) -> str:
        return synonym if self.variant == "synonyms" else normal

    def unit_word(self) -> str:
        return "元" if self.variant == "yuan" else "万元"


def basic(w: _Writer) -> None:
    u = w.unit_word()
    w.put(0, "2024年度部门整体支出绩效评价基础数据表", span=7); w.next()
    w.put(0, f"填报单位：{UNIT_BASIC}", span=7); w.next()
    w.put(0, "财政供养人员情况（人）"); w.put(1, "编制数"); w.put(2, "2024年实际在职人数"); w.put(3, "控制率"); w.next()
    w.put(0, ""); w.put(1, 4); w.put(2, 4); w.put(3, 1, percent=True); w.next()
    w.spacer()
    w.put(0, f"经费控制情况（{u}）"); w.put(1, "2023年决算数"); w.put(2, "2024年预算数"); w.put(3, "2024年决算数"); w.next()
    rows = [("三公经费", 0, 0.45, 0.21), ("   1、公务用车购置和维护经费", SP, SP, SP),
            ("       其中：公车购置", SP, SP, SP), ("             公车运行维护", SP, SP, SP),
            ("   2、出国经费", SP, SP, SP), ("   3、公务接待", 0, 0.45, 0.21), ("项目支出：", SP, SP, SP),
            ("    1、业务工作经费", 31.4, 19.76, 19.58), ("    2、治理网格服务专项", 50, 50, 40.6),
            ("3、其他项目", None, None, 4.7), ("3、市级专项资金（一个专项一行）", SP, SP, SP), ("……", None, None, None),
            ("公用经费", 3.5, 4.8, 4.55), ("    其中：办公经费", 3.4, 4.8, 4.55), ("          水费、电费、差旅费", None, None, None),
            ("          会议费、培训费", 0.1, None, None), ("政府采购金额", "——", SP, SP), ("部门基本支出预算调整 ", "——", SP, SP)]
    for i, (label, a, b, c) in enumerate(rows):
        w.put(0, label); w.put(1, w.money(a)); w.put(2, w.money(b)); w.put(3, w.money(c)); w.next()
        if i == 8:
            w.spacer()
    w.put(0, "楼堂馆所控制情况\n（2024年完工项目）"); w.put(1, "批复规模\n（㎡）"); w.put(2, "实际规模（㎡）")
    w.put(3, "规模控制率"); w.put(4, f"预算投资（{u}）"); w.put(5, f"实际投资（{u}）"); w.put(6, "投资概算控制率"); w.next()
    for col in range(1, 7):
        w.put(col, SP)
    w.next()
    w.put(0, "厉行节约保障措施")
    w.put(1, "1、加强支出预算管理；2、坚决落实过“紧日子”要求，压缩“三公”经费；3、精简各类会议和培训。" + SP * 2, span=6)
    w.next(2)
    w.put(0, "说明：“项目支出”需要填报基本支出以外的所有项目支出情况，“公用经费”填报基本支出中的一般商品和服务支出。", span=7)
    w.next(2)
    w.put(0, "填表人：      填报日期：        联系电话：          单位负责人签字：", span=7); w.next()


def _funds_header(w: _Writer, first: str) -> None:
    w.put(1, first)
    w.put(2, w.label("年初预算数", "年初预算数"))
    w.put(3, w.label("全年预算数", "调整后预算数"))
    w.put(4, w.label("全年执行数", "预算执行数"))
    w.put(5, w.label("分值", "权重"))
    w.put(6, w.label("执行率", "预算执行率"))
    w.put(7, "得分")


_SPLIT_TARGET = re.compile(r"^(≥|≤|=)?([0-9]+(?:\.[0-9]+)?)(\D*)$")


def _split(target: str, actual: str) -> tuple[str, object, str, object]:
    """'≥1次', '1次' -> ('≥', 1, '次', 1): the 2021 grid's separate operator and unit columns."""
    m = _SPLIT_TARGET.match(target)
    if not m:
        return "", target, "", actual
    op, num, unit = m.group(1) or "", m.group(2), m.group(3)
    am = re.match(r"^([0-9]+(?:\.[0-9]+)?)(\D*)$", actual)
    if am and am.group(2) == unit:
        actual_v: object = float(am.group(1)) if "." in am.group(1) else int(am.group(1))
    else:
        actual_v = actual
        if unit and not am:
            unit = ""          # the actual carries its own words: leave the unit column empty
    return op, float(num) if "." in num else int(num), unit, actual_v


def _national2021(groups):
    """成本指标 moves out of 产出 into a 一级 of its own (二级 经济成本指标)."""
    out, cost = [], None
    for l1, l2, rows in groups:
        if l2 == "成本指标":
            cost = rows
            continue
        if l1 is not None and l1.startswith("效益") and cost is not None:
            out.append(("成本指标", "经济成本指标", cost))
        out.append((l1, l2, rows))
    return out


def _indicators(w: _Writer, groups) -> None:
    if w.variant == "national2021":
        return _indicators_2021(w, _national2021(groups))
    start = w.row
    w.put(1, "一级指标"); w.put(2, "二级指标"); w.put(3, "三级指标"); w.put(4, "年度指标值")
    w.put(5, w.label("实际完成值", "完成值")); w.put(6, w.label("分值", "权重")); w.put(7, "得分")
    w.put(8, "偏差原因分析及改进措施"); w.next()
    l1_start = None
    spacer_done = False
    for l1, l2, rows in groups:
        if l1 is not None:
            if l1_start is not None and w.row - l1_start > 1:
                w.ws.merge_cells(start_row=l1_start, start_column=w.col0 + 1, end_row=w.row - 1, end_column=w.col0 + 1)
            l1_start = w.row
            w.put(1, l1)
        l2_start = w.row
        w.put(2, l2)
        for row in rows:
            if row is None:
                for col in range(3, 9):
                    w.put(col, None)
            else:
                name, target, actual, weight, score, note = row
                w.put(3, name); w.put(4, target); w.put(5, actual); w.put(6, weight); w.put(7, score)
                w.put(8, SP + note)
            w.next()
            if w.variant == "blank_rows" and not spacer_done and l2 == "质量指标":
                w.next()   # a blank spacer row inside the grid (its 一级 merge spans it)
                spacer_done = True
        if w.row - l2_start > 1:
            w.ws.merge_cells(start_row=l2_start, start_column=w.col0 + 2, end_row=w.row - 1, end_column=w.col0 + 2)
    if l1_start is not None and w.row - l1_start > 1:
        w.ws.merge_cells(start_row=l1_start, start_column=w.col0 + 1, end_row=w.row - 1, end_column=w.col0 + 1)
    w.ws.merge_cells(start_row=start, start_column=w.col0, end_row=w.row - 1, end_column=w.col0)
    w.ws.cell(start, w.col0, "绩\n效\n指\n标")
    w.put(0, "总分", span=6); w.put(6, 100); w.put(7, 98); w.put(8, SP); w.next()


def _indicators_2021(w: _Writer, groups) -> None:
    start = w.row
    for col, label in enumerate(("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "实际完成值",
                                 "分值", "得分", "偏差原因分析及改进措施"), start=1):
        w.put(col, label)
    w.next()
    for l1, l2, rows in groups:
        if l1 is not None:
            w.put(1, l1)
        w.put(2, l2)
        for row in rows:
            if row is not None:
                name, target, actual, weight, score, note = row
                op, num, unit, act = _split(target, actual)
                for col, v in enumerate((name, op, num, unit, act, weight, score, SP + note), start=3):
                    w.put(col, v)
            w.next()
    w.ws.cell(start, w.col0, "绩效指标")
    w.put(0, "总分", span=7); w.put(8, 100); w.put(9, 98); w.next()


def overall(w: _Writer) -> None:
    u = w.unit_word()
    w.put(0, "2024年度部门整体支出绩效自评表", span=9); w.next()
    w.put(0, "市级预算部门名称"); w.put(1, UNIT, span=8); w.next()
    w.put(0, f"年度预\n算申请\n（{u}）", down=7)
    _funds_header(w, ""); w.next()
    w.put(1, w.label("年度资金总额", "总额")); w.put(2, w.money(120.54)); w.put(3, w.money(117.98))
    w.put(4, w.money(116.95)); w.put(5, 10); w.put(6, "99.13%"); w.put(7, 9); w.next()
    w.put(1, "按收入性质分：", span=3); w.put(4, "按支出性质分：", span=4); w.next()

    def amt(v):
        return f"{Decimal(str(v)) * 10000:f}" if w.variant == "yuan" else f"{v}"
    w.put(1, f"  其中：  一般公共预算：{amt(116.83)}", span=3); w.put(4, f"其中：基本支出：{amt(52.07)}", span=4); w.next()
    w.put(1, "政府性基金拨款：", span=3); w.put(4, f"项目支出：{amt(64.88)}", span=4); w.next()
    w.put(1, "纳入专户管理的非税收入拨款：", span=3); w.put(4, "", span=4); w.next()
    w.put(1, f"其他资金：{amt(0.12)}", span=3); w.put(4, "", span=4); w.next()
    w.spacer()
    w.put(0, "年度总体目标", down=2); w.put(1, "预期目标", span=4); w.put(5, "实际完成情况" + SP, span=4); w.next()
    w.put(1, "目标1：网格员队伍业务水平提升\n目标2：增强为民办实事、联点村走访、网格事项上报工作\n"
             "目标3：加强党建引领网格化管理\n目标4：推进党风廉政建设、清廉机关建设工作", span=4)
    w.put(5, "区社会治理网格化服务工作在区委区政府的正确领导下，坚持“党委领导、政府主导、综治协调，部门联动”的工作原则，"
             "积极创新网格化服务工作新模式，扎实推进社会治理网格化服务工作，君山网格中心各项工作稳步推动且初见成效。", span=4)
    w.next()
    _indicators(w, OVERALL_INDICATORS)
    w.next()
    w.put(0, "填表人：           填报日期：       联系电话：          单位负责人签字：", span=9); w.next()


def project(w: _Writer) -> None:
    u = w.unit_word()
    w.put(0, "2024年度项目支出绩效自评表", span=9); w.next()
    w.put(0, "项目支\n出名称"); w.put(1, "移动网格平台", span=8); w.next()
    w.put(0, "主管部门"); w.put(1, SP + "岳阳市君山区财政局", span=3); w.put(4, "实施单位"); w.put(5, UNIT, span=4); w.next()
    w.put(0, f"项目资金\n（{u}）", down=5)
    _funds_header(w, SP); w.next()
    w.put(1, w.label("年度资金总额", "总额") + SP); w.put(2, w.money(50)); w.put(3, w.money(50))
    w.put(4, w.money(40.6)); w.put(5, 10); w.put(6, "81.2%"); w.put(7, 9); w.next()
    w.put(1, w.label("其中：当年财政拨款", "其中：本年财政拨款") + SP); w.put(2, w.money(50)); w.put(3, w.money(50))
    w.put(4, w.money(40.6)); w.next()
    w.put(1, "上年结转资金" + SP)
    for col in range(2, 8):
        w.put(col, SP)
    w.next()
    w.put(1, "其他资金")
    for col in range(2, 8):
        w.put(col, SP)
    w.next()
    w.put(0, "年度总体目标", down=2); w.put(1, "预期目标", span=4); w.put(5, "实际完成情况" + SP, span=4); w.next()
    w.put(1, "建立移动网格平台，实现社会治理快速反应，逐步建立、完善统一的服务管理平台，推进全区治理现代化、网格化全覆盖。", span=4)
    w.put(5, "1、深化平安建设，维护社会大局稳定。2、创新治理模式，提升服务效能 。\n\n", span=4); w.next()
    _indicators(w, PROJECT_INDICATORS)
    w.next()
    w.put(0, "填表人：        填报日期：           联系电话：             单位负责人签字：  ", span=9); w.next()


def build(variant: str = "seed") -> bytes:
    """The workbook bytes of one variant."""
    import openpyxl

    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant}")
    wb = openpyxl.Workbook()
    col0 = 2 if variant == "blank_rows" else 1
    if variant == "one_sheet":
        ws = wb.active
        ws.title = "自评附表"
        w = _Writer(ws, variant, col0)
        for part in (basic, overall, project):
            part(w)
            w.next(3)
    elif variant == "renamed":
        cover = wb.active
        cover.title = "封面"
        cover["A1"] = "2024年度部门整体支出绩效自评报告附表"
        cover["A3"] = "单位：" + UNIT_BASIC
        for title, part in (("项目-移动网格平台", project), ("Sheet2", overall), ("基础数据", basic)):
            part(_Writer(wb.create_sheet(title), variant, col0))
    else:
        first = True
        for title, part in (("附件1", basic), ("附件2", overall), ("附件3", project)):
            ws = wb.active if first else wb.create_sheet(title)
            ws.title = title
            first = False
            part(_Writer(ws, variant, col0))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else ".")
    out.mkdir(parents=True, exist_ok=True)
    for v in VARIANTS:
        path = out / f"junshan-2024-{v}.xlsx"
        path.write_bytes(build(v))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
