"""The cause kind: one record per proposed cause the review weighs (causes/<id>.yaml).

Pages: the causes overview, one page per cause, the hallmark matrix, the diagnostic-tests table, the
differential work-up (one row per alternative cause: the signs that separate it, the tests that check it) and the
work-up by sign (each bedside sign or history feature, with the causes it supports or argues against).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rdkb.kinds import excerpt, reference
from rdkb.kinds.base import Citation, Context, Export, Kind, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset, Issue, Record

HALLMARKS = [
    ("running-specific", "Specific to running"),
    ("worse-at-speed", "Worse at speed"),
    ("worse-on-flat-surfaces", "Worse on flat, even surfaces; better on rough terrain"),
    ("stops-soon-after-stopping", "Stops soon after stopping"),
    ("several-nerve-territories", "Several muscle groups across nerve territories"),
    ("no-sensory-symptoms", "No numbness, tingling or sharp pain"),
    ("normal-strength", "Normal strength in the weight room"),
    ("other-cyclic-activities-spared", "Other cyclic activities do not provoke it"),
]

CATEGORIES = {
    "mental-image": "Mental image of running",
    "transmission": "Transmission of commands",
    "muscular": "Muscular execution: muscular",
    "structural": "Muscular execution: structural",
    "blood-supply": "Muscular execution: blood supply",
    "proprioception": "Evaluation of motion (proprioception)",
}

RATINGS = {
    "leading-candidate": "leading candidate",
    "promising": "promising",
    "possible-contributor": "possible contributor",
    "unlikely": "unlikely",
    "not-excluded": "not excluded",
    "ruled-out": "ruled out",
}


def cause_views(causes: list[Record]) -> list[dict[str, Any]]:
    out = []
    for rec in sorted(causes, key=lambda r: (r.data.get("order", 99), r.id)):
        d = rec.data
        marks = []
        for key, title in HALLMARKS:
            h = d.get("hallmarks", {}).get(key, {})
            marks.append({"key": key, "title": title, "effect": h.get("effect", "not-addressed"),
                          "reasoning": h.get("reasoning", ""), "source": h.get("source"), "note": h.get("note", "")})
        out.append({"id": rec.id, "rel": rec.rel, "name": d["name"], "order": d.get("order"), "category": d["category"],
                    "category_label": CATEGORIES.get(d["category"], d["category"]), "category_note": d.get("category_note", ""),
                    "mechanism": d.get("mechanism", ""), "hallmarks": marks,
                    "explains": sum(1 for m in marks if m["effect"] == "explains"),
                    "contradicts": sum(1 for m in marks if m["effect"] == "contradicts"),
                    "tests": d.get("diagnostic_tests", []), "separating_signs": d.get("separating_signs", []), "treatments": d.get("treatments", []),
                    "rating": d["verdict"]["rating"], "rating_label": RATINGS.get(d["verdict"]["rating"], d["verdict"]["rating"]),
                    "verdict_by": d["verdict"].get("by", "review"),
                    "verdict_by_label": "the project's judgement" if d["verdict"].get("by") == "project" else "the review's verdict",
                    "verdict": d["verdict"], "citations": d.get("citations", []), "notes": d.get("notes", "")})
    return out


# ---------------------------------------------------------------- the differential work-up

# The review's best explanation is the diagnosis the work-up confirms; every other cause is an alternative to
# check (a "possible contributor" may coexist with it). The rating decides, never the cause's name or id.
DIAGNOSIS_RATING = "leading-candidate"
# A hallmark the cause explains "fits" it; one it is contradicted by counts "against" it. A record's own
# separating_signs say the same with supports / contradicts.
SIGN_DIRECTION = {"explains": "fits", "supports": "fits", "contradicts": "against"}


@dataclass(frozen=True)
class Sign:
    """A bedside sign (history or examination) and what it says about one cause, with the reasoning and its source."""

    feature: str  # what to look for: a hallmark's title, or the record's own separating sign
    direction: str  # "against" (counts against the cause) or "fits" (points to it)
    reasoning: str  # the project's words, from the record
    source: dict[str, Any]
    hallmark: str = ""  # hallmark key, "" for a record's own separating sign
    shared_with: tuple[str, ...] = ()  # names of the diagnosis cause(s) that fit the same hallmark: it does not separate them
    quote: str = ""  # the review's words, for a record's own separating sign (checked by make check, E601)
    cite: int = 0  # the number of its source in the page's source list (compact citations), 0 before numbering


@dataclass(frozen=True)
class WorkupTestUse:
    purpose: str
    timing: str
    source: dict[str, Any]
    cite: int = 0


@dataclass(frozen=True)
class WorkupTest:
    """One test in one row: listed once, with every use the record gives it (a repeated name is merged, never shown twice)."""

    name: str
    uses: tuple[WorkupTestUse, ...]


@dataclass(frozen=True)
class WorkupRow:
    id: str
    name: str
    rating: str
    rating_label: str
    signs: tuple[Sign, ...]  # "against" first, then "fits"; hallmarks in their order, then the record's own signs
    tests: tuple[WorkupTest, ...]


@dataclass(frozen=True)
class SharedTest:
    name: str
    causes: tuple[tuple[str, str], ...]  # (cause id, name), in the review's order


@dataclass(frozen=True)
class Workup:
    diagnoses: tuple[WorkupRow, ...]  # the cause(s) rated DIAGNOSIS_RATING
    alternatives: tuple[WorkupRow, ...]  # every other cause, one row each, in the review's order
    shared_tests: tuple[SharedTest, ...]  # tests that check more than one cause (by name)
    sources: tuple[dict[str, Any], ...] = ()  # every distinct source the page cites, numbered from 1 in order of use


def _source_key(src: dict[str, Any]) -> tuple[str, str, str]:
    return (str(src.get("ref", "")), str(src.get("locator", "")), str(src.get("via", "")))


def _numbered(workup_rows: tuple[WorkupRow, ...]) -> tuple[tuple[WorkupRow, ...], list[dict[str, Any]]]:
    """Each sign and test use gets the number of its source (a distinct ref + locator + via), in order of first use."""
    numbers: dict[tuple[str, str, str], int] = {}
    sources: list[dict[str, Any]] = []

    def n(src: dict[str, Any]) -> int:
        key = _source_key(src)
        if key not in numbers:
            numbers[key] = len(numbers) + 1
            sources.append(src)
        return numbers[key]

    out = []
    for r in workup_rows:
        signs = tuple(replace(s, cite=n(s.source)) for s in r.signs)
        tests = tuple(WorkupTest(t.name, tuple(replace(u, cite=n(u.source)) for u in t.uses)) for t in r.tests)
        out.append(replace(r, signs=signs, tests=tests))
    return tuple(out), sources


def name_key(name: str) -> str:
    """Two test names are the same test when they differ only in case and spacing."""
    return " ".join(name.casefold().split())


def _signs(c: dict[str, Any], fits_diagnosis: dict[str, tuple[str, ...]]) -> tuple[Sign, ...]:
    out = [Sign(m["title"], SIGN_DIRECTION[m["effect"]], m["reasoning"], m["source"] or {}, m["key"],
                fits_diagnosis.get(m["key"], ()) if m["effect"] == "explains" else ())
           for m in c["hallmarks"] if m["effect"] in SIGN_DIRECTION]
    out += [Sign(s["sign"], SIGN_DIRECTION[s["effect"]], s["reasoning"], s["source"], quote=s["quote"])
            for s in c["separating_signs"]]
    return tuple(sorted(out, key=lambda s: s.direction != "against"))  # stable: keeps each group's order


def _tests(c: dict[str, Any]) -> tuple[WorkupTest, ...]:
    by_key: dict[str, tuple[str, list[WorkupTestUse]]] = {}
    for t in c["tests"]:
        entry = by_key.setdefault(name_key(t["name"]), (t["name"], []))
        entry[1].append(WorkupTestUse(t["purpose"], t.get("timing", ""), t["source"]))
    return tuple(WorkupTest(name, tuple(uses)) for name, uses in by_key.values())


def workup(causes: list[dict[str, Any]]) -> Workup:
    """One row per cause (causes are keyed by record id, so none can appear twice), split into diagnosis and alternatives."""
    diagnoses = [c for c in causes if c["rating"] == DIAGNOSIS_RATING]
    diagnosis_ids = {c["id"] for c in diagnoses}
    fits_diagnosis = {key: tuple(d["name"] for d in diagnoses
                                 if any(m["key"] == key and m["effect"] == "explains" for m in d["hallmarks"]))
                      for key, _ in HALLMARKS}
    rows = {c["id"]: WorkupRow(c["id"], c["name"], c["rating"], f"{c['rating_label']} ({c['verdict_by_label']})",
                               _signs(c, {} if c["id"] in diagnosis_ids else fits_diagnosis), _tests(c))
            for c in causes}
    shared: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for c in causes:
        for t in rows[c["id"]].tests:
            shared.setdefault(name_key(t.name), (t.name, []))[1].append((c["id"], c["name"]))
    numbered, sources = _numbered(tuple(rows[c["id"]] for c in diagnoses)
                                  + tuple(rows[c["id"]] for c in causes if c["id"] not in diagnosis_ids))
    return Workup(numbered[:len(diagnoses)], numbered[len(diagnoses):],
                  tuple(SharedTest(name, tuple(cs)) for name, cs in shared.values() if len(cs) > 1), tuple(sources))


# ---------------------------------------------------------------- the standard differential, from sources

@dataclass(frozen=True)
class Evidence:
    """One published statement: the source (bib key and place) and its exact words (checked by make check)."""

    ref: str
    locator: str
    quote: str


@dataclass(frozen=True)
class DifferentialItem:
    """A condition a neurologist would consider beside the review's causes, as a published report names it."""

    id: str
    name: str
    summary: str  # the project's words, keeping the source's certainty
    evidence: tuple[Evidence, ...]


# Only what a work in the excerpt store says, quoted exactly: make check verifies every quote (check() below, with
# the same matcher as every record's quotes). Items a clinician would expect that no stored source supports are left
# out (NOT_SUPPORTED): add them here only with a quote from a stored work. An item shows on the work-up page only when
# every work it cites is in the bibliography.
STANDARD_DIFFERENTIAL: tuple[DifferentialItem, ...] = (
    DifferentialItem(
        "parkinsonism", "Parkinson's disease or a Parkinson-plus syndrome",
        "In adults with leg dystonia (not runners only), the dystonia has been reported as an early sign of Parkinson's "
        "disease or a Parkinson-plus syndrome; in one cohort, a response of the leg dystonia to levodopa was associated with "
        "later Parkinson's disease. In a series of 36 adults presenting with dystonia of one leg (a series not limited to runners), 5 turned out "
        "to have parkinsonism, and the authors name a levodopa trial as the way Parkinson's disease was diagnosed.",
        (Evidence("chang2013", "abstract, Background",
                  "Adult-onset primary lower limb dystonia (AOPLLD) has been reported as an early sign of Parkinson’s disease "
                  "(PD) or Parkinson-plus syndrome in case series."),
         Evidence("chang2013", "abstract, Conclusion",
                  "In patients with AOPLLD, leg dystonia with levodopa response is associated with the future development of PD."),
         Evidence("mckeon2008", "abstract, Results",
                  "After a mean follow-up of 3.1 years, causes were identified in over half, including 5 with parkinsonism."),
         Evidence("mckeon2008", "abstract, Conclusions",
                  "Adults presenting with monomelic lower limb dystonia with foot torsion often have an identifiable cause, "
                  "sometimes treatable, including Parkinson's disease (diagnosed with levodopa trial) or immune-mediated "
                  "stiff-limb syndrome."))),
    DifferentialItem(
        "genetic-dystonia", "Genetic dystonias (DYT1)",
        "Reports of adult-onset foot and leg dystonia compare it with DYT1 dystonia, which typically begins in childhood; "
        "one series found a positive DYT1 test in one of five patients tested, without a family history.",
        (Evidence("schneider2006", "abstract",
                  "One of five tested for DYT1 was positive, in the absence of a family history."),
         Evidence("wu2006", "abstract",
                  "Our patients differed from the typical childhood-onset leg dystonia, such as the DYT1 dystonia, in that there "
                  "was no family history of dystonia and the leg dystonia remained focal without spreading to other body parts."))),
    DifferentialItem(
        "compartment-syndrome-tested", "Chronic exertional compartment syndrome",
        "In one published runner, compartment pressure testing suggested chronic exertional compartment syndrome; "
        "compartment release did not help, and a dystonia was considered later (see also the review's own reasoning on "
        "the compartment syndrome cause page).",
        (Evidence("mdsabstracts-p28730", "abstract",
                  "Sports medicine performed compartment pressure testing and suggested chronic exertional lateral compartment "
                  "syndrome. She underwent lateral and empiric anterior compartment release surgery, which was ineffective."),)),
    DifferentialItem(
        "radiculopathy", "Lumbar radiculopathy",
        "In the same runner, imaging and EMG pointed to an L5 radiculopathy; surgery for it did not help either, before "
        "a dystonia was considered.",
        (Evidence("mdsabstracts-p28730", "abstract",
                  "Lumbar spine MRI showed bilateral L5-S1 stenosis; EMG indicated left L5 radiculopathy. Patient then underwent "
                  "laminotomy, which was also ineffective."),)),
    DifferentialItem(
        "functional-movement-disorder", "Functional (psychogenic) movement disorder",
        "In the series of 36 adults with dystonia of one leg named above (not limited to runners), psychogenic dystonia was the cause "
        "found in 3, one of the causes the authors call treatable. The opposite error is reported as well: a report on task-specific "
        "leg dystonia brought on by walking (not runners only) says this dystonia is often misdiagnosed as a psychogenic or "
        "an orthopedic problem. In six adults whose leg dystonia appeared only when going down stairs, the authors judged a "
        "functional movement disorder unlikely because the rest of the neurological examination was normal and there was no "
        "distractibility, inconsistency, fixed dystonia or premonitory urge.",
        (Evidence("mckeon2008", "abstract, Results",
                  "Other treatable etiologies included psychogenic dystonia (3 patients) and stiff-limb syndrome (2 patients)."),
         Evidence("ramdhani2013", "abstract, Discussion",
                  "This is a novel task-specific dystonia triggered during ambulation that is often misdiagnosed as an orthopedic "
                  "or psychogenic issue."),
         Evidence("downstairs2017", "abstract",
                  "The remainder of the neurological examination was normal, and distractibility, inconsistency, fixed dystonia, "
                  "or a premonitory urge were absent, making functional movement disorder and tic disorder unlikely."))),
    DifferentialItem(
        "dopa-responsive-dystonia", "Dopa-responsive dystonia, and a levodopa trial in younger patients",
        "A Dystonia Coalition page for clinicians (on dystonia in general, not runners) says that dopa-responsive dystonia "
        "presents in children and young adults and that a levodopa trial is warranted in all children and young adults with "
        "dystonia, a dramatic and sustained response being considered diagnostic.",
        (Evidence("dystoniacoalition-special", "section Dopa-Responsive Dystonia, paragraph 1",
                  "Dopa-responsive dystonia presents in children and young adults as a relatively isolated dystonia but it often "
                  "is combined with Parkinsonism."),
         Evidence("dystoniacoalition-special", "section Dopa-Responsive Dystonia, paragraph 1",
                  "Although dopa-responsive dystonia constitutes only a small fraction of all childhood dystonias, a trial of "
                  "levodopa is warranted in all children and young adults with dystonia because of its dramatic and sustained "
                  "efficacy."),
         Evidence("dystoniacoalition-special", "section Dopa-Responsive Dystonia, paragraph 1",
                  "A dramatic and sustained response can be considered diagnostic."))),
    DifferentialItem(
        "wilsons-disease", "Wilson's disease in children and young adults",
        "The same page (on dystonia in general) says that Wilson's disease, untreated, is fatally progressive and should be "
        "excluded in every child and young adult with dystonia, and names a low serum ceruloplasmin and a slit-lamp "
        "examination for Kayser-Fleischer rings as screening tests.",
        (Evidence("dystoniacoalition-special", "section Wilson's Disease, paragraph 1",
                  "Because Wilson’s disease has a fatally progressive course without treatment, it should be excluded with "
                  "appropriate diagnostic testing in every child and young adult with dystonia."),
         Evidence("dystoniacoalition-special", "section Wilson's Disease, paragraph 1",
                  "A low serum ceruloplasmin and a slit lamp exam by an ophthalmologist specifically looking for the presence of "
                  "Kaiser-Fleischer rings provide useful screening tests."))),
    DifferentialItem(
        "dat-spect", "Dopamine transporter SPECT (DaT-SPECT) when Parkinson's disease is in question",
        "In ten adults with dystonia whose arm tremor, with a rest component, had raised the possibility of Parkinson's "
        "disease (an arm tremor, not a runners' leg dystonia), every dopamine transporter SPECT scan was normal; the authors "
        "advise considering such functional imaging when the diagnosis is uncertain, because misdiagnosing Parkinson's "
        "disease has important consequences.",
        (Evidence("swedd2007", "abstract", "All patients had normal dopamine transporter SPECT scans."),
         Evidence("swedd2007", "abstract",
                  "Given the important consequences of misdiagnosing such patients as PD, in cases with diagnostic uncertainty "
                  "functional imaging should be considered."))),
    DifferentialItem(
        "video-of-the-task", "Video of the leg during the task that brings it on",
        "Not a condition but a part of the work-up in two reports: in one series of runners, the patients were videotaped "
        "sitting, walking and running in addition to the examination (as the authors' manuscript states); in the report on "
        "leg dystonia only when going down stairs, one movement disorders specialist reviewed the videos of all six patients "
        "and made the final diagnosis. Neither abstract advises patients to record themselves.",
        (Evidence("wu2006", "author manuscript, abstract, METHODS",
                  "In addition to examination, the patients were videotaped while sitting, walking and running."),
         Evidence("downstairs2017", "abstract",
                  "These patients were seen by 6 different neurologists from across Canada, Australia, and New Zealand, and all "
                  "videos were reviewed by 1 movement disorders specialist who made the final diagnosis."))),
)
# What a clinician would expect on the list and no stored source supports yet (never shown as if supported).
NOT_SUPPORTED = ("exercise-associated cramp", "advice to bring a video of the leg while running")
SOURCE_FILE = "scripts/rdkb/kinds/cause.py"


def check(ds: Dataset) -> list[Issue]:
    """Every quote of the standard differential is the exact text of its work in the excerpt store (E601/E602)."""
    excerpts, prints = excerpt.store(ds)
    issues: list[Issue] = []
    pairs = [(ev.quote, excerpts[ev.ref]) for item in STANDARD_DIFFERENTIAL for ev in item.evidence
             if ev.ref not in prints and ev.ref in excerpts]
    matched = iter(excerpt.match_many(pairs))  # linkml-reference-validator, in one go, in the order above
    for item in STANDARD_DIFFERENTIAL:
        for ev in item.evidence:
            where = f"STANDARD_DIFFERENTIAL[{item.id}] {ev.ref}"
            if ev.ref in prints:
                ok = excerpt.ngram_match(ev.quote, prints[ev.ref])[0]
            elif ev.ref in excerpts:
                ok = next(matched)[0]
            else:
                if ev.ref in ds.references and not ds.bib_refused:
                    issues.append(excerpt.E602.at(SOURCE_FILE, 1, f"{where}: no verbatim text of {ev.ref} in {excerpt.FOLDER}/"))
                continue
            if not ok:
                issues.append(excerpt.E601.at(SOURCE_FILE, 1, f"{where}: quote not found in the stored text of {ev.ref}"))
    return issues


# ---------------------------------------------------------------- the work-up by sign

@dataclass(frozen=True)
class SignCause:
    """One cause a sign bears on: its reasoning and source come from the cause record (hallmark or separating sign)."""

    id: str
    name: str
    rating_label: str
    reasoning: str
    source: dict[str, Any]
    quote: str = ""
    cite: int = 0


@dataclass(frozen=True)
class SignEntry:
    """A bedside sign or history feature and the causes it supports or argues against, in the review's order."""

    id: str  # anchor: the hallmark key, or "sign-<n>" for a record's own separating sign
    feature: str
    supports: tuple[SignCause, ...]
    against: tuple[SignCause, ...]
    hallmark: bool  # one of the review's eight hallmark features (else a cause record's own separating sign)


@dataclass(frozen=True)
class BySign:
    signs: tuple[SignEntry, ...]
    sources: tuple[dict[str, Any], ...]  # numbered from 1, in order of first use
    causes_linked: tuple[str, ...]  # ids of the causes the page names, in the review's order


def by_sign(causes: list[dict[str, Any]]) -> BySign:
    """Every hallmark feature (a cause "explains" it: supports; "contradicts": argues against) and every separating
    sign of the records (effect supports / contradicts), with the causes it bears on. Nothing but the records."""
    numbers: dict[tuple[str, str, str], int] = {}
    sources: list[dict[str, Any]] = []

    def entry(c: dict[str, Any], reasoning: str, src: dict[str, Any] | None, quote: str = "") -> SignCause:
        src = src or {}
        key = _source_key(src)
        if key not in numbers:
            numbers[key] = len(numbers) + 1
            sources.append(src)
        return SignCause(c["id"], c["name"], c["rating_label"], reasoning, src, quote, numbers[key])

    out: list[SignEntry] = []
    for key, title in HALLMARKS:
        sup: list[SignCause] = []
        ag: list[SignCause] = []
        for c in causes:
            m = next((m for m in c["hallmarks"] if m["key"] == key), None)
            if m is None or m["effect"] not in ("explains", "contradicts"):
                continue
            (sup if m["effect"] == "explains" else ag).append(entry(c, m["reasoning"], m["source"]))
        if sup or ag:
            out.append(SignEntry(key, title, tuple(sup), tuple(ag), True))
    own: dict[str, tuple[list[SignCause], list[SignCause]]] = {}
    for c in causes:
        for s in c["separating_signs"]:
            sup, ag = own.setdefault(s["sign"], ([], []))
            (sup if s["effect"] == "supports" else ag).append(entry(c, s["reasoning"], s["source"], s.get("quote", "")))
    for i, (feature, (sup, ag)) in enumerate(own.items(), 1):
        out.append(SignEntry(f"sign-{i}", feature, tuple(sup), tuple(ag), False))
    linked = {sc.id for e in out for sc in (*e.supports, *e.against)}
    return BySign(tuple(out), tuple(sources), tuple(c["id"] for c in causes if c["id"] in linked))


@dataclass(frozen=True)
class CausesView:
    causes: tuple[dict[str, Any], ...]  # sorted by the review's order
    cited: dict[str, tuple[str, ...]]  # cause id -> every bib key its record cites
    workup: Workup
    by_sign: BySign


def derive(ds: Dataset, views: Views) -> CausesView:
    recs = ds.of(KIND.name)
    causes = cause_views(recs)
    by_id = {r.id: r for r in recs}
    return CausesView(tuple(causes), {c["id"]: tuple(sorted(set(c["citations"]) | reference.cited_key_set(by_id[c["id"]].data)))
                                      for c in causes}, workup(causes), by_sign(causes))


def cites(v: CausesView) -> list[Citation]:
    out = [(key, f"causes/{c['id']}.md", f"Cause: {c['name']}") for c in v.causes for key in v.cited[c["id"]]]
    out += sorted({(ev.ref, "causes/workup.md", "Differential work-up") for item in STANDARD_DIFFERENTIAL for ev in item.evidence})
    return out


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    if not v.causes:
        return []
    causes = list(v.causes)
    rels = [c["rel"] for c in causes]
    newest = ctx.newest(rels)
    out = [
        PagePlan("causes/index.md", "causes/index.md.j2", {"causes": causes, "records": rels, "changed": newest},
                 Nav("Causes", "Overview", "the explanations the review examines, with verdicts", "Proposed causes"), since="0.2"),
        PagePlan("causes/hallmarks.md", "causes/hallmarks.md.j2", {"causes": causes, "hallmarks": HALLMARKS, "records": rels,
                                                                   "changed": newest},
                 Nav("Causes", "Hallmark matrix", "which cause explains which feature of the syndrome"), since="0.2"),
        PagePlan("causes/tests.md", "causes/tests.md.j2", {"causes": causes, "records": rels, "changed": newest},
                 Nav("Causes", "Diagnostic tests", "what each test rules in or out, and when to do it"), since="0.2"),
        PagePlan("causes/workup.md", "causes/workup.md.j2", {"workup": v.workup, "differential": [
            d for d in STANDARD_DIFFERENTIAL if all(ev.ref in ctx.view(reference.KIND).by_key for ev in d.evidence)],
                                                             "records": rels, "changed": newest},
                 Nav("Causes", "Differential work-up", "each alternative cause, the signs that separate it and the tests that check it"),
                 since="0.6"),
        PagePlan("causes/by-sign.md", "causes/by-sign.md.j2", {"by_sign": v.by_sign, "records": rels, "changed": newest},
                 Nav("Causes", "Work-up by sign", "start from what you see: each sign and the causes it supports or argues against"),
                 since="0.8"),
    ]
    out += [PagePlan(f"causes/{c['id']}.md", "causes/cause.md.j2", {"c": c, "changed": ctx.changed.get(c["rel"], "")}, since="0.2")
            for c in causes]
    return out


def _json(ctx: Context) -> list[OutFile]:
    return [OutFile("data/causes.json", "json", [{"id": c["id"], "name": c["name"], "category": c["category"], "rating": c["rating"],
                                                  "summary": c["verdict"].get("summary", ""),
                                                  "review_wording": c["verdict"].get("review_wording", ""),
                                                  "hallmarks": {m["key"]: m["effect"] for m in c["hallmarks"]},
                                                  "citations": c["citations"], "record": f"records/{c['rel']}"}
                                                 for c in ctx.view(KIND).causes])]


KIND: Kind[CausesView] = Kind(
    name="cause", folder="causes", schema="cause.schema.json", check=check, check_apart=True, derive=derive, cites=cites, pages=pages,
    reserved=("index", "hallmarks", "tests", "workup", "by-sign"),
    description="one record per proposed cause",
    exports=(Export("causes.json", "JSON array", "proposed cause",
                    "id, name, category, rating, summary, review_wording (the review's own verdict words), hallmarks (key -> explains/contradicts/not-addressed), citations",
                    _json, since="0.2"),),
)
