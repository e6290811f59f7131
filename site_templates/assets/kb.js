/* kb.js: progressive enhancement of the knowledge base's tables (no library, no network).
 * For every `.kb-table table`: sortable column headers (a <button> in each <th>, aria-sort on the <th>),
 * a filter bar (one <select> per column named in the container's data-filters="A|B|...", a text search)
 * and a live "Showing N of M rows" count. Filters and sort live in the URL query string
 * (history.replaceState), so a filtered view can be shared. Without JS the full table reads as is. */
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

    // Give the table an accessible name from the "Table: ..." paragraph the generator puts before it.
    var cap = container.querySelector(":scope > p");
    if (cap && !table.getAttribute("aria-labelledby") && /^Table:/.test(text(cap))) {
      if (!cap.id) cap.id = base + "caption";
      table.setAttribute("aria-labelledby", cap.id);
    }

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
      var shown = 0;
      rows.forEach(function (r) {
        var ok = active.every(function (s) {
          return splitValues(r.cells[+s.getAttribute("data-col")] || "").indexOf(s.value) !== -1;
        }) && (!q || r.all.indexOf(q) !== -1);
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
      container.classList.toggle("kb-is-filtered", conds.length > 0);
      reset.disabled = !active.length && !q;
      if (push) writeUrl();
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
  }

  if (typeof window.document$ !== "undefined" && window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init); // mkdocs-material (also fires after instant navigation)
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
