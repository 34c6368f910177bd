"""Shared inputs of the Word briefing tests: hostile text, modified reference documents."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

from publisher.model import Block, Citation, Digest, Pos, Report, Section, assign_ids
from publisher.textutil import xml_safe

HOSTILE = [
    "控制字符\x00\x01\x08\x0b\x0c\x1f 结束",
    "孤立代理 \ud800 与 \udfff",
    "bidi \u202e 反向 \u202c \u2066隔离\u2069 \u200f",
    "长" * 100_000,
    "{{ 7*7 }} {% if true %}模板{% endif %} {# 注释 #}",
    "heading 1: 注入\nbullet: 更多\n# 注释\ntable\nrow: a | b",
    "\ue000 0 \ue001 \ue0000\ue001 伪造的标记",
    "a | b | c",
    "{PAGE} / {NUMPAGES}",
    "<w:p>&amp;</w:p> ]]> \"'",
    "\ufffe\uffff 非字符",
    "行\r\n换行\t制表",
    "😀 \U0010ffff 零宽\u200d连接",
]


def hostile_digest(texts: list[str], title: str = "Hostile {{ title }} \x03") -> Digest:
    blocks = [
        Block("bullet", text, [Citation(1, min(2, len(text))), Citation(2, len(text) + 9)], pos=Pos(3, i + 1))
        for i, text in enumerate(texts)
    ]
    report = Report(
        title="标题 heading 2: x\x07",
        institution="机构 | 伪",
        published_at=datetime(2025, 2, 16, 9, 0),
        sections=[Section("核心观点\ud800", 1, "summary", blocks, pos=Pos(3, 1))],
        pos=Pos(1, 1),
    )
    digest = Digest("hostile.txt", [report], title=title)
    assign_ids(digest)
    return digest


def expected_text(text: str) -> str:
    return re.sub(r"\r\n|\r", "\n", xml_safe(text)[0])


def modified_reference(path: Path, replace: dict[bytes, bytes], part_name: str = "word/styles.xml") -> Path:
    source = Path(__file__).resolve().parents[2] / "templates" / "base" / "reference.docx"
    with zipfile.ZipFile(source) as z, zipfile.ZipFile(path, "w") as out:
        for info in z.infolist():
            data = z.read(info)
            if info.filename == part_name:
                for old, new in replace.items():
                    data = data.replace(old, new)
            out.writestr(info, data)
    return path
