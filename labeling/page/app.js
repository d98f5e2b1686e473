// The labeling page: keyboard first, every action also by mouse. A
// decision is shown as saved only once the server has answered it, and
// it answers only after the journal is synced to disk.
"use strict";
(() => {
  const $ = (sel) => document.querySelector(sel);

  // The tab's session: kept in sessionStorage, so that a reload keeps the
  // tab's lease and undo takes back the tab's own decisions.
  const session = (() => {
    let id = sessionStorage.getItem("labeling.session");
    if (!id) {
      const b = new Uint8Array(12);
      crypto.getRandomValues(b);
      id = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
      sessionStorage.setItem("labeling.session", id);
    }
    return id;
  })();

  const page = {
    state: null, // GET /api/state
    group: null, // the lease shown
    selected: new Set(), // indices of the grid that a class key labels
    focus: 0, // the grid's focused item
    busy: true,
    strategy: null,
    saved: [], // acknowledged decisions, newest first (the last 50)
    savedCount: 0, // acknowledged decisions since the page was loaded
    keyToClass: new Map(),
  };

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: { "Content-Type": "application/json", "X-Labeling-Session": session },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let json;
    try {
      json = await res.json();
    } catch {
      json = { error: `${res.status} ${res.statusText}` };
    }
    if (!res.ok) {
      const e = new Error(json.error || res.statusText);
      e.status = res.status;
      throw e;
    }
    return json;
  }

  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c !== undefined && c !== null && c !== false) e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }

  function status(text, kind) {
    const s = $("#status");
    s.textContent = text;
    s.className = kind || "";
  }

  function setBusy(b) {
    page.busy = b;
    document.body.dataset.busy = b ? "1" : "0";
    for (const id of ["#accept", "#skip", "#undo"]) $(id).disabled = b;
  }

  // run does one exchange with the server at a time; keys pressed while
  // one is under way are ignored (and said so).
  async function run(what, fn) {
    if (page.busy) {
      status("Still saving the last decision: press again once it is saved.", "warning");
      return;
    }
    setBusy(true);
    try {
      await fn();
    } catch (e) {
      status(`${what} failed: ${e.message}`, "error");
      if (e.status === 409 && what !== "undo") {
        // The lease expired or went to another page: show what is next.
        try {
          show(await api("POST", nextURL()));
          status(`${what} failed: ${e.message} — here is the next group.`, "error");
        } catch (e2) {
          status(`${what} failed: ${e2.message}`, "error");
        }
      }
    } finally {
      setBusy(false);
      render();
    }
  }

  const nextURL = () => "/api/next?strategy=" + encodeURIComponent(page.strategy);

  function show(group) {
    page.group = group;
    page.state = group.state || page.state;
    page.selected = new Set(group.items.map((it) => it.index));
    page.focus = 0;
  }

  function classOf(name) {
    return page.state.classes.find((c) => c.name === name);
  }

  // suggestion is the group's suggested class (the first suggestion of its
  // items: a cluster's members share their majority).
  function suggestion() {
    const it = page.group && page.group.items.find((i) => i.suggested);
    return it ? it.suggested : "";
  }

  function remember(decisions, kind) {
    for (const d of decisions) {
      page.saved.unshift({ index: d.index, label: d.label, action: kind || d.action });
      page.savedCount++;
    }
    page.saved.length = Math.min(page.saved.length, 50);
  }

  function label(cls) {
    const g = page.group;
    if (!g || g.done || g.items.length === 0) {
      status("Nothing to label here: choose another strategy.", "warning");
      return;
    }
    const items = g.items.filter((it) => page.selected.has(it.index)).map((it) => ({ index: it.index, label: cls }));
    if (items.length === 0) {
      status("Every example of the grid is left out: click one (or press Space) to take it back.", "warning");
      return;
    }
    run("label", async () => {
      status(`saving ${items.length === 1 ? "#" + items[0].index : items.length + " examples"} as ${cls}…`, "saving");
      const r = await api("POST", "/api/label", { lease: g.lease, items });
      remember(r.saved);
      page.state = r.state;
      const what = r.saved.length === 1 ? `#${r.saved[0].index}` : `${r.saved.length} examples`;
      status(r.warning ? `saved ${what} as ${cls}, but: ${r.warning}` : `saved ${what} as ${cls} ✓`, r.warning ? "warning" : "saved");
      show(await api("POST", nextURL()));
    });
  }

  function accept() {
    const s = suggestion();
    if (!s) {
      status("No suggestion for this example: press a class key.", "warning");
      return;
    }
    label(s);
  }

  function skip() {
    const g = page.group;
    if (!g || g.done || g.items.length === 0) return;
    const it = g.items[Math.min(page.focus, g.items.length - 1)];
    run("skip", async () => {
      status(`skipping #${it.index}…`, "saving");
      const r = await api("POST", "/api/skip", { lease: g.lease, index: it.index });
      remember(r.saved);
      page.state = r.state;
      status(`skipped #${it.index} ✓`, "saved");
      g.items = g.items.filter((x) => x.index !== it.index);
      page.selected.delete(it.index);
      page.focus = Math.min(page.focus, Math.max(0, g.items.length - 1));
      if (g.items.length === 0) show(await api("POST", nextURL()));
    });
  }

  function undo() {
    run("undo", async () => {
      status("undoing…", "saving");
      const r = await api("POST", "/api/undo");
      remember(r.undone, "undone");
      page.state = r.state;
      const was = r.undone.map((d) => `#${d.index}${d.label ? " (was " + d.label + ")" : " (skipped)"}`);
      status(`undone: ${was.slice(0, 6).join(", ")}${was.length > 6 ? " and " + (was.length - 6) + " more" : ""}`, "saved");
      if (r.group.items.length > 0) {
        if (r.group.strategy !== page.strategy) setStrategy(r.group.strategy);
        show(r.group);
      } else {
        show(await api("POST", nextURL()));
      }
    });
  }

  // toggle leaves a grid's example k out, or takes it back; a single
  // example is never left out.
  function toggle(k) {
    const g = page.group;
    if (!g || g.items.length < 2 || !g.items[k]) return;
    const i = g.items[k].index;
    if (page.selected.has(i)) page.selected.delete(i);
    else page.selected.add(i);
    page.focus = k;
    render();
  }

  function move(key) {
    const g = page.group;
    if (!g || g.items.length < 2) return;
    const items = [...document.querySelectorAll("#stage .item")];
    let cols = 1;
    if (items.length > 1 && items[0].tagName !== "TR") {
      const top = items[0].offsetTop;
      cols = items.filter((x) => x.offsetTop === top).length || 1;
    }
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -cols, ArrowDown: cols }[key] || 0;
    page.focus = Math.max(0, Math.min(g.items.length - 1, page.focus + step));
    render();
  }

  function setStrategy(s) {
    page.strategy = s;
    sessionStorage.setItem("labeling.strategy", s);
    $("#strategy").value = s;
  }

  // Rendering.

  function render() {
    renderCounter();
    renderLegend();
    renderStage();
    renderHistory();
  }

  function renderCounter() {
    const s = page.state;
    if (!s) return;
    $("#counter").replaceChildren(
      el("b", {}, s.labeled.toLocaleString("en")), ` / ${s.total.toLocaleString("en")} labeled · ${s.skipped} skipped`,
      s.leased ? ` · ${s.leased} leased` : "",
    );
  }

  function renderLegend() {
    const s = page.state;
    if (!s) return;
    const sug = suggestion();
    $("#accept").disabled = page.busy || !sug;
    $("#accept").title = sug ? `label with the suggested class, ${sug}` : "no suggestion for this example";
    $("#legend").replaceChildren(...s.classes.map((c) =>
      el("button", {
        type: "button", class: c.name === sug ? "class suggested" : "class", "data-class": c.name,
        title: c.key ? `press ${c.key}` : "no key: click", onclick: (ev) => { ev.currentTarget.blur(); label(c.name); },
      }, el("kbd", {}, c.key || "·"), el("span", { class: "name" }, c.name), el("span", { class: "count" }, c.count)),
    ));
  }

  function renderHistory() {
    $("#history").replaceChildren(...page.saved.slice(0, 30).map((d) =>
      el("li", { class: d.action === "undone" ? "undone" : d.action === "skip" ? "skip" : "" },
        d.action === "undone" ? `undone #${d.index}` : d.action === "skip" ? `#${d.index} skipped` : `#${d.index} → ${d.label}`),
    ));
  }

  function origin(it, strategy) {
    const parts = [el("b", {}, `#${it.index}`), ` · from the ${strategy} queue`];
    if (it.cluster >= 0) parts.push(` · cluster ${it.cluster}`);
    if (strategy === "uncertain" && it.score) parts.push(` · uncertainty ${it.score.toFixed(3)}`);
    return parts;
  }

  function picture(it, cls) {
    return el("img", { class: "pixelated " + (cls || ""), src: it.image, alt: `example ${it.index}`, draggable: "false" });
  }

  function valuesTable(it) {
    return el("table", { class: "rows" },
      el("tbody", {}, it.features.map((f) => el("tr", {}, el("td", {}, f.name), el("td", {}, f.value === null ? "missing" : fmt(f.value))))));
  }

  const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toPrecision(4));

  function renderStage() {
    const g = page.group;
    const stage = $("#stage");
    if (!g) return;
    if (g.done || g.items.length === 0) {
      $("#origin").textContent = "";
      const leased = page.state && page.state.leased;
      stage.replaceChildren(el("p", { class: "empty" },
        `Nothing left to offer with the ${g.strategy} strategy` +
        (leased ? ` (${leased} examples are leased to other pages; they come back if their leases expire)` : "") +
        ". Choose another strategy, or stop: the labels file holds every label."));
      return;
    }
    const sug = suggestion();
    if (g.items.length === 1) {
      const it = g.items[0];
      $("#origin").replaceChildren(...origin(it, g.strategy), sug ? el("span", {}, " · suggested ", el("span", { class: "suggestion" }, sug)) : "");
      const facts = [];
      if (sug) facts.push(el("dt", {}, "suggested"), el("dd", { class: "suggestion" }, `${sug} (Enter)`));
      if (it.source_label) facts.push(el("dt", {}, "source's label"), el("dd", {}, it.source_label));
      if (it.was) facts.push(el("dt", {}, "was, before undo"), el("dd", {}, it.was));
      const side = [el("dl", { class: "facts" }, facts)];
      if (it.top && it.top.length) {
        side.push(el("h2", {}, "the model's top classes"), el("ol", { class: "top" }, it.top.slice(0, 3).map((t) => {
          const bar = el("i");
          bar.style.width = `${Math.round(t.probability * 100)}%`;
          return el("li", {}, el("span", {}, t.class), el("span", { class: "bar" }, bar), el("span", {}, `${(t.probability * 100).toFixed(1)}%`));
        })));
      }
      stage.replaceChildren(el("div", { class: "single", "data-index": it.index },
        it.image ? picture(it) : valuesTable(it), el("div", {}, side)));
      return;
    }
    const n = g.items.length;
    const sel = g.items.filter((it) => page.selected.has(it.index)).length;
    const first = g.items[0];
    $("#origin").replaceChildren(
      el("b", {}, first.cluster >= 0 ? `cluster ${first.cluster}` : `${n} examples`), ` · from the ${g.strategy} queue · ${sel} of ${n} selected (most typical first)`,
      sug ? el("span", {}, " · suggested ", el("span", { class: "suggestion" }, sug)) : "",
      " · a class key labels every selected example",
    );
    if (first.image) {
      stage.replaceChildren(el("div", { id: "grid" }, g.items.map((it, k) =>
        el("figure", {
          class: k === page.focus ? "item focus" : "item", "data-index": it.index, "data-selected": String(page.selected.has(it.index)),
          title: `#${it.index}${it.source_label ? " · source says " + it.source_label : ""}${it.was ? " · was " + it.was : ""}: click to leave out or take back`,
          onclick: () => toggle(k),
        }, picture(it), el("figcaption", {}, `#${it.index}${it.source_label ? " · " + it.source_label : ""}`)),
      )));
      return;
    }
    const names = first.features.map((f) => f.name);
    stage.replaceChildren(el("table", { class: "rows" },
      el("thead", {}, el("tr", {}, el("th", {}, "index"), names.map((nm) => el("th", {}, nm)), page.state.show_source_labels ? el("th", {}, "source") : "")),
      el("tbody", {}, g.items.map((it, k) =>
        el("tr", {
          class: k === page.focus ? "item focus" : "item", "data-index": it.index, "data-selected": String(page.selected.has(it.index)),
          onclick: () => toggle(k),
        }, el("td", {}, `#${it.index}`), it.features.map((f) => el("td", {}, f.value === null ? "missing" : fmt(f.value))),
        page.state.show_source_labels ? el("td", {}, it.source_label || "") : "")))));
  }

  // Keys.

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.target instanceof Element && ev.target.closest("select, input, textarea")) return;
    const k = ev.key;
    if (k === "Enter") accept();
    else if (k === "Backspace") undo();
    else if (k === "s" || k === "S") skip();
    else if (k.startsWith("Arrow")) move(k);
    else if (k === " ") toggle(page.focus);
    else if (page.keyToClass.has(k.toLowerCase())) label(page.keyToClass.get(k.toLowerCase()));
    else return;
    ev.preventDefault();
  });

  $("#accept").addEventListener("click", (ev) => { ev.currentTarget.blur(); accept(); });
  $("#skip").addEventListener("click", (ev) => { ev.currentTarget.blur(); skip(); });
  $("#undo").addEventListener("click", (ev) => { ev.currentTarget.blur(); undo(); });
  $("#strategy").addEventListener("change", (ev) => {
    const s = ev.currentTarget.value;
    ev.currentTarget.blur();
    if (page.busy) { // let the exchange under way finish first
      $("#strategy").value = page.strategy;
      status("Still saving: choose the strategy again once it is saved.", "warning");
      return;
    }
    setStrategy(s);
    run("next", async () => {
      status(`strategy: ${s}`, "");
      show(await api("POST", nextURL()));
    });
  });

  // What tests (and the curious) can read.
  window.labelingPage = {
    get group() { return page.group; },
    get state() { return page.state; },
    get saved() { return page.saved.slice(); },
    get savedCount() { return page.savedCount; },
    get selected() { return [...page.selected]; },
    get busy() { return page.busy; },
    get strategy() { return page.strategy; },
    session,
  };

  (async () => {
    try {
      page.state = await api("GET", "/api/state");
      for (const c of page.state.classes) if (c.key) page.keyToClass.set(c.key, c.name);
      $("#source").textContent = page.state.source ? `· ${page.state.source}` : "";
      document.title = `Labeling · ${page.state.source || "data"}`;
      $("#files").textContent = `labels: ${page.state.labels_file} · journal: ${page.state.journal}`;
      const fromURL = new URLSearchParams(location.search).get("strategy");
      setStrategy(fromURL || sessionStorage.getItem("labeling.strategy") || page.state.strategy);
      show(await api("POST", nextURL()));
    } catch (e) {
      status(`The server did not answer: ${e.message}`, "error");
    } finally {
      setBusy(false);
      render();
    }
  })();
})();
