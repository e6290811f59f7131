"""A small Python-Markdown extension: a paragraph `Table: <caption>` right before a table becomes its <caption>.

Plain Markdown tables have no caption syntax; screen readers need one. Used by mkdocs.yml as `rdkb.mdext`.
"""

from __future__ import annotations

import xml.etree.ElementTree as etree

from markdown import Extension
from markdown.treeprocessors import Treeprocessor

PREFIX = "Table: "


class _CaptionTreeprocessor(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        for parent in root.iter():
            children = list(parent)
            for i, el in enumerate(children[:-1]):
                nxt = children[i + 1]
                if el.tag == "p" and nxt.tag == "table" and (el.text or "").startswith(PREFIX) and len(el) == 0:
                    caption = etree.Element("caption")
                    caption.text = (el.text or "")[len(PREFIX):]
                    nxt.insert(0, caption)
                    parent.remove(el)


class CaptionExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown API)
        md.treeprocessors.register(_CaptionTreeprocessor(md), "rdkb_table_caption", 5)


def makeExtension(**kwargs):  # noqa: N802 (Python-Markdown API)
    return CaptionExtension(**kwargs)
