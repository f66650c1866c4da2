// Review queue: open review/hold orders, newest first, each verdict stored as feedback.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const REFRESH_MS = 15000;  // the queue follows the store while the page is in view

  function evidence(list) {
    if (!list || !list.length) return "";
    const top = Math.max(...list.map((e) => Math.abs(e.contribution)), 1e-9);
    return `<ul class="evidence">${list.map((e) => `
      <li><span class="feat mono">${OS.esc(e.feature)}</span>
        <span class="bar ${e.contribution < 0 ? "neg" : ""}" style="width:${(60 * Math.abs(e.contribution) / top).toFixed(0)}px"></span>
        <span class="muted">${e.contribution.toFixed(2)}</span></li>`).join("")}</ul>`;
  }

  // A structured suggestion (a corrected address) reads best as its one-line standard form; an
  // address whose district is in doubt lists the districts to choose from.
  function shown(value) {
    if (value === null || typeof value !== "object") return String(value);
    const text = value.standardized
      || Object.values(value).filter((v) => v && typeof v !== "object").join(" ");
    if (!value.choices || !value.choices.length) return text;
    return `${text} (district: ${value.choices.map((c) => c.district).join(" or ")})`;
  }

  function issue(i) {
    const s = i.suggestion;
    return `<div class="issue" data-type="${OS.esc(i.type)}" data-code="${OS.esc(i.code)}">
      <div class="issue-head"><span class="tag t-${OS.esc(i.type)}">${OS.esc(i.type)}</span>
        <b class="mono">${OS.esc(i.code)}</b>
        <span class="muted">score ${i.score.toFixed(2)} · ${OS.esc(i.scored_by)}</span></div>
      <p>${OS.esc(i.message)}</p>
      ${s ? `<p class="suggestion">Suggest <span class="mono">${OS.esc(s.field)}</span> → <b>${OS.esc(shown(s.value))}</b></p>` : ""}
      ${evidence(i.evidence)}
      <div class="actions">
        ${s ? '<button class="primary" data-resolution="accept_suggestion">Accept suggestion</button>' : ""}
        <button data-resolution="false_alarm">False alarm</button>
      </div></div>`;
  }

  function card(item) {
    const o = item.order || {};
    const addr = o.address || {};
    const parsed = item.address || {};
    const lines = (o.lines || []).map((l) => `${OS.esc(l.sku)} × ${l.qty} @ ${l.unit_price}`).join(", ");
    return `<article class="card ${OS.esc(item.action)}" data-order="${OS.esc(item.order_id)}">
      <header><span class="action-badge ${OS.esc(item.action)}">${OS.esc(item.action)}</span>
        <b class="mono">${OS.esc(item.order_id)}</b>
        <span class="muted">${OS.esc(item.channel || "")} · ${OS.when(item.created_at)} · risk ${item.risk.toFixed(2)}</span>
        <span class="spacer"></span>
        <button data-resolution="release" title="ship as is, no label stored">Release</button></header>
      <dl class="facts">
        <dt>Address</dt><dd>${OS.esc(addr.raw || [addr.province, addr.city, addr.district, addr.detail].filter(Boolean).join(" "))}</dd>
        ${parsed.province || parsed.city ? `<dt>Parsed</dt><dd>${OS.esc([parsed.province, parsed.city, parsed.district].filter(Boolean).join(" / "))}
          <span class="muted">${OS.esc(parsed.adcode || "")} · confidence ${(parsed.confidence || 0).toFixed(2)}</span></dd>` : ""}
        ${addr.receiver || addr.phone ? `<dt>Receiver</dt><dd>${OS.esc(addr.receiver || "")} ${OS.esc(addr.phone || "")}</dd>` : ""}
        ${lines ? `<dt>Lines</dt><dd>${lines}</dd>` : ""}
      </dl>
      <div class="issues">${item.issues.map(issue).join("")}</div></article>`;
  }

  function counted() {
    $("count").textContent = $("queue").children.length + " open";
    $("empty").hidden = $("queue").children.length > 0;
  }

  // The queue as the store has it now. A card whose order is unchanged stays as it is (a reviewer
  // may be reading it); orders closed elsewhere (another reviewer, a corrected order sent again)
  // leave, new ones come in at their place.
  const shownAs = new WeakMap();
  function render(items) {
    const shown = new Map([...$("queue").children].map((el) => [el.dataset.order, el]));
    const template = document.createElement("template");
    $("queue").replaceChildren(...items.map((item) => {
      const html = card(item);
      const old = shown.get(item.order_id);
      if (old && shownAs.get(old) === html) return old;
      template.innerHTML = html;
      const el = template.content.firstElementChild;
      shownAs.set(el, html);
      return el;
    }));
    counted();
  }

  const load = async (silent) => render((await OS.api("/v1/review?limit=100", { silent })).items);

  // Reviewers' verdicts per code and scorer: which flags people keep calling false alarms
  async function loadVerdicts(silent) {
    const rows = (await OS.api("/v1/feedback/summary", { silent })).codes;
    $("verdicts").tBodies[0].innerHTML = rows.map((v) => `
      <tr data-code="${OS.esc(v.code)}" data-by="${OS.esc(v.scored_by)}">
        <td class="mono">${OS.esc(v.code || "–")}</td><td>${OS.esc(v.scored_by)}</td>
        <td class="num">${OS.fmt(v.reviewed)}</td><td class="num">${OS.fmt(v.true_issue)}</td>
        <td class="num">${OS.fmt(v.false_alarm)}</td>
        <td class="num">${(100 * v.precision).toFixed(0)} %</td></tr>`).join("");
    $("no-verdicts").hidden = rows.length > 0;
  }

  async function resolve(button) {
    const article = button.closest("article");
    const found = button.closest(".issue");
    const body = { resolution: button.dataset.resolution };
    if (found) { body.type = found.dataset.type; body.code = found.dataset.code; }
    try {
      const out = await OS.api(`/v1/review/${encodeURIComponent(article.dataset.order)}/resolve`, { method: "POST", body });
      OS.toast(`${out.order_id}: ${out.status}` + (out.feedback.length ? `, ${out.feedback.length} label(s) stored` : ""));
    } catch (err) {
      if (err.status !== 409) throw err;  // closed elsewhere meanwhile: the toast says how
    }
    article.remove();
    counted();
    await loadVerdicts(false);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("queue").addEventListener("click", (ev) => {
      const button = ev.target.closest("button[data-resolution]");
      if (button) { button.disabled = true; resolve(button).catch(() => { button.disabled = false; }); }
    });
    const refresh = () => OS.quiet(load(false).then(() => loadVerdicts(false)));
    $("refresh").addEventListener("click", refresh);
    document.addEventListener("os:who", refresh);
    refresh();
    setInterval(() => {
      if (!document.hidden) OS.quiet(load(true).then(() => loadVerdicts(true)));
    }, REFRESH_MS);
  });
})();
