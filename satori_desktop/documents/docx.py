r"""A solution as a Word document (.docx) whose formulas are native, editable equations (Office Math).

Every formula becomes an OMML equation object: inline ones (`<m:oMath>`) in the flow of the paragraph's
text runs, display ones (`<m:oMathPara>`) as a paragraph of their own, and the final `\boxed{}` answer as
its own display equation. Word, LibreOffice, Google Docs and Pages open them as equations that can be
edited, never as pictures or text. The LaTeX-to-OMML converter is a parameter (`EquationWriter`); the app
passes `ui.katex_mathml.latex_to_omml`, which goes through the KaTeX the transcript shows. A formula it
refuses (one that is not valid TeX: an unbalanced brace the model left) is written as its source in the
code style, so nothing the model wrote is lost, and counted in `DocxDocument.fallbacks`.

Why our own writer (zipfile + string templates checked by xml.etree) rather than python-docx: a .docx of
text, headings and equations needs six small XML parts, all written here; python-docx would bring lxml
(about 8 MB of native code per platform) into an installer whose size is budgeted, and it has no API for
equations anyway (OMML would still be spliced in by hand). Each part is parsed back before it is zipped,
so a bug here fails loudly instead of writing a file Word calls damaged. Element order inside `w:pPr`,
`w:rPr` and `w:style` follows the schema's sequences, which Word enforces.

Layout: Title, a byline (date, model), per question a Heading 1, per step a Heading 2 ("Solution", "Next
step"), and the checking and exploring steps, and another model's thought, in the "Satori Aside" style
(indented, with a rule on the left) under a bold label, as the transcript sets them apart. East Asian text
gets a CJK font (Microsoft YaHei, falling back to what the reader has) and zh-CN as its language.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from io import BytesIO
from typing import Literal
from xml.sax.saxutils import escape

from satori_desktop.core.coat import StepAction
from satori_desktop.core.errors import UserFacingError
from satori_desktop.documents.labels import ENGLISH, DocumentLabels
from satori_desktop.documents.solution import (
    Block,
    DisplayFormula,
    Formula,
    Inline,
    LineBreak,
    Paragraph,
    Solution,
    SolvedQuestion,
    text_blocks,
)

# (latex, display) -> OMML: "<m:oMath ...>" for inline, "<m:oMathPara ...>" for display; raises
# UserFacingError for a formula it cannot convert.
EquationWriter = Callable[[str, bool], str]
Paper = Literal["a4", "letter"]

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
M_NS = "http://schemas.openxmlformats.org/officeDocument/2006/math"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# A thought (another model's `<think>` section) is an aside too: reasoning around the solution, not in it.
_ASIDE_ACTIONS = (StepAction.REFLECT, StepAction.EXPLORE, StepAction.THINK)
# Page size and margins in twentieths of a point.
_PAGE_SIZES = {"a4": (11906, 16838), "letter": (12240, 15840)}
_MARGIN = 1440
_INDENT_STEP = 360  # one list level
_ASIDE_INDENT = 284

_INVALID_XML_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_M_DECLARATION = f' xmlns:m="{M_NS}"'

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" \
ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/word/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>
<Override PartName="/docProps/core.xml" \
ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
<Override PartName="/docProps/app.xml" \
ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>
</Types>
"""
PACKAGE_RELATIONSHIPS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="word/document.xml"/>
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" \
Target="docProps/core.xml"/>
<Relationship Id="rId3" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" \
Target="docProps/app.xml"/>
</Relationships>
"""
DOCUMENT_RELATIONSHIPS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/>
</Relationships>
"""
APP_PROPERTIES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">\
<Application>Satori Desktop</Application></Properties>
"""


def _heading_style(style_id: str, name: str, size: int, level: int, before: int) -> str:
    return (
        f'<w:style w:type="paragraph" w:styleId="{style_id}"><w:name w:val="{name}"/>'
        '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="9"/><w:qFormat/>'
        f'<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="{before}" w:after="80"/>'
        f'<w:outlineLvl w:val="{level}"/></w:pPr>'
        f'<w:rPr><w:b/><w:bCs/><w:color w:val="1F3763"/><w:sz w:val="{size}"/><w:szCs w:val="{size}"/>'
        "</w:rPr>"
        "</w:style>"
    )


STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<w:styles xmlns:w="{W_NS}">'
    "<w:docDefaults><w:rPrDefault><w:rPr>"
    '<w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:eastAsia="Microsoft YaHei" w:cs="Calibri"/>'
    '<w:sz w:val="22"/><w:szCs w:val="22"/><w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>'
    "</w:rPr></w:rPrDefault>"
    '<w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="276" w:lineRule="auto"/></w:pPr></w:pPrDefault>'
    "</w:docDefaults>"
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/>'
    "</w:style>"
    '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
    '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/>'
    "</w:style>"
    '<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/>'
    '<w:next w:val="Normal"/><w:uiPriority w:val="10"/><w:qFormat/><w:pPr><w:spacing w:after="60"/></w:pPr>'
    '<w:rPr><w:sz w:val="44"/><w:szCs w:val="44"/></w:rPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="Subtitle"><w:name w:val="Subtitle"/><w:basedOn w:val="Normal"/>'
    '<w:next w:val="Normal"/><w:uiPriority w:val="11"/><w:qFormat/>'
    '<w:rPr><w:i/><w:iCs/><w:color w:val="595959"/></w:rPr></w:style>'
    + _heading_style("Heading1", "heading 1", 32, 0, 360)
    + _heading_style("Heading2", "heading 2", 26, 1, 240)
    + _heading_style("Heading3", "heading 3", 22, 2, 160)
    + '<w:style w:type="paragraph" w:customStyle="1" w:styleId="SatoriAside"><w:name w:val="Satori Aside"/>'
    '<w:basedOn w:val="Normal"/><w:qFormat/><w:pPr>'
    '<w:pBdr><w:left w:val="single" w:sz="18" w:space="8" w:color="8EA9DB"/></w:pBdr>'
    f'<w:ind w:left="{_ASIDE_INDENT}"/></w:pPr></w:style>'
    '<w:style w:type="paragraph" w:customStyle="1" w:styleId="SatoriAsideLabel">'
    '<w:name w:val="Satori Aside Label"/><w:basedOn w:val="SatoriAside"/><w:next w:val="SatoriAside"/>'
    '<w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before="200"/></w:pPr>'
    '<w:rPr><w:b/><w:bCs/><w:i/><w:iCs/><w:color w:val="2F5496"/></w:rPr></w:style>'
    '<w:style w:type="paragraph" w:customStyle="1" w:styleId="SatoriNote"><w:name w:val="Satori Note"/>'
    '<w:basedOn w:val="Normal"/><w:rPr><w:i/><w:iCs/><w:color w:val="7F7F7F"/></w:rPr></w:style>'
    '<w:style w:type="paragraph" w:customStyle="1" w:styleId="SatoriCode"><w:name w:val="Satori Code"/>'
    '<w:basedOn w:val="Normal"/><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
    '<w:rPr><w:rFonts w:ascii="Consolas" w:hAnsi="Consolas" w:cs="Consolas"/><w:sz w:val="20"/></w:rPr>'
    "</w:style>"
    '<w:style w:type="character" w:customStyle="1" w:styleId="SatoriCodeChar">'
    '<w:name w:val="Satori Code Char"/><w:basedOn w:val="DefaultParagraphFont"/>'
    '<w:rPr><w:rFonts w:ascii="Consolas" w:hAnsi="Consolas" w:cs="Consolas"/><w:sz w:val="20"/></w:rPr>'
    "</w:style>"
    "</w:styles>\n"
)


@dataclass
class DocxDocument:
    data: bytes = b""
    equations: int = 0  # formulas written as equation objects
    fallbacks: int = 0  # formulas the converter refused, written as their source
    refused: list[str] = field(default_factory=list)  # (the sources of those)


def _text(value: str) -> str:
    return escape(_INVALID_XML_CHARS_RE.sub("", value))


class _BodyWriter:
    def __init__(self, equation: EquationWriter) -> None:
        self._equation = equation
        self.parts: list[str] = []
        self.document = DocxDocument()

    # -- runs ---------------------------------------------------------------------------------------------

    @staticmethod
    def run(text: str, *, bold: bool = False, italic: bool = False, code: bool = False) -> str:
        props = ('<w:rStyle w:val="SatoriCodeChar"/>' if code else "") + ("<w:b/>" if bold else "")
        props += "<w:i/>" if italic else ""
        rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
        return f'<w:r>{rpr}<w:t xml:space="preserve">{_text(text)}</w:t></w:r>'

    def equation(self, formula: Formula, display: bool) -> str | None:
        """The formula's OMML without its own namespace declaration, or None when it is refused."""
        try:
            omml = self._equation(formula.tex, display)
        except UserFacingError:
            self.document.fallbacks += 1
            self.document.refused.append(formula.source)
            return None
        self.document.equations += 1
        # The document declares m: on its root; the converter declares it on each formula too.
        return omml.replace(_M_DECLARATION, "", 1)

    def inlines(self, inlines: Iterable[Inline]) -> str:
        out: list[str] = []
        for inline in inlines:
            if isinstance(inline, LineBreak):
                out.append("<w:r><w:br/></w:r>")
            elif isinstance(inline, Formula):
                omml = self.equation(inline, display=False)
                out.append(omml if omml is not None else self.run(inline.source, code=True))
            else:
                out.append(self.run(inline.text, bold=inline.bold, italic=inline.italic, code=inline.code))
        return "".join(out)

    # -- paragraphs ---------------------------------------------------------------------------------------

    def paragraph(self, content: str, style: str | None = None, indent: int = 0, hanging: int = 0) -> None:
        props = f'<w:pStyle w:val="{style}"/>' if style else ""
        if indent:
            props += f'<w:ind w:left="{indent}"' + (f' w:hanging="{hanging}"' if hanging else "") + "/>"
        ppr = f"<w:pPr>{props}</w:pPr>" if props else ""
        self.parts.append(f"<w:p>{ppr}{content}</w:p>")

    def text_paragraph(self, text: str, style: str | None = None) -> None:
        self.paragraph(self.run(text), style)

    def display(self, formula: Formula, style: str | None, indent: int) -> None:
        omml = self.equation(formula, display=True)
        if omml is None:
            source = self.run(formula.source, code=True)
            self.paragraph(source, "SatoriCode" if style is None else style, indent)
        else:
            self.paragraph(omml, style, indent)

    def blocks(self, blocks: Iterable[Block], aside: bool = False) -> None:
        base_style = "SatoriAside" if aside else None
        base_indent = _ASIDE_INDENT if aside else 0
        for block in blocks:
            indent = base_indent + _INDENT_STEP * block.level
            if isinstance(block, DisplayFormula):
                self.display(block.formula, base_style, indent if block.level else 0)
                continue
            self._paragraph_block(block, base_style, base_indent)

    def _paragraph_block(self, block: Paragraph, base_style: str | None, base_indent: int) -> None:
        content = self.inlines(block.inlines)
        if block.role == "heading":
            self.paragraph(content, "Heading3")
            return
        style = "SatoriCode" if block.role == "code" and base_style is None else base_style
        if block.marker:
            marker = self.run(block.marker) + "<w:r><w:tab/></w:r>"
            indent = base_indent + _INDENT_STEP * max(block.level, 1)
            self.paragraph(marker + content, style, indent, hanging=_INDENT_STEP)
        elif block.level:
            self.paragraph(content, style, base_indent + _INDENT_STEP * block.level)
        else:
            self.paragraph(content, style)


def _question(
    writer: _BodyWriter, question: SolvedQuestion, number: int | None, labels: DocumentLabels
) -> None:
    writer.text_paragraph(labels.question_heading(number), "Heading1")
    writer.blocks(text_blocks(question.question))
    for step, title in zip(
        question.steps, labels.step_titles(step.action for step in question.steps), strict=True
    ):
        if step.action in _ASIDE_ACTIONS:
            writer.text_paragraph(title, "SatoriAsideLabel")
            writer.blocks(text_blocks(step.text), aside=True)
        else:
            writer.text_paragraph(title, "Heading2")
            writer.blocks(text_blocks(step.text))
    if question.answer is not None:
        writer.text_paragraph(labels.answer, "Heading2")
        boxed = f"\\boxed{{{question.answer}}}"
        writer.display(Formula(boxed, True, boxed), None, 0)
    if question.note:
        writer.text_paragraph(question.note, "SatoriNote")


def _document_xml(body: str, paper: Paper) -> str:
    width, height = _PAGE_SIZES[paper]
    section = (
        f'<w:sectPr><w:pgSz w:w="{width}" w:h="{height}"/><w:pgMar w:top="{_MARGIN}" w:right="{_MARGIN}" '
        f'w:bottom="{_MARGIN}" w:left="{_MARGIN}" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr>'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{W_NS}" xmlns:m="{M_NS}" xmlns:r="{R_NS}"><w:body>{body}{section}'
        "</w:body></w:document>\n"
    )


def _core_xml(solution: Solution) -> str:
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(solution.created_at))
    description = f"<dc:description>{_text(solution.model)}</dc:description>" if solution.model else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        "<cp:coreProperties "
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{_text(solution.title)}</dc:title><dc:creator>Satori Desktop</dc:creator>{description}"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{created}</dcterms:modified>'
        "</cp:coreProperties>\n"
    )


def solution_docx(
    solution: Solution, equation: EquationWriter, *, paper: Paper = "a4", labels: DocumentLabels = ENGLISH
) -> DocxDocument:
    """The solution as the bytes of a .docx (`DocxDocument.data`), and how its formulas went."""
    writer = _BodyWriter(equation)
    writer.text_paragraph(solution.title, "Title")
    date = time.strftime("%Y-%m-%d %H:%M", time.localtime(solution.created_at))
    byline = f"Satori Desktop, {date}" + (f", {solution.model}" if solution.model else "")
    writer.text_paragraph(byline, "Subtitle")
    numbered = len(solution.questions) > 1
    for number, question in enumerate(solution.questions, start=1):
        _question(writer, question, number if numbered else None, labels)
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": PACKAGE_RELATIONSHIPS,
        "word/document.xml": _document_xml("".join(writer.parts), paper),
        "word/_rels/document.xml.rels": DOCUMENT_RELATIONSHIPS,
        "word/styles.xml": STYLES,
        "docProps/core.xml": _core_xml(solution),
        "docProps/app.xml": APP_PROPERTIES,
    }
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, xml in parts.items():
            data = xml.encode("utf-8")
            ET.fromstring(data)  # a malformed part is a bug here: fail now, not in the reader's Word
            # A fixed time: the same solution gives the same bytes.
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(info, data)
    document = writer.document
    document.data = buffer.getvalue()
    return document


__all__ = ["DOCX_MIME", "DocxDocument", "EquationWriter", "Paper", "solution_docx"]
