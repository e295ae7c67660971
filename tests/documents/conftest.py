"""Fixtures of the converter tests: the real KaTeX in a QJSEngine (needs a QApplication, which pytest-qt's
`qapp` makes; the picture tests also need the offscreen web engine: tests/support/qt_env.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.qt_env import ignore_startup_noise, prepare_qt_environment

prepare_qt_environment()  # before pytest-qt creates the QApplication

OMML_NS = "http://schemas.openxmlformats.org/officeDocument/2006/math"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    ignore_startup_noise(items, Path(__file__).parent)


@pytest.fixture
def katex(qapp: Any) -> Callable[[str, bool], str]:
    """KaTeX's MathML for a formula, through the app's katex.min.js."""
    from satori_desktop.ui.katex_mathml import katex_mathml

    return katex_mathml


def omml_tags(omml: str) -> list[str]:
    """The `m:` element names of an OMML string, in document order (parsing it proves it is XML)."""
    root = ET.fromstring(omml)
    return [element.tag.replace("{" + OMML_NS + "}", "m:") for element in root.iter()]


def omml_values(omml: str, tag: str) -> list[str]:
    """The `m:val` of every `m:<tag>` element."""
    root = ET.fromstring(omml)
    return [element.get(f"{{{OMML_NS}}}val", "") for element in root.iter(f"{{{OMML_NS}}}{tag}")]
