"""The rule catalogue as text, Markdown (docs/rules.md) or JSON."""

from __future__ import annotations

import json

from .findings import KINDS, SEVERITY_LABELS
from .engine import RULES


SOURCES_NOTE = ("“依据”中的 RULES、DOMAIN、FAMILIES、PITFALLS 指随本仓库提供的 [docs/spec/](spec/) 下的同名文件："
                "它们摘录并注明了所依据的公开政策文件（如财预〔2020〕10号《项目支出绩效评价管理办法》、各省市自评操作规程）"
                "和公开的真实自评表，每条都有出处和可信度。")


def _rules():
    from . import rules as _r  # noqa: F401  (registers the rules)

    return sorted(RULES.values(), key=lambda r: (KINDS.index(r.kind), r.code))


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def render_catalogue(fmt: str = "text") -> str:
    rules = _rules()
    if fmt == "json":
        return json.dumps([{"code": r.code, "kind": r.kind, "severity": r.severity, "title": r.title,
                            "explanation": r.explanation, "source": r.source, "explainable": r.explainable} for r in rules],
                          ensure_ascii=False, indent=2) + "\n"
    if fmt == "markdown":
        lines = ["# 审核规则目录", "",
                 "由 `gridbudget rules --format markdown` 生成。级别为默认值，评分方案的 `[rules]` 可以改变级别或关闭规则。"
                 "“可说明”为“是”的规则，单位可在审核副本“审核结果”表的“出错说明”列（或工作簿中的“出错说明”表）写明原因，"
                 "重新审核时该问题记为“已说明”；为“否”的（算术或逻辑不可能正确）必须改正，写了说明也仍是问题。", "",
                 SOURCES_NOTE, "",
                 "| 代码 | 类别 | 默认级别 | 可说明 | 名称 | 说明 | 依据 |", "|---|---|---|---|---|---|---|"]
        for r in rules:
            lines.append(f"| {r.code} | {r.kind} | {SEVERITY_LABELS[r.severity]} | {_yes(r.explainable)} | {r.title} "
                         f"| {r.explanation} | {r.source} |")
        return "\n".join(lines) + "\n"
    out = []
    for r in rules:
        out.append(f"{r.code}  [{r.kind}] [{SEVERITY_LABELS[r.severity]}] [{'可说明' if r.explainable else '不可说明'}] {r.title}")
        out.append(f"    {r.explanation}" + (f"（依据：{r.source}）" if r.source else ""))
    out.append(f"共 {len(rules)} 条规则。")
    out.append(SOURCES_NOTE.replace("[docs/spec/](spec/)", "docs/spec/"))
    return "\n".join(out) + "\n"
