"""The build attacked as a pull request would attack it: each attack from the table below, and its outcome.

Outcomes:
  refused  `make check` exits 1 with `file:line: RULE` for the planted input, and prints no traceback;
  inert    the input is accepted but cannot act (no markup, formula, write outside the repo, ...);
  safe     a machine-level defence (lock, signed cache, Host check, hashes) holds.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import copy_kb
from rdkb.paths import REPO

ENV = {**os.environ, "PYTHONPATH": str(REPO.root / "scripts")}


def rdkb(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rdkb", "--root", str(root), *args], capture_output=True, text=True,
                          env=ENV, timeout=timeout, check=False)


def _append_bib(kb, text: str) -> None:
    bib = kb.bib / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


def _case(kb, name: str, extra: str = "") -> Path:
    path = kb.cases / name
    path.write_text((REPO.root / "tests/fixtures/valid/cases/all-not-reported.yaml").read_text() + extra, encoding="utf-8")
    return path


# ---------------------------------------------------------------- attacks refused by make check

def a_bib_key_script(kb):
    _append_bib(kb, "@misc{../references.bib) <script>alert(1)</script> (x,\n  title = {X},\n  year = {2024}\n}\n")
    return "bib/references.bib", "E308"


def a_bib_key_path(kb):
    _append_bib(kb, "@misc{../../../tmp/PWNED,\n  title = {X},\n  year = {2024}\n}\n")
    return "bib/references.bib", "E308"


def a_symlinked_content(kb):
    (kb.content / "x.md").symlink_to("/etc/passwd")
    return "content/x.md", "E014"


def a_symlinked_case(kb, tmp=Path("/tmp")):
    outside = kb.root.parent / "outside-case.yaml"
    shutil.copyfile(REPO.root / "tests/fixtures/valid/cases/all-not-reported.yaml", outside)
    (kb.cases / "outside-1.yaml").symlink_to(outside)
    return "cases/outside-1.yaml", "E014"


def a_case_named_index(kb):
    _case(kb, "index.yaml")
    return "cases/index.yaml", "E015"


def a_cause_named_hallmarks(kb):
    shutil.copyfile(kb.root / "causes" / "focal-dystonia.yaml", kb.root / "causes" / "hallmarks.yaml")
    return "causes/hallmarks.yaml", "E015"


def a_content_overwrites_generated_page(kb):
    (kb.content / "downloads.md").write_text("# Downloads\n\nNothing here.\n", encoding="utf-8")
    return "content/downloads.md", "E015"


def a_non_utf8_content(kb):
    (kb.content / "broken.md").write_bytes(b"# Broken\n\n\xff\xfe bytes\n")
    return "content/broken.md", "E001"


def a_missing_drug_table(kb):
    (kb.tables / "treatments.yaml").unlink()
    return "tables/treatments.yaml", "E205"


def a_file_name_with_newline(kb):
    _case(kb, "wu2006-9\n.yaml")
    return "cases/wu2006-9\n.yaml", "E008"


def a_huge_bib_title(kb):
    _append_bib(kb, "@misc{huge2024,\n  title = {" + "A" * 5_000_000 + "},\n  year = {2024}\n}\n")
    return "bib/references.bib", "E309"


def a_latex_macro_bomb(kb):
    _append_bib(kb, "@misc{macros2024,\n  title = {" + "\\'e" * 150_000 + "},\n  year = {2024}\n}\n")
    return "bib/references.bib", "E310"


def a_raw_html_in_content(kb):
    (kb.content / "evil.md").write_text("# Evil\n\n<script>alert(1)</script>\n\n<iframe src=https://evil.example/></iframe>\n\n"
                                        "[click](javascript:alert(1))\n\n# Heading {: onclick=\"alert(1)\"}\n", encoding="utf-8")
    return "content/evil.md", "E501"


# ---------------------------------------------------------------- round 2 (issue 25): the new surface

def a_front_matter_closed_with_dots(kb):  # defect 1: YAML escapes hid '<' from E501; the title reached <title> raw
    (kb.content / "evil.md").write_text('---\nnav_title: Evil\ntitle: "\\x3c/title\\x3e\\x3cscript\\x3ealert(1)\\x3c/script\\x3e"\n'
                                        'description: "\\x3cscript\\x3ealert(2)\\x3c/script\\x3e"\n...\n\n# Evil\n\nText.\n',
                                        encoding="utf-8")
    return "content/evil.md", "E502"


def a_second_front_matter_block(kb):  # defect 1: a second '---' block became MkDocs' own front matter
    (kb.content / "evil.md").write_text('---\nnav_title: Evil\n---\n\n---\ntitle: "\\x3cscript\\x3ealert(1)\\x3c/script\\x3e"\n'
                                        '---\n\n# Evil\n\nText.\n', encoding="utf-8")
    return "content/evil.md", "E502"


def a_front_matter_key_outside_the_allowlist(kb):  # defect 1: only nav_title and description
    (kb.content / "evil.md").write_text("---\nnav_title: Evil\ntemplate: ../../etc/passwd\n---\n\n# Evil\n\nText.\n",
                                        encoding="utf-8")
    return "content/evil.md", "E502"


def a_link_definition_in_a_blockquote(kb):  # defect 6
    (kb.content / "evil.md").write_text("# Evil\n\n> [x]: javascript:alert(1)\n>\n> [click][x]\n", encoding="utf-8")
    return "content/evil.md", "E501"


def a_link_definition_in_a_list_item(kb):  # defect 6
    (kb.content / "evil.md").write_text("# Evil\n\n- item\n\n    [x]: javascript:alert(1)\n\n    [click][x]\n", encoding="utf-8")
    return "content/evil.md", "E501"


def a_control_byte_before_javascript(kb):  # defect 6: browsers drop the byte and run the script
    (kb.content / "evil.md").write_text("# Evil\n\n[click](\x01javascript:alert(1))\n", encoding="utf-8")
    return "content/evil.md", "E501"


def a_attribute_list_behind_escaped_backticks(kb):  # defect 6
    (kb.content / "evil.md").write_text('# Evil\n\nSee \\`[this](https://example.org){: onclick="alert(1)"}\\` here.\n',
                                        encoding="utf-8")
    return "content/evil.md", "E501"


def a_deeply_nested_brackets(kb):  # defect 11 (Python-Markdown is quadratic in the depth: 85 s for 40 KB)
    (kb.content / "evil.md").write_text("# Evil\n\n" + ("[" * 40 + "x" + "](y)" * 40 + "\n") * 200, encoding="utf-8")
    return "content/evil.md", "E501"


def a_deeply_nested_emphasis(kb):  # defect 13: a 47-line traceback
    (kb.content / "evil.md").write_text("# Evil\n\n" + "*_" * 3000 + "x" + "_*" * 3000 + "\n", encoding="utf-8")
    return "content/evil.md", "E501"


def a_symlinked_template_asset(kb):  # defect 2: published /etc/passwd and /proc/self/environ
    (kb.templates / "assets" / "passwd.css").symlink_to("/etc/passwd")
    return "site_templates/assets/passwd.css", "E014"


def a_symlinked_template(kb):  # defect 2: a linked template pulled an outside file into a page
    outside = kb.root.parent / "outside.md.j2"
    outside.write_text("secret\n", encoding="utf-8")
    (kb.templates / "papers" / "paper.md.j2").unlink()
    (kb.templates / "papers" / "paper.md.j2").symlink_to(outside)
    return "site_templates/papers/paper.md.j2", "E014"


def a_symlinked_template_folder(kb):  # defect 2: a linked folder is reported, never entered
    (kb.templates / "extra").symlink_to("/etc")
    return "site_templates/extra", "E014"


def _excerpt(kb, name: str, reference_id: str, bibkey: str, text: str = "Some invented text.") -> None:
    (kb.root / "references_cache" / name).write_text(f"---\nreference_id: {reference_id}\ncontent_type: abstract_only\n"
                                                     f"bibkey: {bibkey}\n---\n\n# X\n\n## Content\n\n{text}\n", encoding="utf-8")


def a_excerpt_reference_id_url_not_stored(kb):  # defect 3: the validator fetched the URL into references_cache/
    _excerpt(kb, "PMID_1.md", "url:https://127.0.0.1:9/quote", "wu2006")
    return "references_cache/PMID_1.md", "E603"


def a_excerpt_reference_id_local_file(kb):  # defect 4: file:/any/path was read and copied into the repository
    _excerpt(kb, "file__etc_hostname.md", "file:/etc/hostname", "wu2006")
    return "references_cache/file__etc_hostname.md", "E603"


def a_excerpt_reference_id_not_its_bib_entry(kb):  # defect 3: the id must be the entry's PMID/DOI
    _excerpt(kb, "PMID_99999999.md", "PMID:99999999", "katz2013")
    return "references_cache/PMID_99999999.md", "E603"


def a_second_excerpt_for_a_bib_key(kb):  # defect 10: it silently replaced the real abstract
    _excerpt(kb, "DOI_10.2519_jospt.2012.3892.md", "DOI:10.2519/jospt.2012.3892", "mcclinton2012", "A 99-year-old woman.")
    return "references_cache/DOI_10.2519_jospt.2012.3892.md", "E603"


def a_second_fingerprint_for_the_review(kb):  # defect 7: a new .ngrams file claiming a bib key made any quote verbatim
    src = (kb.root / "references_cache" / "davis2015review.ngrams").read_text(encoding="utf-8")
    (kb.root / "references_cache" / "zz-fake.ngrams").write_text(src.split("\n# about")[0] + "\n0123abcd\n", encoding="utf-8")
    return "references_cache/zz-fake.ngrams", "E603"


def a_non_utf8_excerpt(kb):  # defect 13: an 'internal error' with no file or line
    (kb.root / "references_cache" / "PMID_1.md").write_bytes(b"---\nreference_id: PMID:1\nbibkey: wu2006\n---\n\xff\xfe\n")
    return "references_cache/PMID_1.md", "E001"


def _candidate_url(kb, url: str) -> None:
    path = kb.root / "literature" / "candidates.yaml"
    text = path.read_text(encoding="utf-8")
    first = re.search(r"(?m)^    - (https?://\S+)$", text)
    assert first, "candidates.yaml has a url list"
    path.write_text(text[:first.start(1)] + json.dumps(url) + text[first.end(1):], encoding="utf-8")


def a_literature_url_with_markup(kb):  # defect 5: markup through a URL the schema's ^https?://\\S+$ accepts
    _candidate_url(kb, "https://example.org/<img/src/onerror=alert(1)>")
    return "literature/candidates.yaml", "E704"


def a_literature_url_with_an_attribute(kb):  # defect 5: an onclick on the literature page
    _candidate_url(kb, 'https://example.org/x"onclick="alert(1)')
    return "literature/candidates.yaml", "E704"


def _review_quote(kb, quote: str) -> str:
    """Replace one quote of the review (the survey's median age at onset) by `quote`."""
    path = kb.root / "survey" / "survey.yaml"
    text = path.read_text(encoding="utf-8")
    assert "    quote: mean 26.6 years, median 22\n" in text
    path.write_text(text.replace("    quote: mean 26.6 years, median 22\n", f"    quote: {json.dumps(quote)}\n"), encoding="utf-8")
    return "survey/survey.yaml"


def a_fingerprint_with_hashes_added(kb):  # defect 7: 29 hash lines for an invented sentence made any quote 'verbatim'
    path = kb.root / "references_cache" / "davis2015review.ngrams"
    path.write_text(path.read_text(encoding="utf-8") + "".join(f"{i:012x}\n" for i in range(29)), encoding="utf-8")
    return "references_cache/davis2015review.ngrams", "E603"


def a_review_quote_with_a_changed_trailing_number(kb):  # defect 8: 'aged 27 and 99' passed (trailing digits were ignored)
    return _review_quote(kb, "In these two unfortunate men (aged 27 and 99"), "E601"


def a_review_quote_of_one_word_parts(kb):  # defect 8: one-word parts between '...' passed
    return _review_quote(kb, "ranged ... 16 ... 49"), "E601"


def a_review_quote_with_changed_symbols(kb):  # defect 8: '<16 to >49' passed (symbols were dropped)
    return _review_quote(kb, "ranged from <16 to >49 years of age"), "E601"


def a_review_quote_stitched_from_two_sentences(kb):  # defect 8: two sentences joined through a shared 4-word run
    return _review_quote(kb, "others have tentatively termed loss of leg coordination ranged from 16 to 49 years"), "E601"


def a_bib_key_index(kb):  # defect 13: it replaced the generated papers index
    _append_bib(kb, "@misc{index,\n  title = {Index},\n  year = {2024},\n  note = {none},\n  access = {abstract}\n}\n")
    return "bib/references.bib", "E308"


def a_cause_verdict_without_source(kb):  # defect 13: its invented review_wording went unchecked, then the build crashed
    path = kb.root / "causes" / "focal-dystonia.yaml"
    text = path.read_text(encoding="utf-8")
    text, n = re.subn(r"(?m)^  source: \{ref: davis2015review, locator: \"Recap.*\n", "", text)
    assert n == 1
    path.write_text(text.replace('  review_wording: "loss of leg coordination while running appears',
                                 '  review_wording: "invented: it is certainly not dystonia; loss of leg coordination while running appears'),
                    encoding="utf-8")
    return "causes/focal-dystonia.yaml", "E602"


def a_bracketed_insertion_inverting_an_abstract(kb):  # defect 9: '[No patient] benefited ...' passed against 'two patients'
    path = kb.root / "series" / "wu2006.yaml"
    text = path.read_text(encoding="utf-8")
    old = "    quote: another two patients benefited from repeat botulinum toxin injections\n"
    assert old in text
    path.write_text(text.replace(old, '    quote: "[No patient] benefited from repeat botulinum toxin injections"\n'), encoding="utf-8")
    return "series/wu2006.yaml", "E605"


def a_bracketed_insertion_adding_a_number(kb):  # defect 9
    path = kb.root / "series" / "wu2006.yaml"
    text = path.read_text(encoding="utf-8")
    old = "    quote: another two patients benefited from repeat botulinum toxin injections\n"
    path.write_text(text.replace(old, '    quote: "[All 5] patients benefited from repeat botulinum toxin injections"\n'), encoding="utf-8")
    return "series/wu2006.yaml", "E605"


def a_transcribed_fact_of_the_review(kb):  # risk 3: `transcribed: true` skipped the quote check where the text is stored
    case = _case(kb, "wu2006-9.yaml")
    case.write_text(case.read_text(encoding="utf-8").replace(
        "sex:\n  status: not_reported\n",
        "sex:\n  status: reported\n  value: male\n  source: {ref: wu2006, via: davis2015review, locator: Recap}\n"
        "  transcribed: true\n"), encoding="utf-8")
    assert "transcribed: true" in case.read_text(encoding="utf-8")
    return "cases/wu2006-9.yaml", "E606"


ROUND2 = [a_front_matter_closed_with_dots, a_second_front_matter_block, a_front_matter_key_outside_the_allowlist,
          a_link_definition_in_a_blockquote, a_link_definition_in_a_list_item, a_control_byte_before_javascript,
          a_attribute_list_behind_escaped_backticks, a_deeply_nested_brackets, a_deeply_nested_emphasis,
          a_symlinked_template_asset, a_symlinked_template, a_symlinked_template_folder,
          a_excerpt_reference_id_url_not_stored, a_excerpt_reference_id_local_file, a_excerpt_reference_id_not_its_bib_entry,
          a_second_excerpt_for_a_bib_key, a_second_fingerprint_for_the_review, a_non_utf8_excerpt,
          a_literature_url_with_markup, a_literature_url_with_an_attribute,
          a_fingerprint_with_hashes_added, a_review_quote_with_a_changed_trailing_number, a_review_quote_of_one_word_parts,
          a_review_quote_with_changed_symbols, a_review_quote_stitched_from_two_sentences, a_bib_key_index,
          a_cause_verdict_without_source, a_bracketed_insertion_inverting_an_abstract, a_bracketed_insertion_adding_a_number,
          a_transcribed_fact_of_the_review]


REFUSED = [a_bib_key_script, a_bib_key_path, a_symlinked_content, a_symlinked_case, a_case_named_index, a_cause_named_hallmarks,
           a_content_overwrites_generated_page, a_non_utf8_content, a_missing_drug_table, a_file_name_with_newline,
           a_huge_bib_title, a_latex_macro_bomb, a_raw_html_in_content, *ROUND2]


@pytest.mark.parametrize("attack", REFUSED, ids=lambda f: f.__name__[2:])
def test_attack_is_refused_with_file_line_and_rule(kb, attack):
    rel, rule = attack(kb)
    t0 = time.perf_counter()
    proc = rdkb(kb.root, "--quiet-warnings", "check")
    elapsed = time.perf_counter() - t0
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    shown = rel.replace("\n", "\\n")
    assert re.search(rf"(?m)^{re.escape(shown)}:\d+: {rule} ", proc.stderr), proc.stderr[-2000:]
    assert elapsed < 30, f"check took {elapsed:.1f}s"
    assert max(len(line) for line in proc.stderr.splitlines()) < 400, "a message echoes a huge value"
    # and the build refuses too, leaving site/ unchanged and nothing written outside the repository
    before = sorted(p.relative_to(kb.root) for p in kb.root.rglob("*") if "build" not in p.parts)
    build = rdkb(kb.root, "--quiet-warnings", "build", "--no-pdf")
    assert build.returncode == 1 and "Traceback" not in build.stderr
    assert not (kb.root / "site").exists()
    assert not Path("/tmp/PWNED.bib").exists() and not Path("/tmp/PWNED.ris").exists()
    assert sorted(p.relative_to(kb.root) for p in kb.root.rglob("*") if "build" not in p.parts) == before


# ---------------------------------------------------------------- attacks made inert

def test_control_characters_in_messages_are_escaped(kb):
    path = kb.cases / "wu2006-1.yaml"
    path.write_text(path.read_text() + '"bad\\n::error file=x::owned \\u001b[31m": 1\n', encoding="utf-8")
    proc = rdkb(kb.root, "--quiet-warnings", "check")
    assert proc.returncode == 1
    assert not any(line.startswith("::") for line in proc.stderr.splitlines()), proc.stderr
    assert "\x1b" not in proc.stderr and "\\x1b" in proc.stderr


def test_csv_cells_cannot_become_formulas(kb):
    path = kb.cases / "wu2006-1.yaml"
    text = path.read_text()
    text = re.sub(r"(?m)^main_complaint:\n(  .*\n)+", "main_complaint:\n  status: reported\n  value: '=HYPERLINK(\"http://evil.example\")'\n"
                  "  source: {ref: wu2006}\n", text)
    path.write_text(text, encoding="utf-8")
    assert rdkb(kb.root, "--quiet-warnings", "build", "--no-mkdocs").returncode == 0
    import csv

    with open(kb.build_docs / "data/cases.csv", encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["id"] == "wu2006-1")
    assert row["main_complaint"] == "'" + '=HYPERLINK("http://evil.example")'
    for name in ("cases.csv", "treatments.csv", "phenotypes-long.csv", "treatments-long.csv"):
        with open(kb.build_docs / "data" / name, encoding="utf-8") as fh:
            for r in csv.reader(fh):
                assert not any(c[:1] in ("=", "+", "-", "@", "\t", "\r") for c in r), (name, r)


def test_a_committed_pickle_or_forged_cache_is_never_trusted(kb, tmp_path):
    marker = tmp_path / "pwned"
    cache_dir = kb.root / "build" / "cache"
    cache_dir.mkdir(parents=True)

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    (cache_dir / "records.pickle").write_bytes(pickle.dumps({"version": "rdkb-cache-1", "x": Evil()}))
    # a forged JSON cache claiming a broken record parsed fine
    (kb.cases / "wu2006-1.yaml").write_text("paper: [unclosed\n", encoding="utf-8")
    digest = __import__("hashlib").sha1((kb.cases / "wu2006-1.yaml").read_bytes()).hexdigest()
    from rdkb.pipeline.load import cache_version

    body = json.dumps({"version": cache_version(), f"parse:{digest}": [{"paper": "wu2006"}, []]})
    (cache_dir / "records.json").write_text("0" * 64 + "\n" + body, encoding="utf-8")  # the format, unsigned
    proc = rdkb(kb.root, "--quiet-warnings", "check")
    assert not marker.exists()
    assert proc.returncode == 1 and re.search(r"cases/wu2006-1\.yaml:\d+: E003", proc.stderr), proc.stderr


def test_cache_is_keyed_on_the_code(kb):
    from rdkb.pipeline import load as load_mod

    v1 = load_mod.cache_version()
    assert re.fullmatch(r"[0-9a-f]{24}", v1)
    load_mod.cache_version.cache_clear()
    assert load_mod.cache_version() == v1


def test_writer_refuses_paths_outside_the_docs_folder(tmp_path):
    from rdkb.pipeline.render import Writer

    w = Writer(tmp_path / "docs")
    for bad in ("../x.md", "/etc/x", "a/../../x", "data/references/../../../tmp/PWNED.bib", "a\nb.md"):
        with pytest.raises(ValueError):
            w.text(bad, "x")
    w.discard()


def test_quote_checks_touch_no_network_and_no_file(kb, monkeypatch):  # defects 3, 4: the store is read-only in a check
    import socket

    from rdkb.kinds.excerpt import Excerpt, excerpt_match

    def no_network(*a, **k):
        raise AssertionError("the quote check opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    empty = kb.root / "empty-store"
    empty.mkdir()
    for rid in ("url:https://127.0.0.1:9/x", "file:/etc/hostname", "PMID:1"):
        ex = Excerpt("k", rid, "references_cache/x.md", "The stored words of the work.", "abstract", "", empty)
        assert excerpt_match("stored words of the work", ex)[0]
        assert not excerpt_match("words nobody stored", ex)[0]
    assert list(empty.iterdir()) == []
    # and a whole check of a record quoting a work whose excerpt names an unknown URL writes nothing into the store
    _excerpt(kb, "url_https___127.0.0.1_9_x.md", "url:https://127.0.0.1:9/x", "wu2006")
    before = sorted(p.name for p in (kb.root / "references_cache").iterdir())
    t0 = time.perf_counter()
    proc = rdkb(kb.root, "--quiet-warnings", "check")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert time.perf_counter() - t0 < 30
    assert sorted(p.name for p in (kb.root / "references_cache").iterdir()) == before


def test_a_valid_url_cannot_break_out_of_its_link(kb):  # defect 5: rendered %-encoded through the link helper
    _candidate_url(kb, "https://example.org/a)[x](javascript:alert(1))'*!")
    proc = rdkb(kb.root, "--quiet-warnings", "build", "--no-mkdocs")
    assert proc.returncode == 0, proc.stderr[-2000:]
    page = (kb.build_docs / "literature" / "index.md").read_text(encoding="utf-8")
    assert "(https://example.org/a%29%5Bx%5D%28javascript:alert%281%29%29%27%2A%21)" in page
    assert "(javascript:" not in page and "](javascript" not in page
    import markdown

    html = markdown.Markdown(extensions=["tables", "attr_list", "md_in_html"]).convert(page)
    assert not re.search(r"href=\"(?!https://|\.|[a-z0-9#])", html) and "onclick" not in html


def test_the_fingerprint_is_the_pinned_one_and_real_review_quotes_pass(kb):  # defects 7, 8: what still passes
    import hashlib

    from rdkb.kinds.excerpt import PINS, ngram_match, pins, store
    from rdkb.pipeline.load import load

    fp_file = kb.root / "references_cache" / "davis2015review.ngrams"
    digest, keys = pins()["davis2015review.ngrams"]
    assert hashlib.sha256(fp_file.read_bytes()).hexdigest() == digest and keys == ["davis2015review", "davis2015summary"]
    assert PINS.name == "fingerprint_pins.py" and PINS.parent.name == "kinds"  # code: reviewed as code, keys the cache
    fp = store(load(kb))[1]["davis2015review"]
    for ok in ("In these two unfortunate men (aged 27 and 45)", "ranged from 16 to 49 years of age",
               "Carbamazepine",  # a whole table cell
               "mean 26.6 years, median 22", "others have tentatively termed ... ranged from 16 to 49"):
        assert ngram_match(ok, fp)[0], ok
    for bad in ("aged 27 and 99", "median 22", "L-dopa L-dopa", "ranged from 16 to 49 years of ages"):
        assert not ngram_match(bad, fp)[0], bad


def test_the_sentence_search_hashes_as_span_hash_does(kb):
    """_sentences_with hashes each sentence's prefix once: for every window of every quote tried, the sentences it
    finds are exactly those span_hash (the fingerprint's own hash) finds; asked whether any sentence holds it, it
    names one of those (from wherever the last search of that work stopped) or none."""
    from rdkb.kinds import excerpt
    from rdkb.kinds.excerpt import MIN_SPAN, _sentences_with, _windows, span_hash, store, tokens
    from rdkb.pipeline.load import load

    fp = store(load(kb))[1]["davis2015review"]
    tried = 0
    for quote in ("In these two unfortunate men (aged 27 and 45)", "ranged from 16 to 49 years of age", "aged 27 and 99",
                  "mean 26.6 years, median 22", "the of and a in to"):
        t = tokens(quote)
        slow = [s for s in range(fp.sentences) if all(span_hash(fp.salt, s, w) in fp.hashes for w in _windows(t))] \
            if len(t) >= MIN_SPAN else []
        assert _sentences_with(t, fp) == slow, quote
        excerpt._FOUND.clear()  # (searched again, not remembered)
        for _ in range(2):  # "is it in the work?": one sentence of those, or none; the second time from a remembered start
            one = _sentences_with(t, fp, any_one=True)
            assert (one == []) if not slow else (len(one) == 1 and one[0] in slow), quote
        tried += bool(slow)
    assert tried >= 2
    excerpt._FOUND.clear()  # (searched again, not remembered)
    excerpt._LAST[id(fp)] = fp.sentences + 5  # a remembered start past the end (an id another fingerprint had)
    t = tokens("ranged from 16 to 49 years of age")
    assert excerpt._sentences_with(t, fp, any_one=True)[0] in _sentences_with(t, fp)


HOSTILE_TOOL_OUTPUT = "INFO - ok\n::error file=README.md::owned\n  ::add-mask::x\nWARNING - \x1b[31mred\x1b[0m \u202egnp.exe\rhidden\n"


def _tool_safe(text: str) -> None:
    assert "\x1b" not in text and "\u202e" not in text and "\r" not in text, text
    assert not any(line.lstrip().startswith("::") for line in text.splitlines()), text
    assert "\\x1b[31m" in text and "\\x3a:error file=README.md::owned" in text


@pytest.mark.parametrize("returncode", [0, 1])
def test_mkdocs_output_is_made_terminal_and_ci_safe(kb, monkeypatch, returncode):  # defect 12
    from rdkb.pipeline import build as build_mod

    def fake_run(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, returncode, HOSTILE_TOOL_OUTPUT, HOSTILE_TOOL_OUTPUT)

    monkeypatch.setattr(build_mod.subprocess, "run", fake_run)
    kb.build_dir.mkdir(parents=True, exist_ok=True)
    ok, out = build_mod.run_mkdocs_build(kb)
    assert ok == (returncode == 0)
    _tool_safe(out)


def test_mkdocs_serve_logs_are_made_terminal_and_ci_safe():  # defect 12: `make serve` runs MkDocs in-process
    import logging

    from rdkb.tools.mkdocs_serve import safe_log_records

    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(self.format(record))

    before = logging.getLogRecordFactory()
    log = logging.getLogger("mkdocs.rdkb-test")
    handler = Keep()
    log.addHandler(handler)
    try:
        safe_log_records()
        for line in HOSTILE_TOOL_OUTPUT.splitlines():
            log.warning("%s", line)
    finally:
        logging.setLogRecordFactory(before)
        log.removeHandler(handler)
    _tool_safe("\n".join(seen))


def test_plain_markdown_passes_the_parsed_page_check():  # defects 6, 11: the allowlist does not refuse what pages use
    from rdkb.kinds.content import front_matter, front_matter_problems, unsafe_markup

    page = ("---\nnav_title: Plain\ndescription: \"McClinton & Heiderscheit's 'criteria'\"\n---\n\n# Plain page\n\n"
            "Text with *emphasis*, **strong**, `code` and a [page link](references.md#wu2006) or an "
            "[address](https://example.org/a?b=1&c=2).\n\n3. third\n4. fourth\n\n> a quote\n\n!!! note \"Note\"\n    An admonition.\n\n"
            "Table: A caption\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n    <script>in a code block</script>\n\n"
            "`<b>in a code span</b>`\n\n---\n\nEnd.\n")
    assert front_matter_problems(page) == []
    assert front_matter(page) == {"nav_title": "Plain", "description": "McClinton & Heiderscheit's 'criteria'"}
    assert unsafe_markup(page.split("---\n", 2)[2]) == []
    # mkdocs.yml has no fenced_code: a ``` block is not code there, and its HTML would be live (the old regex exempted it)
    assert unsafe_markup("# X\n\n```\n<script>alert(1)</script>\n```\n") == [(4, "raw HTML (<script>)")]


def test_copying_never_follows_a_link(tmp_path):  # defect 2, defence in depth behind E014
    from rdkb.pipeline.render import Writer

    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "kb.css").symlink_to("/etc/passwd")
    w = Writer(tmp_path / "docs")
    with pytest.raises(OSError):
        w.copy("assets/kb.css", tmp_path / "assets" / "kb.css")
    assert not (w.stage / "assets" / "kb.css").exists()
    w.discard()


# ---------------------------------------------------------------- the build under concurrency and interruption

def test_two_builds_at_once_both_succeed_and_leave_no_temporary_folders(kb):
    procs = [subprocess.Popen([sys.executable, "-m", "rdkb", "--root", str(kb.root), "--quiet-warnings", "build", "--no-pdf"],
                              env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-1500:] for o in outs]
    assert (kb.site / "index.html").is_file()
    assert not list((kb.root / "build").glob(".docs-*")) and not list((kb.root / "build").glob(".site-new-*"))


def test_leftovers_of_an_interrupted_build_are_removed(kb):
    (kb.root / "build" / ".docs-dead").mkdir(parents=True)
    (kb.root / "build" / ".site-new-dead").mkdir()
    assert rdkb(kb.root, "--quiet-warnings", "build", "--no-mkdocs").returncode == 0
    assert not (kb.root / "build" / ".docs-dead").exists() and not (kb.root / "build" / ".site-new-dead").exists()


# ---------------------------------------------------------------- set-up, serve and dependencies

def test_make_site_needs_neither_npm_nor_root():
    out = subprocess.run(["make", "-n", "site"], cwd=REPO.root, capture_output=True, text=True, check=False).stdout
    assert "npm" not in out and "apt-get" not in out


def test_site_builds_without_chromium_and_skips_only_the_pdf(kb, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("git",):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    env = {**ENV, "PATH": str(bin_dir)}
    proc = subprocess.run([sys.executable, "-m", "rdkb", "--root", str(kb.root), "--quiet-warnings", "build"], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (kb.site / "index.html").is_file() and not (kb.site / "executive-summary.pdf").exists()
    assert "executive-summary.pdf was not printed" in proc.stderr and "apt-get install chromium" in proc.stderr


def test_requirements_are_installed_with_hashes():
    for name in ("requirements-site.lock", "requirements-test.lock"):  # tests/test_locks.py checks them in full
        lock = (REPO.root / name).read_text()
        entries = [e for e in re.split(r"\n(?=[A-Za-z])", lock) if "==" in e]
        assert entries
        for entry in entries:
            assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), entry.split()[0]
    assert "--require-hashes" in (REPO.root / "Makefile").read_text()


def test_serve_answers_only_localhost(kb):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "rdkb", "--root", str(kb.root), "serve", "--dev-addr", f"127.0.0.1:{port}"],
                            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        assert urllib.request.urlopen(url, timeout=5).status == 200
        evil = urllib.request.Request(url, headers={"Host": "evil.example"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(evil, timeout=5)
        assert err.value.code == 403
        rebound = urllib.request.Request(url, headers={"Host": f"attacker.example:{port}"})
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(rebound, timeout=5)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_host_check():
    from rdkb.tools.mkdocs_serve import host_allowed

    assert host_allowed("localhost:8000") and host_allowed("127.0.0.1:8000") and host_allowed("[::1]:8000")
    assert not host_allowed("evil.example") and not host_allowed("127.0.0.1.evil.example") and not host_allowed(None)



# ---------------------------------------------------------------- titles, nav and search stay inert in a real browser

HOSTILE_TITLE = "x</title><svg/onload=alert(1)> &lt;img src=x onerror=alert(2)&gt; <img src=x onerror=alert(3)>"


@pytest.mark.browser
def test_hostile_titles_run_no_script_in_chromium(tmp_path):
    import functools
    import http.server

    kb = copy_kb(tmp_path / "kb")
    q = json.dumps(HOSTILE_TITLE)
    cause = kb.root / "causes" / "focal-dystonia.yaml"
    cause.write_text(re.sub(r"(?m)^name: .*$", f"name: {q}", cause.read_text()), encoding="utf-8")
    bib = kb.bib / "references.bib"
    text = bib.read_text()
    start = text.index("@article{wu2006,")
    entry = text[start:text.index("\n}", start)]
    hostile_entry = re.sub(r"(?m)^(\s*)title = \{.*\},$", lambda m: m.group(1) + "title = {" + HOSTILE_TITLE + "},", entry)
    hostile_entry = re.sub(r"(?m)^(\s*)author = \{", lambda m: m.group(1) + "author = {Evil</title><svg/onload=alert(4)> and ", hostile_entry)
    bib.write_text(text.replace(entry, hostile_entry), encoding="utf-8")
    survey = kb.root / "survey" / "survey.yaml"
    st = survey.read_text()
    if re.search(r"(?m)^  title: ", st):
        survey.write_text(re.sub(r"(?m)^  title: .*$", f"  title: {q}", st, count=1), encoding="utf-8")
    page = kb.content / "red-flags.md"
    page.write_text(page.read_text().replace("nav_title: Red flags", "nav_title: 'Red &lt;svg onload=alert(5)&gt; flags'"), encoding="utf-8")
    proc = rdkb(kb.root, "--quiet-warnings", "build", "--no-pdf", timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(kb.site))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    import threading

    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"])
            try:
                tab = browser.new_page()
                tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                for path in ["", "causes/", "causes/focal-dystonia/", "causes/hallmarks/", "papers/wu2006/", "references/",
                             "survey/questionnaire/", "red-flags/", "cases/wu2006-1/"]:
                    tab.goto(base + path, wait_until="load")
                    title = tab.evaluate("document.title")
                    assert "<" not in title and ">" not in title, (path, title)
                    assert tab.evaluate("document.querySelectorAll('svg[onload], img[onerror]').length") == 0, path
                tab.goto(base, wait_until="load")
                for query in ("svg", "onload", "Evil", "title"):
                    tab.fill("input.md-search__input", query)
                    tab.wait_for_timeout(800)
                    assert tab.evaluate("document.querySelectorAll('.md-search-result svg[onload], .md-search-result img[onerror]').length") == 0
                tab.wait_for_timeout(500)
            finally:
                browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert dialogs == [], dialogs


@pytest.mark.browser
def test_summary_pdf_is_reproducible_and_never_links_to_the_print_server(kb):
    from rdkb.pipeline.build import build

    assert not build(kb, run_mkdocs=True, pdf=True).failed
    first = (kb.site / "executive-summary.pdf").read_bytes()
    time.sleep(1.1)  # a timestamp in the PDF would now differ
    assert not build(kb, run_mkdocs=True, pdf=True).failed
    second = (kb.site / "executive-summary.pdf").read_bytes()
    assert first.startswith(b"%PDF") and first == second
    assert b"127.0.0.1" not in first and b"localhost" not in first
    uris = re.findall(rb"/URI \(([^)]*)\)", first)
    assert all(u.startswith((b"https://", b"http://")) and b"127.0.0.1" not in u for u in uris), uris[:5]


def test_pdf_links_follow_site_url(kb):
    from rdkb.pipeline.build import site_url

    assert site_url(kb) == ""
    kb.mkdocs_yml.write_text(kb.mkdocs_yml.read_text() + "\nsite_url: https://example.org/rdkb/\n", encoding="utf-8")
    assert site_url(kb) == "https://example.org/rdkb/"


@pytest.mark.parametrize("url", ["http://LOCALHOST/", "http://0.0.0.0/", "http://2130706433/", "http://0x7f000001/", "http://127.1/",
                                 "http://a.localhost/", "http://10.0.0.1/", "http://169.254.169.254/"])
def test_site_url_never_names_this_machine_in_any_spelling(url):  # defect 13: these passed the localhost rule
    from rdkb.pipeline.pdf import PdfError, checked_site_url

    with pytest.raises(PdfError):
        checked_site_url(url, "site_url")
    assert checked_site_url("https://example.org/rdkb", "site_url") == "https://example.org/rdkb/"


def test_round2_warm_check_never_hides_an_edit_of_the_hpo_subset(tmp_path):
    """Round 2, low: a warm `make check` replayed clean after the vendored HPO subset changed. The subset is now part of
    the code key that keys both the signed cache and the check's replay (rdkb.pipeline.memo.code_digest)."""
    import shutil

    from rdkb.paths import PACKAGE_DIR
    from rdkb.pipeline import memo

    pkg = tmp_path / "rdkb"
    shutil.copytree(PACKAGE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    before = memo.code_digest(pkg)
    subset = pkg / "data" / "hpo-subset.json"
    subset.write_text(subset.read_text(encoding="utf-8").replace("Leg dystonia", "Leg dystonia (edited)", 1), encoding="utf-8")
    assert memo.code_digest(pkg) != before
