/* kb.js: progressive enhancement of the knowledge base's tables (no library, no network).
 * For every `.kb-table table`: sortable column headers (a <button> in each <th>, aria-sort on the <th>),
 * a filter bar (one <select> per column named in the container's data-filters="A|B|...", a text search)
 * and a live "Showing N of M rows" count. Filters and sort live in the URL query string
 * (history.replaceState), so a filtered view can be shared; the caption's "(N rows)" becomes
 * "(showing n of N rows)" while filtered. Every content table (filterable or not) is also fitted to the screen:
 * its columns are classed by content (kb.css keeps short ones on one line) and it gets a scroll frame with a
 * "Scroll →" cue shown only while it is wider than the screen (its first column is sticky in kb.css).
 * Without JS the full table reads as is. */
(function () {
  "use strict";

  var MISSING = ["not reported", "\u2014", "\u2013", "-", ""];
  // Not "q" or "h": mkdocs-material opens its search dialog for ?q= and highlights terms for ?h=.
  var SEARCH_KEY = "search", SORT_KEY = "sort", DIR_KEY = "dir";

  function text(el) { return (el.textContent || "").replace(/\s+/g, " ").trim(); }
  function isMissing(s) { return MISSING.indexOf(s.toLowerCase()) !== -1; }
  function splitValues(s) {
    return s.split(/, | \+ /).map(function (v) { return v.trim(); }).filter(Boolean);
  }
  // The row search matches whole words: "male" finds "male", not "female"; "foot" not "football".
  function wholeWord(q) {
    var esc = q.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    try { return new RegExp("(?<![\\p{L}\\p{N}])" + esc + "(?![\\p{L}\\p{N}])", "u"); }
    catch (e) { return new RegExp("(^|[^a-z0-9])" + esc + "($|[^a-z0-9])"); }
  }
  function leadingNumber(s) {
    var m = /^[-+]?\d+(?:\.\d+)?/.exec(s.replace(/^[<>~\u2248]\s*/, ""));
    return m ? parseFloat(m[0]) : NaN;
  }
  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }
  var collator = typeof Intl !== "undefined"
    ? new Intl.Collator(undefined, { numeric: true, sensitivity: "base" })
    : { compare: function (a, b) { return a < b ? -1 : a > b ? 1 : 0; } };

  // "<caption>Title (22 rows)</caption>": wrap "(22 rows)" in a span the filter can rewrite.
  function captionCount(table) {
    var cap = table.caption;
    if (!cap) return null;
    var existing = cap.querySelector(".kb-caption-count");
    if (existing) return existing;
    var last = cap.lastChild;
    if (!last || last.nodeType !== 3) return null;
    var m = /\((\d+) rows?\)\s*$/.exec(last.nodeValue);
    if (!m) return null;
    last.nodeValue = last.nodeValue.slice(0, m.index);
    var span = el("span", { "class": "kb-caption-count", text: m[0].trim() });
    cap.appendChild(span);
    return span;
  }

  // ---------- fitting tables to the screen (every content table, filterable or not) ----------
  // Columns are classed from their content: "short" columns (every cell a few characters: ids, numbers,
  // yes/no) do not wrap, so the key figures stay on one line; "long" text columns wrap within a minimum
  // width. The table sits in a frame with a scroll cue ("Scroll →", read by screen readers) and a fade
  // at the right edge, shown only while the table is wider than its scroll area; the first column is
  // sticky (kb.css) so each row stays identifiable when scrolled sideways.
  var SHORT = 12, LONG = 40, cueCount = 0;

  function classifyColumns(table) {
    var body = table.tBodies[0];
    if (!body || !table.tHead) return;
    var head = table.tHead.rows[table.tHead.rows.length - 1];
    var n = head.cells.length, max = [], sum = [], seen = [];
    if (n >= 10) table.setAttribute("data-kb-many", ""); // kb.css: a slightly smaller font
    for (var c = 0; c < n; c++) { max[c] = 0; sum[c] = 0; seen[c] = 0; }
    var rows = body.rows;
    for (var r = 0; r < rows.length; r++) {
      var cells = rows[r].cells;
      for (c = 0; c < cells.length && c < n; c++) {
        var t = (cells[c].textContent || "").replace(/\s+/g, " ").trim(), len = t.length;
        if (isMissing(t)) continue; // "not reported" may wrap; it does not make a column long
        if (len > max[c]) max[c] = len;
        sum[c] += len; seen[c] += 1;
      }
    }
    var kinds = max.map(function (m, i) {
      var avg = seen[i] ? sum[i] / seen[i] : 0;
      return m <= SHORT ? "short" : avg >= LONG ? "long" : "";
    });
    Array.prototype.forEach.call(head.cells, function (th, i) {
      if (kinds[i]) th.classList.add("kb-col-" + kinds[i]);
      if (kinds[i] === "short" && text(th).length > SHORT) th.classList.add("kb-head-long");
    });
    for (r = 0; r < rows.length; r++) {
      for (c = 0; c < rows[r].cells.length && c < n; c++) {
        var cell = rows[r].cells[c];
        if (kinds[c] && !(kinds[c] === "short" && isMissing(text(cell)))) cell.classList.add("kb-col-" + kinds[c]);
      }
    }
  }

  function scroller(table) {
    var wrap = table.closest(".md-typeset__scrollwrap");
    return wrap || table;
  }

  // ---------- phones: cards, and notes under their row ----------
  // A fact table's "Note" column becomes a full-width row under the row it annotates (no column of dashes).
  // Every cell is labelled with its column's header (data-label), so that below 600 px kb.css can show a
  // table of four or more columns as one card per row, each fact with its label, with no sideways scrolling.
  var CARD_MIN_COLUMNS = 4;

  function notesUnder(table) {
    if (table.closest(".kb-table") || !table.tHead || !table.tBodies.length) return;
    var head = table.tHead.rows[table.tHead.rows.length - 1];
    var c = Array.prototype.map.call(head.cells, text).indexOf("Note");
    if (c < 1 || head.cells.length < 3) return;
    var n = head.cells.length - 1;
    Array.prototype.slice.call(table.tBodies[0].rows).forEach(function (tr) {
      var cell = tr.cells[c];
      if (!cell) return;
      var note = text(cell);
      tr.removeChild(cell);
      if (isMissing(note)) return;
      var td = el("td", { colspan: String(n), "class": "kb-note-cell" }, [el("span", { "class": "kb-note-label", text: "Note: " })]);
      while (cell.firstChild) td.appendChild(cell.firstChild);
      var row = el("tr", { "class": "kb-note-row" }, [td]);
      tr.classList.add("kb-has-note");
      tr.parentNode.insertBefore(row, tr.nextSibling);
    });
    head.removeChild(head.cells[c]);
  }

  function labelCells(table) {
    if (!table.tHead || !table.tBodies.length) return;
    var head = table.tHead.rows[table.tHead.rows.length - 1];
    var labels = Array.prototype.map.call(head.cells, text);
    if (labels.length >= CARD_MIN_COLUMNS) table.setAttribute("data-kb-cards", "");
    Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
      if (tr.classList.contains("kb-note-row")) return;
      Array.prototype.forEach.call(tr.cells, function (td, i) {
        if (labels[i]) td.setAttribute("data-label", labels[i]);
      });
    });
  }

  function fit(table) {
    if (table.hasAttribute("data-kb-fit")) return;
    table.setAttribute("data-kb-fit", "");
    notesUnder(table);
    labelCells(table);
    classifyColumns(table);
    var box = scroller(table);
    var frame = el("div", { "class": "kb-scroll__frame" });
    var outer = el("div", { "class": "kb-scroll" });
    box.parentNode.insertBefore(outer, box);
    cueCount += 1;
    var cue = el("p", { "class": "kb-scroll-cue", id: "kb-scroll-cue-" + cueCount }, [
      document.createTextNode("Scroll "),
      el("span", { "aria-hidden": "true", text: "\u2192" }),
      el("span", { "class": "kb-sr-only",
        text: " sideways: this table is wider than the screen; its first column stays in view" }),
    ]);
    outer.appendChild(cue);
    outer.appendChild(frame);
    frame.appendChild(box);
    box.addEventListener("scroll", function () { edges(table); }, { passive: true });
    if (typeof ResizeObserver !== "undefined") {
      new ResizeObserver(function () { fitCheck(table); }).observe(frame);
    } else {
      window.addEventListener("resize", function () { fitCheck(table); });
    }
    fitCheck(table);
  }

  function edges(table) {
    var box = scroller(table), outer = box.closest(".kb-scroll");
    if (!outer) return;
    outer.classList.toggle("kb-scrolled", box.scrollLeft > 1);
    outer.classList.toggle("kb-at-end", box.scrollLeft + box.clientWidth >= box.scrollWidth - 1);
  }

  function fitCheck(table) {
    var box = scroller(table), outer = box.closest(".kb-scroll");
    if (!outer) return;
    var overflows = box.scrollWidth > box.clientWidth + 1;
    outer.classList.toggle("kb-overflows", overflows);
    var cue = outer.querySelector(".kb-scroll-cue");
    if (overflows) {
      // Keyboard users can scroll it (axe: scrollable-region-focusable); the cue describes it.
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", (table.caption ? text(table.caption) : "Table") + " (scrolls sideways)");
      box.setAttribute("aria-describedby", cue.id);
    } else {
      ["tabindex", "role", "aria-label", "aria-describedby"].forEach(function (a) { box.removeAttribute(a); });
    }
    edges(table);
  }

  function enhance(container, index, prefix) {
    var table = container.querySelector("table");
    if (!table || !table.tHead || !table.tBodies.length || table.hasAttribute("data-kb-enhanced")) return;
    table.setAttribute("data-kb-enhanced", "");
    var name = container.getAttribute("data-table") || "table" + (index + 1);
    var base = "kb-" + name.replace(/[^A-Za-z0-9_-]/g, "-") + "-";
    var tbody = table.tBodies[0];
    var headRow = table.tHead.rows[table.tHead.rows.length - 1];
    var ths = Array.prototype.slice.call(headRow.cells);
    var headers = ths.map(text);
    var rows = Array.prototype.slice.call(tbody.rows).map(function (tr, i) {
      var cells = Array.prototype.slice.call(tr.cells).map(text);
      return { tr: tr, i: i, cells: cells, all: cells.join(" \u0001 ").toLowerCase() };
    });
    var numeric = headers.map(function (_, c) {
      var seen = 0;
      var ok = rows.every(function (r) {
        var v = r.cells[c] || "";
        if (isMissing(v)) return true;
        seen += 1;
        return !isNaN(leadingNumber(v));
      });
      return ok && seen > 0;
    });

    // The build turns the "Table: ... (N rows)" paragraph into a <caption> (scripts/rdkb/mdext.py).
    // Its row count is wrapped so that it can follow the filter: "(showing 5 of 22 rows)".
    var capCount = captionCount(table);

    var state = { sort: -1, desc: false };
    var wanted = (container.getAttribute("data-filters") || "").split("|")
      .map(function (s) { return s.trim(); }).filter(Boolean);
    var selects = [];
    var bar = el("div", { "class": "kb-filterbar", role: "group", "aria-label": "Filter the table" });
    wanted.forEach(function (col, n) {
      var c = headers.indexOf(col);
      if (c === -1) { // tolerate a header with a parenthetical: "Body regions (coded from the wording)"
        c = headers.findIndex(function (h) { return h.indexOf(col + " (") === 0; });
        if (c === -1) return;
      }
      var counts = {};
      rows.forEach(function (r) {
        splitValues(r.cells[c] || "").forEach(function (v) { counts[v] = (counts[v] || 0) + 1; });
      });
      var values = Object.keys(counts).sort(function (a, b) {
        return (isMissing(a) - isMissing(b)) || collator.compare(a, b);
      });
      var id = base + "filter-" + n;
      var select = el("select", { id: id, "data-col": String(c), "data-key": prefix + col });
      select.appendChild(el("option", { value: "", text: "All" }));
      values.forEach(function (v) {
        select.appendChild(el("option", { value: v, text: v + " (" + counts[v] + ")" }));
      });
      select.addEventListener("change", function () { update(true); });
      selects.push(select);
      bar.appendChild(el("div", { "class": "kb-filter" }, [el("label", { "for": id, text: col }), select]));
    });
    var search = el("input", { type: "search", id: base + "search", autocomplete: "off", spellcheck: "false" });
    search.addEventListener("input", function () { update(true); });
    bar.appendChild(el("div", { "class": "kb-filter kb-filter--search" },
      [el("label", { "for": search.id, text: "Search rows" }), search]));
    var reset = el("button", { type: "button", "class": "kb-reset", text: "Clear filters" });
    reset.addEventListener("click", function () {
      selects.forEach(function (s) { s.value = ""; });
      search.value = "";
      update(true);
      search.focus();
    });
    bar.appendChild(el("div", { "class": "kb-filter kb-filter--reset" }, [reset]));
    var count = el("p", { "class": "kb-count", role: "status", "aria-live": "polite", id: base + "count" });

    var wrap = table.closest(".md-typeset__scrollwrap"); // mkdocs-material's scroll wrapper, if any
    var anchor = wrap && container.contains(wrap) ? wrap : table;
    anchor.parentNode.insertBefore(bar, anchor);
    anchor.parentNode.insertBefore(count, anchor);

    var buttons = ths.map(function (th, c) {
      var b = el("button", { type: "button", "class": "kb-sort" });
      while (th.firstChild) b.appendChild(th.firstChild);
      b.appendChild(el("span", { "class": "kb-sort-icon", "aria-hidden": "true" }));
      b.addEventListener("click", function () {
        state.desc = state.sort === c ? !state.desc : false;
        state.sort = c;
        update(true);
      });
      th.appendChild(b);
      return b;
    });

    function readUrl() {
      var p = new URLSearchParams(window.location.search);
      selects.forEach(function (s) {
        var v = p.get(s.getAttribute("data-key"));
        var ok = v !== null && Array.prototype.some.call(s.options, function (o) { return o.value === v; });
        s.value = ok ? v : "";
      });
      search.value = p.get(prefix + SEARCH_KEY) || "";
      var sortCol = headers.indexOf(p.get(prefix + SORT_KEY) || "");
      state.sort = sortCol;
      state.desc = sortCol !== -1 && p.get(prefix + DIR_KEY) === "desc";
    }

    function writeUrl() {
      if (!window.history || !history.replaceState) return;
      var p = new URLSearchParams(window.location.search);
      selects.forEach(function (s) {
        if (s.value) p.set(s.getAttribute("data-key"), s.value); else p.delete(s.getAttribute("data-key"));
      });
      if (search.value.trim()) p.set(prefix + SEARCH_KEY, search.value.trim()); else p.delete(prefix + SEARCH_KEY);
      if (state.sort !== -1) p.set(prefix + SORT_KEY, headers[state.sort]); else p.delete(prefix + SORT_KEY);
      if (state.sort !== -1 && state.desc) p.set(prefix + DIR_KEY, "desc"); else p.delete(prefix + DIR_KEY);
      var qs = p.toString();
      var url = window.location.pathname + (qs ? "?" + qs : "") + window.location.hash;
      history.replaceState(history.state, "", url);
    }

    function compare(a, b) {
      var c = state.sort, x = a.cells[c] || "", y = b.cells[c] || "";
      var mx = isMissing(x), my = isMissing(y);
      if (mx || my) return (mx - my) || (a.i - b.i); // missing last in both directions
      var r = numeric[c] ? leadingNumber(x) - leadingNumber(y) : collator.compare(x, y);
      if (!r && numeric[c]) r = collator.compare(x, y);
      return (state.desc ? -r : r) || (a.i - b.i); // stable: original order breaks ties
    }

    function update(push) {
      var active = selects.filter(function (s) { return s.value; });
      var q = search.value.trim().toLowerCase();
      var word = q ? wholeWord(q) : null;
      var shown = 0;
      rows.forEach(function (r) {
        var ok = active.every(function (s) {
          return splitValues(r.cells[+s.getAttribute("data-col")] || "").indexOf(s.value) !== -1;
        }) && (!word || word.test(r.all));
        r.tr.hidden = !ok;
        if (ok) shown += 1;
      });
      var order = state.sort === -1 ? rows.slice() : rows.slice().sort(compare);
      var frag = document.createDocumentFragment();
      order.forEach(function (r) { frag.appendChild(r.tr); });
      tbody.appendChild(frag);
      ths.forEach(function (th, c) {
        if (c === state.sort) th.setAttribute("aria-sort", state.desc ? "descending" : "ascending");
        else th.removeAttribute("aria-sort");
        buttons[c].setAttribute("data-dir", c === state.sort ? (state.desc ? "desc" : "asc") : "none");
        buttons[c].title = "Sort by " + headers[c] + (c === state.sort && !state.desc ? ", descending" : ", ascending");
      });
      var conds = active.map(function (s) { return s.labels[0].textContent + " = " + s.value; });
      if (q) conds.push("search \u201c" + search.value.trim() + "\u201d");
      count.textContent = "Showing " + shown + " of " + rows.length + " rows" +
        (conds.length ? " (filtered: " + conds.join("; ") + ")" : "") +
        (shown === 0 ? " \u2014 no row matches; clear the filters to see all." : "");
      if (capCount) {
        capCount.textContent = shown === rows.length ? "(" + rows.length + " rows)"
          : "(showing " + shown + " of " + rows.length + " rows)";
      }
      container.classList.toggle("kb-is-filtered", conds.length > 0);
      reset.disabled = !active.length && !q;
      if (push) writeUrl();
      fitCheck(table); // filtering changes the table's width: the scroll cue may (dis)appear
    }

    readUrl();
    update(false);
  }

  function init() {
    // mkdocs-material's search box is role="dialog" without a name (axe: aria-dialog-name).
    Array.prototype.forEach.call(document.querySelectorAll('.md-search[role="dialog"]'), function (d) {
      if (!d.getAttribute("aria-label") && !d.getAttribute("aria-labelledby")) d.setAttribute("aria-label", "Search");
    });
    var containers = Array.prototype.slice.call(document.querySelectorAll(".kb-table"));
    var many = containers.length > 1;
    containers.forEach(function (c, i) {
      var name = c.getAttribute("data-table") || "table" + (i + 1);
      enhance(c, i, many ? name + "." : "");
    });
    Array.prototype.forEach.call(document.querySelectorAll(".md-content .md-typeset table:not([class])"), fit);
  }

  if (typeof window.document$ !== "undefined" && window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init); // mkdocs-material (also fires after instant navigation)
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

/* ==== figures-panel ==== */
/* The case table's figures panel (site_templates/cases/_figures.html.j2). The build renders it for every case
 * and embeds what it shows as JSON (<script type="application/json" id="case-facts">, from
 * rdkb.kinds.case.panel_data): the figures declared by the field table and every case's values. Here it is
 * redrawn for the rows the table shows, with the same markup and the same arithmetic as
 * rdkb.kinds.case.panel_figures (a test compares the two). A MutationObserver on the rows' `hidden` attribute
 * follows every filter and search change, whatever triggered it. "not reported" (null) is counted apart, never
 * as "no" (false). The panel moves below the filter bar; it is opened for printing and closed again after. */
(function () {
  "use strict";

  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  // As rdkb.kinds.case.round_half_up and fmt_figure (Python prints the first rendering of the panel).
  function roundHalfUp(x, digits) {
    var s = Math.pow(10, digits === undefined ? 1 : digits);
    return Math.floor(x * s + 0.5) / s;
  }
  function fmt(x) { return String(roundHalfUp(x)); }
  function pct(k, n) { return n ? roundHalfUp(100 * k / n) : 0; }
  function isNum(v) { return typeof v === "number"; }

  function compute(data, visible) {
    var rows = Object.keys(data.cases).filter(function (id) { return visible[id]; })
      .map(function (id) { return data.cases[id]; });
    var n = rows.length;
    var figures = data.figures.map(function (fig) {
      var got = rows.map(function (r) { return r[fig.name]; });
      var missing = got.filter(function (v) { return v === null || v === undefined; }).length;
      var item = { name: fig.name, label: fig.label, kind: fig.kind, n: n, missing: missing };
      if (fig.kind === "distribution") {
        var nums = got.filter(isNum).sort(function (a, b) { return a - b; });
        item.unit = fig.unit;
        item.read_from_wording = fig.read_from_wording;
        item.reported = nums.length;
        item.unread = got.filter(function (v) { return typeof v === "string"; });
        if (nums.length) {
          var mid = Math.floor(nums.length / 2);
          var median = nums.length % 2 ? nums[mid] : (nums[mid - 1] + nums[mid]) / 2;
          item.stats = { min: fmt(nums[0]), median: fmt(median), max: fmt(nums[nums.length - 1]) };
        }
        item.rows = fig.bins.map(function (lo) {
          var k = nums.filter(function (v) { return lo <= v && v < lo + fig.bin; }).length;
          return { label: lo + "\u2013" + (lo + fig.bin - 1), k: k, pct: pct(k, nums.length) };
        });
      } else {
        item.reported = n - missing;
        item.missing_pct = pct(missing, n);
        item.rows = fig.values.map(function (pair) {
          var k = got.filter(function (v) {
            return v !== null && v !== undefined && (fig.kind === "set" ? v.indexOf(pair[0]) !== -1 : v === pair[0]);
          }).length;
          return { label: pair[1], k: k, pct: pct(k, n) };
        });
      }
      return item;
    });
    var treat = rows.map(function (r) { return r.treatments; });
    var agents = data.agents.map(function (pair) {
      var agent = pair[0];
      var has = function (it) { return it.agents.indexOf(agent) !== -1; };
      var regimens = [];
      treat.forEach(function (t) { t.items.forEach(function (it) { if (has(it)) regimens.push(it); }); });
      var treated = treat.filter(function (t) { return t.items.some(has); }).length;
      var grades = [];
      data.responses.forEach(function (r) {
        if (r[0] === data.no_response) return;
        var k = regimens.filter(function (it) { return it.response === r[0]; }).length;
        if (k) grades.push({ label: r[1], k: k });
      });
      return { name: pair[1], k: treated, pct: pct(treated, n), regimens: regimens.length, grades: grades,
        no_response: regimens.filter(function (it) { return it.response === data.no_response; }).length };
    });
    var status = function (s) { return treat.filter(function (t) { return t.status === s; }).length; };
    var drugs = { n: n, reported: status("reported"), absent: status("absent"), agents: agents };
    drugs.missing = n - drugs.reported - drugs.absent;
    return { n: n, figures: figures, drugs: drugs };
  }

  // ---- drawing: the markup of _figures.html.j2
  function bar(p) {
    return el("span", { "class": "kb-fig__bar", "aria-hidden": "true" }, [el("span", { style: "width: " + p + "%" })]);
  }
  function row(label, p, kText, attrs) {
    return el("li", attrs, [el("span", { "class": "kb-fig__label", text: label }), bar(p),
      el("span", { "class": "kb-fig__k", text: kText })]);
  }
  function caption(title, fig) {
    return el("figcaption", {}, [el("span", { "class": "kb-fig__title", text: title }), " ",
      el("span", { "class": "kb-fig__denom", text: "n = " + fig.n + ", " + fig.missing + " not reported" })]);
  }
  function figAttrs(cls, fig) {
    return { "class": cls, "data-fig": fig.name, "data-n": String(fig.n), "data-missing": String(fig.missing),
      "data-reported": String(fig.reported) };
  }

  function drawFigure(fig) {
    var kids;
    if (fig.kind === "distribution") {
      var a = figAttrs("kb-fig kb-fig--dist", fig);
      a["data-unread"] = String(fig.unread.length);
      kids = [caption(fig.label + " (" + fig.unit + ")", fig),
        el("p", { "class": "kb-fig__stats", text: fig.reported + " of " + fig.n + " in " + fig.unit +
          (fig.stats ? ": min " + fig.stats.min + ", median " + fig.stats.median + ", max " + fig.stats.max : "") })];
      if (fig.reported) {
        kids.push(el("ul", { "class": "kb-fig__rows" }, fig.rows.map(function (r) {
          return row(r.label, r.pct, String(r.k), { "data-k": String(r.k) });
        })));
      }
      if (fig.unread.length) {
        kids.push(el("p", { "class": "kb-fig__unread", text: "Reported in words not read as " + fig.unit + " (" +
          fig.unread.length + "): " + fig.unread.map(function (w) { return "\u201c" + w + "\u201d"; }).join("; ") }));
      }
      if (fig.read_from_wording) {
        kids.push(el("p", { "class": "kb-fig__how", text: "Read from the source's wording where it plainly gives a number of " +
          fig.unit + " (\u201cthree years\u201d = 3)." }));
      }
      return el("figure", a, kids);
    }
    var items = fig.rows.map(function (r) { return row(r.label, r.pct, r.k + " of " + fig.n, { "data-k": String(r.k) }); });
    items.push(row("not reported", fig.missing_pct, fig.missing + " of " + fig.n,
      { "class": "kb-fig__missing", "data-k": String(fig.missing) }));
    kids = [caption(fig.label, fig), el("ul", { "class": "kb-fig__rows" }, items)];
    if (fig.kind === "set") kids.push(el("p", { "class": "kb-fig__how", text: "A case can have several." }));
    return el("figure", figAttrs("kb-fig", fig), kids);
  }

  function drawDrugs(d) {
    var a = { "class": "kb-fig kb-fig--drugs", "data-fig": "treatments", "data-n": String(d.n),
      "data-missing": String(d.missing), "data-reported": String(d.reported), "data-absent": String(d.absent) };
    var kids = [caption("Drugs (case-attributed) and responses", d),
      el("p", { "class": "kb-fig__stats", text: "Drug treatment reported for " + d.reported + " of " + d.n +
        "; none (the source says so) for " + d.absent + " of " + d.n })];
    if (d.agents.length) {
      kids.push(el("ul", { "class": "kb-fig__rows" }, d.agents.map(function (g) {
        var li = row(g.name, g.pct, g.k + " of " + d.n,
          { "data-k": String(g.k), "data-regimens": String(g.regimens), "data-no-response": String(g.no_response) });
        li.appendChild(el("span", { "class": "kb-fig__grades", text: g.regimens
          ? g.regimens + " " + (g.regimens === 1 ? "regimen" : "regimens") + ": " +
            g.grades.map(function (x) { return x.label + " " + x.k + "; "; }).join("") +
            "response not reported " + g.no_response
          : "no regimen" }));
        return li;
      })));
    }
    kids.push(el("p", { "class": "kb-fig__how", text: "Cases given each drug; responses by grade over the regimens that " +
      "include it (a case can have several; a combination counts for each of its drugs)." }));
    return el("figure", a, kids);
  }

  function draw(panel, result, total) {
    var grid = panel.querySelector(".kb-figures__grid");
    var scope = panel.querySelector(".kb-figures__scope");
    if (scope) {
      scope.textContent = result.n === total ? "(all " + total + " cases)" : "(" + result.n + " of " + total + " cases)";
    }
    var frag = document.createDocumentFragment();
    if (!result.n) {
      frag.appendChild(el("p", { "class": "kb-figures__empty", text: "No row matches the filters: nothing to count." }));
    } else {
      result.figures.forEach(function (f) { frag.appendChild(drawFigure(f)); });
      frag.appendChild(drawDrugs(result.drugs));
    }
    grid.textContent = "";
    grid.appendChild(frag);
    panel.setAttribute("data-shown", String(result.n));
  }

  function setUp(panel) {
    if (panel.hasAttribute("data-kb-figures")) return;
    var blob = document.getElementById("case-facts");
    var container = document.querySelector('.kb-table[data-table="' + panel.getAttribute("data-for") + '"]');
    var table = container && container.querySelector("table");
    if (!blob || !table || !table.tBodies.length) return;
    var data;
    try { data = JSON.parse(blob.textContent); } catch (e) { return; } // the build's figures stay
    panel.setAttribute("data-kb-figures", "");
    var count = container.querySelector(".kb-count"); // below the filter bar and its "Showing n of N rows"
    if (count) count.parentNode.insertBefore(panel, count.nextSibling);
    var tbody = table.tBodies[0];
    var pending = false;
    function update() {
      pending = false;
      var visible = {};
      Array.prototype.forEach.call(tbody.rows, function (tr) {
        if (!tr.hidden && tr.cells.length) visible[(tr.cells[0].textContent || "").trim()] = true;
      });
      draw(panel, compute(data, visible), tbody.rows.length);
    }
    new MutationObserver(function () {
      if (!pending) { pending = true; Promise.resolve().then(update); }
    }).observe(tbody, { attributes: true, attributeFilter: ["hidden"], subtree: true });
    update();
    var wasOpen = null;
    window.addEventListener("beforeprint", function () { wasOpen = panel.open; panel.open = true; });
    window.addEventListener("afterprint", function () { if (wasOpen === false) panel.open = false; wasOpen = null; });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("details.kb-figures[data-for]"), setUp);
  }

  if (typeof window.document$ !== "undefined" && window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init); // after the table code above: it subscribed first
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
/* ==== end figures-panel ==== */

/* ==== similar-cases ==== */
/* "Find similar published cases" (cases/similar/, site_templates/cases/similar.md.j2): ranks the case records embedded
 * in the page (the items of data/cases.json) by the facts a clinician enters. Nothing is fetched or sent. A fact a
 * case does not report counts neither for nor against it. Scores are shown with the facts that made them. */
(function () {
  "use strict";
  var STOP = ["with", "from", "that", "this", "when", "while", "into", "during", "after", "before", "their", "there", "were",
    "have", "only", "runs", "running", "the", "and", "her", "his"];

  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function words(s) {
    return (s || "").toLowerCase().split(/[^a-z0-9\u00c0-\u024f]+/).filter(function (w) {
      return w.length >= 4 && STOP.indexOf(w) === -1;
    });
  }
  function stem(w) { return w.replace(/(ions?|ing|ed|es|s)$/, ""); }
  function years(text) { // a duration the source plainly states in years or months: "3 years", "18 months"
    var m = /(\d+(?:\.\d+)?)\s*(years?|months?)/i.exec(text || "");
    if (!m) return null;
    var n = parseFloat(m[1]);
    return /^month/i.test(m[2]) ? n / 12 : n;
  }
  var NUMBER_WORDS = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 };
  function durationOf(text) {
    var t = (text || "").toLowerCase().replace(/\b(one|two|three|four|five|six|seven|eight|nine|ten)\b/g,
      function (w) { return String(NUMBER_WORDS[w]); });
    return years(t);
  }

  function score(c, q, data) {
    var s = 0, why = [];
    function agree(name, mine, theirs, weight) {
      if (mine === "" || mine === null || theirs === null || theirs === undefined) return;
      if (String(mine) === String(theirs)) { s += weight; why.push(name); } else { s -= weight; }
    }
    agree("sex", q.sex, c.sex, 2);
    agree("side", q.side, c.side, 2);
    agree("spread to walking", q.walking, c.spread_to_walking === null ? null : (c.spread_to_walking ? "yes" : "no"), 1);
    agree("tremor at rest", q.tremor, c.rest_tremor === null ? null : (c.rest_tremor ? "yes" : "no"), 1);
    if (q.onset !== null && c.age_at_onset !== null) {
      var d = Math.abs(q.onset - c.age_at_onset), k = Math.max(0, 1 - d / 20);
      s += 3 * k; if (k > 0.5) why.push("age at onset");
    }
    var dur = durationOf(c.duration_at_presentation);
    if (q.duration !== null && dur !== null) {
      var kd = Math.max(0, 1 - Math.abs(q.duration - dur) / 5);
      s += kd; if (kd > 0.5) why.push("duration");
    }
    if (q.regions.length && c.body_regions) {
      var both = q.regions.filter(function (r) { return c.body_regions.indexOf(r) !== -1; }).length;
      var union = q.regions.length + c.body_regions.length - both;
      if (both) { s += 3 * both / union; why.push("body regions"); } else { s -= 1; }
    }
    if (q.agents.length && c.treatments) {
      var had = {};
      c.treatments.forEach(function (t) { (t.agents || []).forEach(function (a) { had[a] = true; }); });
      var common = q.agents.filter(function (a) { return had[a]; });
      if (common.length) { s += common.length; why.push("drugs tried"); }
    }
    if (q.words.length) {
      var theirs = words([c.main_complaint, c.symptom_locus, c.symptom_origin].join(" ")).map(stem);
      var hit = q.words.filter(function (w) { return theirs.indexOf(stem(w)) !== -1; }).length;
      if (hit) { s += Math.min(hit, 4); why.push("movement (" + hit + (hit === 1 ? " word)" : " words)")); }
    }
    return { c: c, score: Math.round(s * 100) / 100, why: why };
  }

  function facts(c, data) {
    var yn = function (v) { return v === null || v === undefined ? "not reported" : (v ? "yes" : "no"); };
    var regions = c.body_regions ? c.body_regions.map(function (r) { return data.regions[r] || r; }).join(", ") : "not reported";
    return [["Sex", c.sex || "not reported"], ["Age at onset", c.age_at_onset === null ? "not reported" : String(c.age_at_onset)],
      ["Side", c.side || "not reported"], ["Body regions", regions], ["Main complaint", c.main_complaint || "not reported"],
      ["Spread to walking", yn(c.spread_to_walking)], ["Parkinson's later", yn(c.parkinsons_disease)],
      ["Outcome", c.outcome ? (data.outcomes[c.outcome] || c.outcome) : "not reported"]];
  }

  function result(r, data, rank) {
    var c = r.c;
    var dl = el("dl", { "class": "kb-similar__facts" });
    facts(c, data).forEach(function (f) { dl.appendChild(el("dt", { text: f[0] })); dl.appendChild(el("dd", { text: f[1] })); });
    var tried = (c.treatments || []).map(function (t) {
      return (t.agents || []).map(function (a) { return data.agents[a] || a; }).join(" + ") + ": " +
        ((data.responses[t.response] || t.response || "not reported").split(" (")[0]);
    });
    var refs = {};
    refs[c.paper] = true;
    (c.cited || []).forEach(function (k) { refs[k] = true; });
    var srcList = el("span", {});
    Object.keys(refs).sort().forEach(function (k, i) {
      if (i) srcList.appendChild(document.createTextNode("; "));
      srcList.appendChild(el("a", { href: "../../references/#" + encodeURIComponent(k), text: data.refs[k] || k }));
    });
    return el("li", { "class": "kb-similar__item", "data-case": c.id }, [
      el("h2", { "class": "kb-similar__title" }, [el("a", { href: "../" + encodeURIComponent(c.id) + "/", text: "Case " + c.id }),
        " ", el("span", { "class": "kb-similar__score", text: "(rank " + rank + ", score " + r.score +
          (r.why.length ? "; shares: " + r.why.join(", ") : "") + ")" })]),
      dl,
      el("p", {}, [el("strong", { text: "What was tried, and how it went: " }),
        tried.length ? tried.join("; ") : (c.treatments_status === "absent" ? "no drug treatment reported as given" : "not reported")]),
      el("p", {}, [el("strong", { text: "Sources: " }), srcList]),
    ]);
  }

  function setUp() {
    var form = document.getElementById("kb-similar-form");
    var blob = document.getElementById("kb-similar-data");
    if (!form || !blob || form.hasAttribute("data-kb-similar")) return;
    var data;
    try { data = JSON.parse(blob.textContent); } catch (e) { return; }
    form.setAttribute("data-kb-similar", "");
    form.hidden = false;
    var status = document.getElementById("kb-similar-status");
    var list = document.getElementById("kb-similar-list");
    var region = document.getElementById("kb-similar-results");
    function num(name) { var v = form.elements[name].value.trim(); return v === "" || isNaN(+v) ? null : +v; }
    function checked(name) {
      return Array.prototype.filter.call(form.querySelectorAll('input[name="' + name + '"]'), function (i) { return i.checked; })
        .map(function (i) { return i.value; });
    }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var q = { sex: form.elements.sex.value, side: form.elements.side.value, walking: form.elements.walking.value,
        tremor: form.elements.tremor.value, onset: num("onset"), duration: num("duration"), regions: checked("region"),
        agents: checked("agent"), words: words(form.elements.words.value) };
      var ranked = data.cases.map(function (c, i) { var r = score(c, q, data); r.i = i; return r; })
        .filter(function (r) { return r.score > 0; })
        .sort(function (a, b) { return (b.score - a.score) || (a.i - b.i); });
      list.textContent = "";
      ranked.slice(0, 10).forEach(function (r, i) { list.appendChild(result(r, data, i + 1)); });
      status.textContent = ranked.length
        ? "Showing the " + Math.min(ranked.length, 10) + " closest of " + ranked.length + " matching case records (of " + data.cases.length + "), best first."
        : "No case record shares these facts. Try fewer or other facts.";
      region.focus();
    });
    form.addEventListener("reset", function () {
      list.textContent = "";
      status.textContent = "Enter what you know, then choose \u201cFind similar cases\u201d.";
    });
  }

  if (typeof window.document$ !== "undefined" && window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(setUp);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
/* ==== end similar-cases ==== */
