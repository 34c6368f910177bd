"""Inputs for the HTML tests: hostile text that must only ever be shown as text."""

from __future__ import annotations

from pathlib import Path

# Markup, event handlers, a javascript: URL, HTML entities (escaped and numeric), a closing
# </title> and a closing </style> in the title, a heading, a bullet, the institution, and in
# the translations of the catalog next to the digest.
HOSTILE_TITLE = "<script>window.pwned=1;document.title='pwned'</script>研报</title></style>标题"
HOSTILE_BULLET = (
    '文本<img src=x onerror="window.pwned=2">与"onload="window.pwned=3"及'
    '<a href="javascript:window.pwned=4">javascript:window.pwned=4</a> &amp; &lt;b&gt;粗体&lt;/b&gt; &#x3C;script&#x3E;'
)
HOSTILE_HEADING = "风险<svg onload=window.pwned=5>提示"
HOSTILE_DIGEST = f"""Workflow
{HOSTILE_TITLE}
海通国际<b onmouseover=window.pwned=7>· 2025-02-16 16:06
报告核心观点 - {HOSTILE_BULLET} [1] {HOSTILE_HEADING} - 标题里的</title><script>window.pwned=6</script>风险 [2]
"""
HOSTILE_TRANSLATION = '<script>window.pwned=8</script><img src=x onerror="window.pwned=9"> &amp; Report'


def write_hostile(folder: Path) -> Path:
    """The hostile digest and a catalog next to it whose translation is hostile too."""
    digest = folder / "hostile.txt"
    digest.write_text(HOSTILE_DIGEST, encoding="utf-8")
    title = HOSTILE_TITLE.replace("\\", "\\\\").replace('"', '\\"')
    translation = HOSTILE_TRANSLATION.replace('"', '\\"')
    (folder / "hostile.en.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'msgctxt "title"\nmsgid "{title}"\nmsgstr "{translation}"\n',
        encoding="utf-8",
    )
    return digest
