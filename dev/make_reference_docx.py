#!/usr/bin/env python3
"""Generate ``templates/base/reference.docx``, the default look of Word briefings.

    python dev/make_reference_docx.py [OUTPUT]

The reference document plays the role of pandoc's ``--reference-doc``: the
docx writer takes its styles, numbering (list) definitions, theme, fonts,
page size, margins and settings, and ignores its text.  Open the generated
file in Word or LibreOffice, change the styles (not the sample text) and
save it as ``reference.docx`` in an audience folder to change the look.

Chinese typography: every style and the document defaults name an East
Asian font explicitly (``w:eastAsia``), no style uses theme-font attributes
(``w:asciiTheme``, ``w:eastAsiaTheme`` …, which would override the explicit
fonts), the default language is ``zh-CN`` for East Asian text and the
theme font language (``w:themeFontLang``) is ``zh-CN`` too, so that no
application falls back to a Japanese font for Chinese text.

The output is byte-for-byte reproducible (fixed zip order and timestamps).
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "templates" / "base" / "reference.docx"

# Fonts: Latin text in the classic pair of Chinese office documents, Chinese
# text in Noto CJK (Source Han); fontTable.xml names Windows fonts as
# alternates for machines without Noto CJK.
SERIF_LATIN = "Times New Roman"
SANS_LATIN = "Arial"
SERIF_CJK = "Noto Serif CJK SC"
SANS_CJK = "Noto Sans CJK SC"
MONO = "Noto Sans Mono CJK SC"

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEAD = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"


def fonts(latin: str, east_asian: str) -> str:
    return f'<w:rFonts w:ascii="{latin}" w:hAnsi="{latin}" w:eastAsia="{east_asian}" w:cs="{latin}"/>'


def style(
    kind: str,
    style_id: str,
    name: str,
    *,
    based_on: str | None = None,
    next_style: str | None = None,
    ppr: str = "",
    rpr: str = "",
    extra: str = "",
    default: bool = False,
    ui_priority: int | None = None,
    qformat: bool = True,
) -> str:
    """One ``w:style`` element (children in schema order)."""
    attrs = f'w:type="{kind}"' + (' w:default="1"' if default else "") + f' w:styleId="{style_id}"'
    parts = [f'<w:name w:val="{name}"/>']
    if based_on:
        parts.append(f'<w:basedOn w:val="{based_on}"/>')
    if next_style:
        parts.append(f'<w:next w:val="{next_style}"/>')
    if ui_priority is not None:
        parts.append(f'<w:uiPriority w:val="{ui_priority}"/>')
    if qformat:
        parts.append("<w:qFormat/>")
    if ppr:
        parts.append(f"<w:pPr>{ppr}</w:pPr>")
    if rpr:
        parts.append(f"<w:rPr>{rpr}</w:rPr>")
    parts.append(extra)
    return f"<w:style {attrs}>{''.join(parts)}</w:style>"


HEADING_SIZES = [32, 28, 24, 22, 21, 21, 21, 21, 21]  # half-points: 16pt … 10.5pt
HEADING_COLOURS = ["1F3864", "1F3864", "2F5496", "2F5496", "404040", "404040", "595959", "595959", "595959"]


def styles_xml() -> str:
    body_fonts = fonts(SERIF_LATIN, SERIF_CJK)
    head_fonts = fonts(SANS_LATIN, SANS_CJK)
    doc_defaults = (
        "<w:docDefaults>"
        f'<w:rPrDefault><w:rPr>{body_fonts}<w:kern w:val="2"/><w:sz w:val="21"/><w:szCs w:val="21"/>'
        '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>'
        '<w:pPrDefault><w:pPr><w:widowControl/><w:spacing w:after="0" w:line="300" w:lineRule="auto"/>'
        '<w:jc w:val="both"/></w:pPr></w:pPrDefault>'
        "</w:docDefaults>"
    )
    s: list[str] = []
    # --- defaults every document needs
    s.append(style("paragraph", "Normal", "Normal", default=True, rpr=body_fonts))
    s.append(
        style("character", "DefaultParagraphFont", "Default Paragraph Font", default=True, ui_priority=1, qformat=False)
    )
    s.append(
        style(
            "table",
            "TableNormal",
            "Normal Table",
            default=True,
            ui_priority=99,
            qformat=False,
            extra='<w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/>'
            '<w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/>'
            "</w:tblCellMar></w:tblPr>",
        )
    )
    s.append(style("numbering", "NoList", "No List", default=True, ui_priority=99, qformat=False))
    # --- text
    s.append(
        style("paragraph", "BodyText", "Body Text", based_on="Normal", ppr='<w:spacing w:before="0" w:after="120"/>')
    )
    s.append(
        style(
            "paragraph",
            "Title",
            "Title",
            based_on="Normal",
            next_style="Subtitle",
            ppr='<w:keepNext/><w:snapToGrid w:val="0"/>'
            '<w:spacing w:before="600" w:after="240" w:line="240" w:lineRule="auto"/>'
            '<w:jc w:val="left"/><w:outlineLvl w:val="9"/>',
            rpr=f'{head_fonts}<w:b/><w:bCs/><w:color w:val="1F3864"/><w:sz w:val="44"/><w:szCs w:val="44"/>',
        )
    )
    s.append(
        style(
            "paragraph",
            "Subtitle",
            "Subtitle",
            based_on="Normal",
            next_style="BodyText",
            ppr='<w:spacing w:after="240"/><w:jc w:val="left"/>',
            rpr=f'{head_fonts}<w:color w:val="595959"/><w:sz w:val="28"/><w:szCs w:val="28"/>',
        )
    )
    for level in range(1, 10):
        size = HEADING_SIZES[level - 1]
        before = 360 if level == 1 else 240
        bold = "<w:b/><w:bCs/>" if level <= 4 else ""
        s.append(
            style(
                "paragraph",
                f"Heading{level}",
                f"heading {level}",
                based_on="Normal",
                next_style="BodyText",
                ui_priority=9,
                # single line spacing off the document grid: a wrapped heading keeps its lines together
                ppr=f'<w:keepNext/><w:keepLines/><w:snapToGrid w:val="0"/>'
                f'<w:spacing w:before="{before}" w:after="120" w:line="240" w:lineRule="auto"/>'
                f'<w:jc w:val="left"/><w:outlineLvl w:val="{level - 1}"/>',
                rpr=f'{head_fonts}{bold}<w:color w:val="{HEADING_COLOURS[level - 1]}"/>'
                f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/>',
            )
        )
    # --- lists: the look of each level lives in numbering.xml (abstract numbering 1 and 2)
    for num_id, base_name, base_id in ((1, "List Bullet", "ListBullet"), (2, "List Number", "ListNumber")):
        for level in range(1, 4):
            sid = base_id if level == 1 else f"{base_id}{level}"
            name = base_name if level == 1 else f"{base_name} {level}"
            s.append(
                style(
                    "paragraph",
                    sid,
                    name,
                    based_on="Normal",
                    ppr=f'<w:numPr><w:ilvl w:val="{level - 1}"/><w:numId w:val="{num_id}"/></w:numPr>'
                    '<w:spacing w:after="60"/>',
                )
            )
    # --- briefing parts
    s.append(
        style(
            "paragraph",
            "CoverInfo",
            "Cover Info",
            based_on="Normal",
            ppr='<w:spacing w:after="60"/><w:jc w:val="left"/>',
            rpr=f'{head_fonts}<w:color w:val="404040"/>',
        )
    )
    s.append(
        style(
            "paragraph",
            "ReportMeta",
            "Report Meta",
            based_on="Normal",
            next_style="BodyText",
            ppr='<w:keepNext/><w:spacing w:after="120"/><w:jc w:val="left"/>',
            rpr=f'{head_fonts}<w:color w:val="7F7F7F"/><w:sz w:val="18"/><w:szCs w:val="18"/>',
        )
    )
    s.append(
        style(
            "paragraph",
            "KeyTakeaway",
            "Key Takeaway",
            based_on="Normal",
            next_style="BodyText",
            ppr='<w:pBdr><w:left w:val="single" w:sz="18" w:space="8" w:color="2F5496"/></w:pBdr>'
            '<w:shd w:val="clear" w:color="auto" w:fill="EDF2F9"/><w:spacing w:before="60" w:after="120"/>'
            '<w:ind w:left="170" w:right="170"/>',
            rpr="<w:b/><w:bCs/>",
        )
    )
    s.append(
        style(
            "paragraph",
            "TableText",
            "Table Text",
            based_on="Normal",
            ppr='<w:spacing w:before="20" w:after="20" w:line="260" w:lineRule="auto"/><w:jc w:val="left"/>',
            rpr='<w:sz w:val="18"/><w:szCs w:val="18"/>',
        )
    )
    s.append(
        style(
            "paragraph",
            "TableHeading",
            "Table Heading",
            based_on="TableText",
            ppr='<w:keepNext/><w:jc w:val="left"/>',
            rpr=f'{head_fonts}<w:b/><w:bCs/><w:color w:val="FFFFFF"/>',
        )
    )
    s.append(
        style(
            "paragraph",
            "PlainText",
            "Plain Text",
            based_on="Normal",
            ppr='<w:spacing w:after="0" w:line="240" w:lineRule="auto"/><w:jc w:val="left"/>',
            rpr=f'{fonts(MONO, MONO)}<w:sz w:val="18"/><w:szCs w:val="18"/>',
        )
    )
    # --- table of contents, header, footer, footnotes
    s.append(
        style(
            "paragraph",
            "TOCHeading",
            "TOC Heading",
            based_on="Heading1",
            next_style="BodyText",
            ppr='<w:outlineLvl w:val="9"/>',
        )
    )
    for level in range(1, 4):
        s.append(
            style(
                "paragraph",
                f"TOC{level}",
                f"toc {level}",
                based_on="Normal",
                next_style="BodyText",
                ui_priority=39,
                ppr=f'<w:tabs><w:tab w:val="right" w:leader="dot" w:pos="9298"/></w:tabs>'
                # single-spaced off the grid: a contents page holds about forty entries
                f'<w:snapToGrid w:val="0"/><w:spacing w:after="40" w:line="240" w:lineRule="auto"/>'
                f'<w:ind w:left="{(level - 1) * 420}"/><w:jc w:val="left"/>',
            )
        )
    s.append(
        style(
            "paragraph",
            "Header",
            "header",
            based_on="Normal",
            ppr='<w:pBdr><w:bottom w:val="single" w:sz="4" w:space="1" w:color="A6A6A6"/></w:pBdr>'
            '<w:tabs><w:tab w:val="center" w:pos="4649"/><w:tab w:val="right" w:pos="9298"/></w:tabs>'
            '<w:jc w:val="right"/>',
            rpr=f'{head_fonts}<w:color w:val="7F7F7F"/><w:sz w:val="18"/><w:szCs w:val="18"/>',
        )
    )
    s.append(
        style(
            "paragraph",
            "Footer",
            "footer",
            based_on="Normal",
            ppr='<w:tabs><w:tab w:val="center" w:pos="4649"/><w:tab w:val="right" w:pos="9298"/></w:tabs>'
            '<w:jc w:val="center"/>',
            rpr=f'{head_fonts}<w:color w:val="7F7F7F"/><w:sz w:val="18"/><w:szCs w:val="18"/>',
        )
    )
    s.append(
        style(
            "paragraph",
            "FootnoteText",
            "footnote text",
            based_on="Normal",
            ppr='<w:spacing w:after="0" w:line="240" w:lineRule="auto"/><w:jc w:val="left"/>',
            rpr='<w:sz w:val="16"/><w:szCs w:val="16"/>',
        )
    )
    s.append(
        style(
            "character",
            "FootnoteReference",
            "footnote reference",
            based_on="DefaultParagraphFont",
            rpr='<w:vertAlign w:val="superscript"/>',
        )
    )
    s.append(
        style(
            "character",
            "CitationMark",
            "Citation Mark",
            based_on="DefaultParagraphFont",
            rpr='<w:color w:val="7F7F7F"/><w:vertAlign w:val="superscript"/>',
        )
    )
    s.append(
        style(
            "character",
            "Hyperlink",
            "Hyperlink",
            based_on="DefaultParagraphFont",
            rpr='<w:color w:val="0563C1"/><w:u w:val="single"/>',
        )
    )
    # --- the table style of briefing tables: ruled rows, a dark header row
    border = 'w:val="single" w:sz="4" w:space="0" w:color="BFBFBF"'
    s.append(
        style(
            "table",
            "BriefingTable",
            "Briefing Table",
            based_on="TableNormal",
            ui_priority=59,
            ppr='<w:spacing w:after="0"/>',
            extra=(
                "<w:tblPr><w:tblBorders>"
                f"<w:top {border}/><w:left {border}/><w:bottom {border}/><w:right {border}/>"
                f"<w:insideH {border}/><w:insideV {border}/>"
                '</w:tblBorders><w:tblCellMar><w:top w:w="40" w:type="dxa"/><w:left w:w="80" w:type="dxa"/>'
                '<w:bottom w:w="40" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr>'
                '<w:tblStylePr w:type="firstRow"><w:rPr><w:b/><w:bCs/><w:color w:val="FFFFFF"/></w:rPr>'
                '<w:tblPr/><w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="1F3864"/></w:tcPr></w:tblStylePr>'
                '<w:tblStylePr w:type="band2Horz"><w:tblPr/>'
                '<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="F2F2F2"/></w:tcPr></w:tblStylePr>'
            ),
        )
    )
    return HEAD + f'<w:styles xmlns:w="{W_NS}" xmlns:r="{R_NS}">' + doc_defaults + "".join(s) + "</w:styles>"


BULLETS = ["●", "○", "■", "●", "○", "■", "●", "○", "■"]
NUMBER_FORMATS = [
    ("decimal", "%1."),
    ("decimal", "(%2)"),
    ("lowerLetter", "%3)"),
    ("decimal", "%4."),
    ("decimal", "(%5)"),
    ("lowerLetter", "%6)"),
    ("decimal", "%7."),
    ("decimal", "(%8)"),
    ("lowerLetter", "%9)"),
]


def numbering_xml() -> str:
    """Abstract numbering 0 (bullets) and 1 (numbers), linked to the List styles."""

    def levels(kind: str) -> str:
        out = []
        for ilvl in range(9):
            left = 420 * (ilvl + 1)
            if kind == "bullet":
                fmt, text = "bullet", BULLETS[ilvl]
                rpr = f'<w:rPr><w:rFonts w:ascii="{SANS_LATIN}" w:hAnsi="{SANS_LATIN}" w:hint="default"/></w:rPr>'
            else:
                fmt, text = NUMBER_FORMATS[ilvl]
                rpr = ""
            pstyle = ""
            if ilvl < 3:
                base = "ListBullet" if kind == "bullet" else "ListNumber"
                pstyle = f'<w:pStyle w:val="{base if ilvl == 0 else f"{base}{ilvl + 1}"}"/>'
            out.append(
                f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>{pstyle}'
                f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
                f'<w:pPr><w:ind w:left="{left}" w:hanging="420"/></w:pPr>{rpr}</w:lvl>'
            )
        return "".join(out)

    return (
        HEAD + f'<w:numbering xmlns:w="{W_NS}" xmlns:r="{R_NS}">'
        '<w:abstractNum w:abstractNumId="0"><w:nsid w:val="5B1D0A01"/><w:multiLevelType w:val="hybridMultilevel"/>'
        f"{levels('bullet')}</w:abstractNum>"
        '<w:abstractNum w:abstractNumId="1"><w:nsid w:val="5B1D0A02"/><w:multiLevelType w:val="hybridMultilevel"/>'
        f"{levels('number')}</w:abstractNum>"
        '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
        '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>'
        "</w:numbering>"
    )


def settings_xml() -> str:
    return (
        HEAD + f'<w:settings xmlns:w="{W_NS}" xmlns:r="{R_NS}">'
        '<w:zoom w:percent="100"/>'
        '<w:defaultTabStop w:val="420"/>'
        '<w:characterSpacingControl w:val="compressPunctuation"/>'
        "<w:compat><w:spaceForUL/><w:balanceSingleByteDoubleByteWidth/><w:doNotLeaveBackslashAlone/>"
        "<w:ulTrailSpace/><w:doNotExpandShiftReturn/><w:adjustLineHeightInTable/><w:useFELayout/>"
        '<w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/>'
        '<w:compatSetting w:name="overrideTableStyleFontSizeAndJustification" '
        'w:uri="http://schemas.microsoft.com/office/word" w:val="1"/>'
        '<w:compatSetting w:name="enableOpenTypeFeatures" w:uri="http://schemas.microsoft.com/office/word" w:val="1"/>'
        '<w:compatSetting w:name="doNotFlipMirrorIndents" w:uri="http://schemas.microsoft.com/office/word" w:val="1"/>'
        "</w:compat>"
        '<w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/>'
        '<w:clrSchemeMapping w:bg1="light1" w:t1="dark1" w:bg2="light2" w:t2="dark2" w:accent1="accent1" '
        'w:accent2="accent2" w:accent3="accent3" w:accent4="accent4" w:accent5="accent5" w:accent6="accent6" '
        'w:hyperlink="hyperlink" w:followedHyperlink="followedHyperlink"/>'
        '<w:decimalSymbol w:val="."/><w:listSeparator w:val=","/>'
        "</w:settings>"
    )


FONT_TABLE = [
    # name, alternate (Windows), charset, family, panose
    (SERIF_LATIN, None, "00", "roman", "02020603050405020304"),
    (SANS_LATIN, None, "00", "swiss", "020B0604020202020204"),
    (SERIF_CJK, "SimSun", "86", "roman", "02020400000000000000"),
    (SANS_CJK, "Microsoft YaHei", "86", "swiss", "020B0500000000000000"),
    (MONO, "NSimSun", "86", "modern", "020B0509000000000000"),
]


def font_table_xml() -> str:
    items = []
    for name, alt, charset, family, panose in FONT_TABLE:
        alt_xml = f"<w:altName w:val={quoteattr(alt)}/>" if alt else ""
        pitch = "fixed" if family == "modern" else "variable"
        items.append(
            f'<w:font w:name={quoteattr(name)}>{alt_xml}<w:panose1 w:val="{panose}"/>'
            f'<w:charset w:val="{charset}"/><w:family w:val="{family}"/><w:pitch w:val="{pitch}"/></w:font>'
        )
    return HEAD + f'<w:fonts xmlns:w="{W_NS}" xmlns:r="{R_NS}">' + "".join(items) + "</w:fonts>"


def theme_xml() -> str:
    """python-docx's Office theme with its font scheme pointed at our fonts."""
    import docx

    default = Path(docx.__file__).parent / "templates" / "default.docx"
    with zipfile.ZipFile(default) as z:
        theme = z.read("word/theme/theme1.xml").decode("utf-8")

    def scheme(tag: str, latin: str, east_asian: str) -> str:
        return (
            f'<a:{tag}><a:latin typeface="{latin}"/><a:ea typeface="{east_asian}"/><a:cs typeface="{latin}"/>'
            f'<a:font script="Hans" typeface="{east_asian}"/></a:{tag}>'
        )

    theme = re.sub(r"<a:majorFont>.*?</a:majorFont>", scheme("majorFont", SANS_LATIN, SANS_CJK), theme, flags=re.S)
    theme = re.sub(r"<a:minorFont>.*?</a:minorFont>", scheme("minorFont", SERIF_LATIN, SERIF_CJK), theme, flags=re.S)
    return theme.replace('name="Office Theme"', 'name="Briefing"', 1)


def p(style_id: str, text: str, extra_ppr: str = "") -> str:
    return (
        f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/>{extra_ppr}</w:pPr>'
        f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'
    )


SECT_PR = (
    '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'
    '<w:pgMar w:top="1440" w:right="1304" w:bottom="1440" w:left="1304" w:header="851" w:footer="850" w:gutter="0"/>'
    '<w:cols w:space="425"/><w:docGrid w:type="lines" w:linePitch="312"/></w:sectPr>'
)


def document_xml() -> str:
    """Sample text in every style the writer uses, to edit the styles on."""
    body = [
        p("Title", "简报标题 Briefing title"),
        p("Subtitle", "副标题 Subtitle"),
        p("CoverInfo", "封面信息 Cover Info: 日期范围、读者、生成时间"),
        p("TOCHeading", "目录 TOC Heading"),
    ]
    for level in range(1, 7):
        body.append(p(f"Heading{level}", f"{level} 级标题 Heading {level}"))
        if level == 1:
            body.append(p("ReportMeta", "海通国际 · 2025-02-16 16:06 (Report Meta)"))
            body.append(p("KeyTakeaway", "核心观点 Key Takeaway:管理层积极展望业务,重申将股东回报最大化作为重点。"))
    body.append(p("BodyText", "正文 Body Text:并购重组是快速实现产业突围的重要路径。The quick brown fox."))
    body.append(
        '<w:p><w:pPr><w:pStyle w:val="BodyText"/></w:pPr><w:r><w:t xml:space="preserve">引用 Citation Mark</w:t></w:r>'
        '<w:r><w:rPr><w:rStyle w:val="CitationMark"/></w:rPr><w:t>[1][12]</w:t></w:r>'
        '<w:r><w:t xml:space="preserve">,脚注 footnote reference</w:t></w:r>'
        '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:t>1</w:t></w:r>'
        '<w:r><w:t xml:space="preserve">,超链接 </w:t></w:r>'
        '<w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr><w:t>Hyperlink</w:t></w:r></w:p>'
    )
    for sid, label in (("ListBullet", "List Bullet"), ("ListNumber", "List Number")):
        for level in (1, 2, 3):
            style_id = sid if level == 1 else f"{sid}{level}"
            body.append(p(style_id, f"列表 {label}{'' if level == 1 else f' {level}'}"))
    body.append(p("PlainText", "Plain Text 原始文本 0123456789"))
    body.append(p("FootnoteText", "脚注文本 Footnote Text"))
    cells = [["时间 Time", "机构 Institution", "标题 Title"], ["2025-02-16 16:06", "海通国际", "Table Text 表格文本"]]
    rows = []
    for i, row in enumerate(cells):
        trpr = "<w:trPr><w:tblHeader/></w:trPr>" if i == 0 else ""
        tcs = "".join(
            f'<w:tc><w:tcPr><w:tcW w:w="3099" w:type="dxa"/></w:tcPr>{p("TableHeading" if i == 0 else "TableText", c)}'
            "</w:tc>"
            for c in row
        )
        rows.append(f"<w:tr>{trpr}{tcs}</w:tr>")
    body.append(
        '<w:tbl><w:tblPr><w:tblStyle w:val="BriefingTable"/><w:tblW w:w="5000" w:type="pct"/>'
        '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" '
        'w:noHBand="0" w:noVBand="1"/></w:tblPr>'
        '<w:tblGrid><w:gridCol w:w="3099"/><w:gridCol w:w="3099"/><w:gridCol w:w="3100"/></w:tblGrid>'
        + "".join(rows)
        + "</w:tbl>"
    )
    body.append(p("BodyText", ""))
    return (
        HEAD + f'<w:document xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:body>{"".join(body)}{SECT_PR}</w:body></w:document>'
    )


CONTENT_TYPES = (
    HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
    '<Override PartName="/word/numbering.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>'
    '<Override PartName="/word/settings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>'
    '<Override PartName="/word/fontTable.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml"/>'
    '<Override PartName="/word/theme/theme1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)

ROOT_RELS = (
    HEAD + f'<Relationships xmlns="{REL_NS}">'
    f'<Relationship Id="rId1" Type="{DOC_REL}/officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
    'core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{DOC_REL}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)

DOCUMENT_RELS = (
    HEAD + f'<Relationships xmlns="{REL_NS}">'
    f'<Relationship Id="rId1" Type="{DOC_REL}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId2" Type="{DOC_REL}/numbering" Target="numbering.xml"/>'
    f'<Relationship Id="rId3" Type="{DOC_REL}/settings" Target="settings.xml"/>'
    f'<Relationship Id="rId4" Type="{DOC_REL}/fontTable" Target="fontTable.xml"/>'
    f'<Relationship Id="rId5" Type="{DOC_REL}/theme" Target="theme/theme1.xml"/>'
    "</Relationships>"
)

CORE = (
    HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:title>publisher reference document</dc:title>"
    "<dc:description>Styles of Word briefings: edit the styles, not the text.</dc:description>"
    "<dc:creator>publisher</dc:creator><cp:lastModifiedBy>publisher</cp:lastModifiedBy><cp:revision>1</cp:revision>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">2025-01-01T00:00:00Z</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">2025-01-01T00:00:00Z</dcterms:modified>'
    "</cp:coreProperties>"
)

APP = (
    HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>publisher</Application></Properties>"
)


def build() -> dict[str, str]:
    return {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "docProps/core.xml": CORE,
        "docProps/app.xml": APP,
        "word/document.xml": document_xml(),
        "word/_rels/document.xml.rels": DOCUMENT_RELS,
        "word/styles.xml": styles_xml(),
        "word/numbering.xml": numbering_xml(),
        "word/settings.xml": settings_xml(),
        "word/fontTable.xml": font_table_xml(),
        "word/theme/theme1.xml": theme_xml(),
    }


def write(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for name, text in build().items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, text.encode("utf-8"), compresslevel=9)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT
    write(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
