// Tupu designers' page: find a node, see and edit it, check, commit or propose a draft,
// review drafts, browse history and revert. Talks only to the JSON API of this server.
"use strict";

const $ = (id) => document.getElementById(id);
const RELATIONS = ["requires", "builds_on", "related_to", "confusable_with", "extends", "supports", "develops",
  "requires_competency", "teaches", "assesses", "broader", "part_of", "exact_match", "close_match", "broad_match",
  "occupation"];
let current = null;   // the node shown
let pending = [];     // edits of the change being prepared

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  let json = null;
  try { json = await response.json(); } catch (_) { json = null; }
  return { ok: response.ok, status: response.status, json };
}

function who() { return $("who").value.trim() || "designer"; }

async function refreshVersion() {
  const r = await api("GET", "/health");
  if (r.ok && r.json) $("version").textContent = "graph version " + (r.json.snapshot_version ?? "");
}

// ---- find ----
let searchTimer = null;
$("q").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(search, 150);
});

async function search() {
  const q = $("q").value.trim();
  const list = $("results");
  if (!q) { list.innerHTML = ""; return; }
  const r = await api("GET", "/api/v1/lookup?limit=15&q=" + encodeURIComponent(q));
  const nodes = (r.json && r.json.nodes) || [];
  list.innerHTML = nodes.map((n) =>
    `<li class="pick" data-id="${esc(n.iri)}" data-testid="result">${esc(n.label)} <span class="muted">${esc(n.kind)} · ${esc(n.id)}</span></li>`).join("")
    || `<li class="muted">no node matches</li>`;
  list.querySelectorAll("li.pick").forEach((li) => li.addEventListener("click", () => show(li.dataset.id)));
}

// ---- a node ----
async function show(id) {
  const r = await api("GET", "/api/v1/nodes/" + encodeURIComponent(id));
  if (!r.ok) { $("findings").innerHTML = errorHtml(r); return; }
  current = r.json;
  $("node").hidden = false;
  $("node-title").textContent = `${current.label} (${current.kind})`;
  const labels = current.labels.map((l) => `${esc(l.text)}<span class="muted">@${esc(l.lang)}</span>`).join(", ");
  const attrs = Object.entries(current.attributes).map(([k, v]) => `${esc(k)}: ${esc(JSON.stringify(v))}`).join(" · ");
  $("node-meta").innerHTML = `<div class="muted">${esc(current.iri)}</div><div>labels: ${labels}</div><div class="muted">${attrs}</div>`;
  renderRelations();
  drawGraph();
}

function neighbourHtml(n, relation, outgoing) {
  const remove = outgoing
    ? ` <button type="button" class="rm" data-rel="${esc(relation)}" data-target="${esc(n.iri)}" title="remove this relation">✕</button>` : "";
  return `<li><span class="link" data-id="${esc(n.iri)}">${esc(n.label)}</span> <span class="muted">${esc(n.id)}</span>${remove}</li>`;
}

function renderRelations() {
  const parts = [];
  for (const [direction, map] of [["→ outgoing", current.outgoing], ["← incoming", current.incoming]]) {
    for (const [relation, list] of Object.entries(map)) {
      parts.push(`<h4>${direction} ${esc(relation)} (${list.length})</h4><ul>${list.slice(0, 40).map((n) => neighbourHtml(n, relation, direction.startsWith("→"))).join("")}</ul>`);
    }
  }
  $("relations").innerHTML = parts.join("") || `<p class="muted">no relations</p>`;
  $("relations").querySelectorAll(".link").forEach((a) => a.addEventListener("click", () => show(a.dataset.id)));
  $("relations").querySelectorAll("button.rm").forEach((b) => b.addEventListener("click", () => {
    addEdit({ op: "remove_relation", node: current.iri, relation: b.dataset.rel, target: b.dataset.target });
  }));
}

// The neighbourhood: prerequisites on the left, dependents on the right, other relations
// above and below, the node in the middle.
function drawGraph() {
  const svg = $("graph");
  const W = 640, H = 320, cx = W / 2, cy = H / 2;
  const left = (current.outgoing.requires || []).slice(0, 8);
  const right = (current.incoming.requires || []).slice(0, 8);
  const others = [];
  for (const [rel, list] of Object.entries(current.outgoing)) if (rel !== "requires") list.slice(0, 3).forEach((n) => others.push([rel, n]));
  const items = [];
  const column = (list, x) => list.forEach((n, i) => items.push({ n, x, y: (H / (list.length + 1)) * (i + 1) }));
  column(left, 90);
  column(right, W - 90);
  others.slice(0, 6).forEach(([rel, n], i) => items.push({ n, rel, x: 200 + (i % 3) * 120, y: i < 3 ? 40 : H - 40 }));
  let out = `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#789"/></marker></defs>`;
  for (const it of items) {
    const fromCentre = left.includes(it.n) || it.rel; // node → neighbour
    const [x1, y1, x2, y2] = fromCentre ? [cx, cy, it.x, it.y] : [it.x, it.y, cx, cy];
    out += `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#9ab" marker-end="url(#arrow)"/>`;
  }
  for (const it of items) {
    const label = it.n.label.length > 12 ? it.n.label.slice(0, 11) + "…" : it.n.label;
    out += `<g class="link" data-id="${esc(it.n.iri)}"><circle cx="${it.x}" cy="${it.y}" r="6" fill="#acd"/><text x="${it.x}" y="${it.y - 9}" text-anchor="middle">${esc(label)}</text>${it.rel ? `<text x="${it.x}" y="${it.y + 16}" text-anchor="middle" class="muted">${esc(it.rel)}</text>` : ""}</g>`;
  }
  out += `<circle cx="${cx}" cy="${cy}" r="10" fill="#258"/><text x="${cx}" y="${cy - 14}" text-anchor="middle" font-weight="bold">${esc(current.label)}</text>`;
  out += `<text x="90" y="${H - 6}" text-anchor="middle" class="muted">prerequisites</text><text x="${W - 90}" y="${H - 6}" text-anchor="middle" class="muted">dependents</text>`;
  svg.innerHTML = out;
  svg.querySelectorAll("g.link").forEach((g) => g.addEventListener("click", () => show(g.dataset.id)));
}

// ---- the change being prepared ----
$("rel-name").innerHTML = RELATIONS.map((r) => `<option>${r}</option>`).join("");

function addEdit(edit) {
  pending.push(edit);
  renderPending();
}

function describe(e) {
  switch (e.op) {
    case "set_label": return `label @${e.lang} of ${short(e.node)} := “${e.text}”`;
    case "add_relation": return `${short(e.node)} ${e.relation} ${short(e.target)}`;
    case "remove_relation": return `remove ${short(e.node)} ${e.relation} ${short(e.target)}`;
    default: return JSON.stringify(e);
  }
}

function short(iri) { return String(iri).split(/[\/#]/).pop(); }

function renderPending() {
  $("pending").innerHTML = pending.map((e) => `<li>${esc(describe(e))}</li>`).join("");
}

$("add-label").addEventListener("click", () => {
  const text = $("label-text").value.trim();
  if (!current || !text) return;
  addEdit({ op: "set_label", node: current.iri, lang: $("label-lang").value, text });
  $("label-text").value = "";
});

$("add-rel").addEventListener("click", async () => {
  const text = $("rel-target").value.trim();
  if (!current || !text) return;
  // The target: an id the server knows, or the best label match.
  let target = text;
  const byId = await api("GET", "/api/v1/nodes/" + encodeURIComponent(text));
  if (!byId.ok) {
    const r = await api("GET", "/api/v1/lookup?limit=1&q=" + encodeURIComponent(text));
    const hit = r.json && r.json.nodes && r.json.nodes[0];
    if (!hit) { $("findings").innerHTML = `<p class="violation">no node is called “${esc(text)}”</p>`; return; }
    target = hit.iri;
  } else {
    target = byId.json.iri;
  }
  addEdit({ op: "add_relation", node: current.iri, relation: $("rel-name").value, target });
  $("rel-target").value = "";
});

$("clear").addEventListener("click", () => { pending = []; renderPending(); $("findings").innerHTML = ""; });

function findingsHtml(findings) {
  if (!findings || !findings.length) return `<p class="ok" data-testid="no-findings">no findings</p>`;
  return findings.map((f) => {
    const cycle = f.cycle && f.cycle.length ? `<div class="muted">cycle: ${f.cycle.map(short).map(esc).join(" → ")}</div>` : "";
    const fix = f.fix ? ` <button type="button" class="apply-fix" data-fix='${esc(JSON.stringify(f.fix))}'>apply fix</button>` : "";
    return `<div class="finding ${esc(f.severity)}" data-testid="finding" data-code="${esc(f.code)}"><b>${esc(f.code)}</b>: ${esc(f.message)}${f.hint ? `<div class="muted">fix: ${esc(f.hint)}</div>` : ""}${cycle}${fix}</div>`;
  }).join("");
}

function errorHtml(r) {
  const e = (r.json && r.json.error) || { code: "http_" + r.status, message: "request failed" };
  return `<p class="violation" data-testid="error" data-code="${esc(e.code)}">${esc(e.code)}: ${esc(e.message)}</p>` + findingsHtml(e.details || []);
}

function body(check) {
  return { author: who(), message: $("message").value.trim() || undefined, edits: pending, check };
}

$("check").addEventListener("click", async () => {
  if (!pending.length) return;
  const r = await api("POST", "/api/v1/edits", body(true));
  $("findings").innerHTML = r.ok ? (r.json.valid ? "" : `<p class="violation" data-testid="refused">this change would be refused</p>`) + findingsHtml(r.json.findings) : errorHtml(r);
});

$("commit").addEventListener("click", async () => {
  if (!pending.length) return;
  const r = await api("POST", "/api/v1/edits", body(false));
  if (r.ok) {
    $("findings").innerHTML = `<p class="ok" data-testid="committed">committed as version ${r.json.version}</p>` + findingsHtml(r.json.warnings);
    pending = []; renderPending();
    await afterChange();
  } else {
    $("findings").innerHTML = `<p class="violation" data-testid="refused">refused: nothing was applied</p>` + errorHtml(r);
  }
});

$("propose").addEventListener("click", async () => {
  if (!pending.length) return;
  const r = await api("POST", "/api/v1/drafts", body(false));
  if (r.ok) {
    $("findings").innerHTML = `<p class="ok" data-testid="proposed">proposed as draft ${r.json.id}</p>` + findingsHtml(r.json.findings);
    pending = []; renderPending();
    await loadDrafts();
  } else {
    $("findings").innerHTML = errorHtml(r);
  }
});

async function afterChange() {
  await refreshVersion();
  if (current) await show(current.iri);
  await loadHistory();
}

// ---- drafts ----
async function loadDrafts() {
  const r = await api("GET", "/api/v1/drafts");
  const drafts = (r.json && r.json.drafts) || [];
  $("draft-list").innerHTML = drafts.map((d) =>
    `<li class="pick" data-id="${d.id}" data-testid="draft-item" data-status="${esc(d.status)}">#${d.id} ${esc(d.message || "")} <span class="muted">${esc(d.author || "")} · ${esc(d.status)}</span></li>`).join("")
    || `<li class="muted">no drafts</li>`;
  $("draft-list").querySelectorAll("li.pick").forEach((li) => li.addEventListener("click", () => showDraft(li.dataset.id)));
}

function diffHtml(diff) {
  if (!diff) return "";
  const row = (q, cls, sign) => `<li class="${cls}">${sign} ${esc(q.subject.label || short(q.subject.value))} <i>${esc(q.predicate.label)}</i> ${esc(q.object.label || q.object.value)}</li>`;
  return `<ul data-testid="diff">${diff.removed.map((q) => row(q, "diff-del", "−")).join("")}${diff.added.map((q) => row(q, "diff-add", "+")).join("")}</ul>`;
}

async function showDraft(id) {
  const r = await api("GET", "/api/v1/drafts/" + id);
  if (!r.ok) { $("draft").innerHTML = errorHtml(r); return; }
  const d = r.json;
  const impact = d.impact
    ? `<div class="muted" data-testid="impact">impact: ${d.impact.learners.length} learner(s) with evidence, ${d.impact.resources.length} resource(s), ${d.impact.dependents.count} dependent node(s)</div>` : "";
  const actions = d.status === "open"
    ? `<input id="review-comment" data-testid="review-comment" placeholder="comment"><button type="button" id="approve" data-testid="approve">Approve</button><button type="button" id="reject" data-testid="reject">Reject</button>`
    : `<p class="muted">${esc(d.status)} by ${esc(d.reviewer || "?")}: ${esc(d.comment || "")}</p>`;
  $("draft").innerHTML = `<h3>Draft #${d.id}: ${esc(d.message || "")}</h3>${diffHtml(d.diff)}${impact}${d.findings ? findingsHtml(d.findings) : ""}${actions}<div id="review-result" data-testid="review-result"></div>`;
  if (d.status === "open") {
    $("approve").addEventListener("click", () => decide(d.id, "approve"));
    $("reject").addEventListener("click", () => decide(d.id, "reject"));
  }
}

async function decide(id, what) {
  const r = await api("POST", `/api/v1/drafts/${id}/${what}`, { reviewer: who(), comment: $("review-comment").value.trim() || undefined });
  if (r.ok) {
    await loadDrafts();
    await showDraft(id);
    await afterChange();
  } else {
    $("review-result").innerHTML = errorHtml(r);
  }
}

// ---- history ----
async function loadHistory() {
  const r = await api("GET", "/api/v1/history?limit=30");
  const commits = (r.json && r.json.commits) || [];
  $("history-list").innerHTML = commits.map((c) =>
    `<li class="pick" data-version="${c.version}" data-testid="history-item">v${c.version} ${esc(c.message || "")} <span class="muted">${esc(c.author || "")} · +${c.added} −${c.removed} · ${esc(c.time)}</span></li>`).join("");
  $("history-list").querySelectorAll("li.pick").forEach((li) => li.addEventListener("click", () => showCommit(li.dataset.version)));
}

async function showCommit(version) {
  const r = await api("GET", "/api/v1/history/" + version);
  if (!r.ok) { $("commit-view").innerHTML = errorHtml(r); return; }
  const c = r.json;
  $("commit-view").innerHTML = `<h3>v${c.version}: ${esc(c.message || "")}</h3><div class="muted">${esc(c.author || "")} · ${esc(c.time)}</div>${diffHtml(c)}<button type="button" id="revert" data-testid="revert">Revert</button><div id="revert-result" data-testid="revert-result"></div>`;
  $("revert").addEventListener("click", async () => {
    const rr = await api("POST", `/api/v1/history/${c.version}/revert`, { author: who() });
    $("revert-result").innerHTML = rr.ok ? `<p class="ok" data-testid="reverted">reverted as version ${rr.json.version}</p>` : errorHtml(rr);
    if (rr.ok) await afterChange();
  });
}

// ---- validation ----
$("run-validate").addEventListener("click", async () => {
  const r = await api("GET", "/api/v1/validate?limit=100");
  if (!r.ok) { $("validate-list").innerHTML = errorHtml(r); return; }
  $("validate-list").innerHTML = findingsHtml(r.json.findings);
  $("validate-list").querySelectorAll("button.apply-fix").forEach((b) => b.addEventListener("click", async () => {
    const fix = JSON.parse(b.dataset.fix);
    const rr = await api("POST", "/api/v1/edits", { author: who(), message: "apply a validation fix", edits: fix });
    b.replaceWith(Object.assign(document.createElement("span"), { className: rr.ok ? "ok" : "violation", textContent: rr.ok ? "fixed" : "refused" }));
    if (rr.ok) await afterChange();
  }));
});

$("reload-drafts").addEventListener("click", loadDrafts);
$("reload-history").addEventListener("click", loadHistory);
refreshVersion();
loadDrafts();
loadHistory();
