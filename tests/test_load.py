"""The loader treats every record file as untrusted: any bytes give data or Issues, never an exception."""

from __future__ import annotations

import time
import tracemalloc

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rdkb.pipeline.load import load_record
from rdkb.yamlio import MAX_RECORD_BYTES, parse_yaml_bytes

BILLION_LAUGHS = b"""a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def rules(raw: bytes) -> list[str]:
    return [i.rule for i in parse_yaml_bytes(raw, "x.yaml")[2]]


def test_plain_mapping_keeps_dates_as_strings_and_records_lines():
    data, lines, issues = parse_yaml_bytes(b"a: 1\nb:\n  c: 2020-01-02\n  d: [x, y]\n", "x.yaml")
    assert issues == []
    assert data == {"a": 1, "b": {"c": "2020-01-02", "d": ["x", "y"]}}
    assert lines[("b", "c")] == 3 and lines[("b", "d", 1)] == 4


def test_duplicate_key_is_an_error_with_both_lines():
    _, _, issues = parse_yaml_bytes(b"a: 1\nb: 2\na: 3\n", "x.yaml")
    (issue,) = issues
    assert (issue.rule, issue.line) == ("E004", 3) and "line 1" in issue.message


def test_nested_duplicate_key_is_found():
    assert rules(b"a:\n  x: 1\n  x: 2\n") == ["E004"]


def test_billion_laughs_refused_fast_with_bounded_memory():
    tracemalloc.start()
    t0 = time.perf_counter()
    result = rules(BILLION_LAUGHS)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result == ["E005"]
    assert elapsed < 1.0  # a structural bound, not a benchmark: expansion would take minutes
    assert peak < 20 * 1024 * 1024


def test_anchor_without_alias_is_refused():
    assert rules(b"a: &x 1\n") == ["E005"]


def test_python_tags_are_refused_and_never_constructed():
    for raw in (b"a: !!python/object/apply:os.system ['touch /tmp/pwned']\n", b"a: !custom 1\n", b"!!python/name:os.system\n"):
        assert rules(raw) == ["E006"], raw


def test_bom_and_crlf_are_accepted_and_normalised_with_warnings():
    data, _, issues = parse_yaml_bytes(b"\xef\xbb\xbfa: 1\r\nb: two\r\n", "x.yaml")
    assert data == {"a": 1, "b": "two"}
    assert [i.rule for i in issues] == ["W001", "W002"] and not any(i.is_error for i in issues)


def test_non_utf8_reports_the_line():
    (issue,) = parse_yaml_bytes(b"a: 1\nb: caf\xe9\n", "x.yaml")[2]
    assert (issue.rule, issue.line) == ("E001", 2)


def test_tab_reports_the_line():
    (issue,) = parse_yaml_bytes(b"a:\n\tb: 1\n", "x.yaml")[2]
    assert (issue.rule, issue.line) == ("E002", 2)


def test_size_limit():
    assert rules(b"a: " + b"x" * MAX_RECORD_BYTES + b"\n") == ["E007"]


def test_deep_nesting_is_refused():
    assert rules(b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n") == ["E012"]


def test_non_finite_numbers_become_text():
    data, _, _ = parse_yaml_bytes(b"a: .nan\nb: .inf\n", "x.yaml")
    assert data == {"a": ".nan", "b": ".inf"}


def test_multiple_documents_refused():
    assert rules(b"a: 1\n---\nb: 2\n") == ["E011"]


def test_unsafe_file_names_are_refused(tmp_path):
    for name in ("Bad Name.yaml", "..yaml", "a_b.yaml", "x" * 70 + ".yaml", "-a.yaml"):
        p = tmp_path / name
        p.write_bytes(b"a: 1\n")
        rec, issues = load_record(p, "case", tmp_path)
        assert rec is None and [i.rule for i in issues] == ["E008"], name


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes_give_issues_never_an_exception(raw):
    data, lines, issues = parse_yaml_bytes(raw, "fuzz.yaml")
    assert data is None or isinstance(data, dict)
    if data is None:
        assert any(i.is_error for i in issues)


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(yaml_values)
def test_any_yaml_document_gives_data_or_issues(value):
    raw = yaml.safe_dump(value, allow_unicode=True).encode("utf-8")
    data, _, issues = parse_yaml_bytes(raw, "fuzz.yaml")
    if isinstance(value, dict) and data is not None:
        assert len(data) == len(value)  # (libyaml normalises some line-break characters in keys)
    else:
        assert data is None or isinstance(data, dict)
        assert data is not None or issues


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_any_text_gives_data_or_issues(text):
    data, _, issues = parse_yaml_bytes(text.encode("utf-8", "surrogatepass"), "fuzz.yaml")
    assert data is not None or any(i.is_error for i in issues)
