// Planner page: pending moves table (filter, sort, select), SKU x warehouse view, decisions,
// CSV export and the warehouse view.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { recs: [], sort: { key: "expected_gain", dir: -1 }, selected: new Set(), open: null };

  function filtered() {
    const sku = $("f-sku").value.trim().toLowerCase();
    const cat = $("f-category").value, wh = $("f-warehouse").value, lane = $("f-lane").value;
    const hot = $("f-hot").checked, gain = parseFloat($("f-gain").value) || 0;
    const { key, dir } = state.sort;
    return state.recs
      .filter((r) => (!sku || r.sku.toLowerCase().includes(sku)) && (!cat || r.category === cat)
        && (!wh || r.from_warehouse === wh || r.to_warehouse === wh) && (!lane || laneOf(r) === lane)
        && (!hot || r.is_hot)
        && r.expected_gain >= gain)
      .sort((a, b) => (a[key] > b[key] ? 1 : a[key] < b[key] ? -1 : 0) * dir);
  }

  const laneOf = (r) => `${r.from_warehouse} → ${r.to_warehouse}`;

  // Transfer lanes, most units first: a lane's moves ship together, so planners approve them as one
  function fillLanes(select) {
    const lanes = new Map();
    for (const r of state.recs) {
      const lane = lanes.get(laneOf(r)) || { moves: 0, units: 0 };
      lanes.set(laneOf(r), { moves: lane.moves + 1, units: lane.units + r.qty });
    }
    const keep = select.value;
    select.length = 1;
    for (const [lane, t] of [...lanes].sort((a, b) => b[1].units - a[1].units || (a[0] > b[0] ? 1 : -1))) {
      select.add(new Option(`${lane} · ${t.moves} moves, ${OS.fmt(t.units)} units`, lane));
    }
    select.value = lanes.has(keep) ? keep : "";
  }

  function fillOptions(select, values) {
    const keep = select.value;
    select.length = 1;
    for (const v of [...new Set(values)].filter(Boolean).sort()) select.add(new Option(v, v));
    select.value = keep;
  }

  function render() {
    const rows = filtered();
    $("count").textContent = rows.length === state.recs.length
      ? rows.length + " pending" : `${rows.length} of ${state.recs.length} pending`;
    $("empty").hidden = rows.length > 0;
    $("recs").tBodies[0].innerHTML = rows.map((r) => `
      <tr data-id="${OS.esc(r.rec_id)}" class="${r.rec_id === state.open ? "open" : ""}">
        <td><input type="checkbox" class="pick" ${state.selected.has(r.rec_id) ? "checked" : ""}></td>
        <td class="mono">${OS.esc(r.sku)}</td><td>${OS.esc(r.category || "")}</td>
        <td>${OS.esc(r.from_warehouse)}</td><td>${OS.esc(r.to_warehouse)}</td>
        <td class="num">${OS.fmt(r.qty)}${r.qty !== r.original_qty ? " ✎" : ""}</td>
        <td class="num">${OS.fmt(r.expected_gain, 1)}</td>
        <td>${r.is_hot ? '<span class="hot">hot</span>' : ""}</td>
        <td class="reason-cell" title="${OS.esc(r.reason)}">${OS.esc(r.reason)}</td>
      </tr>`).join("");
    for (const th of $("recs").tHead.rows[0].cells) {
      th.classList.toggle("sorted", th.dataset.sort === state.sort.key);
      th.dataset.dir = th.dataset.sort === state.sort.key ? (state.sort.dir > 0 ? "▲" : "▼") : "";
    }
    $("bulk-approve").disabled = state.selected.size === 0;
    $("bulk-approve").textContent = `Approve selected (${state.selected.size})`;
  }

  async function load() {
    const data = await OS.api("/v1/recommendations?status=pending");
    state.recs = data.items;
    const ids = new Set(state.recs.map((r) => r.rec_id));
    state.selected = new Set([...state.selected].filter((id) => ids.has(id)));
    fillOptions($("f-category"), state.recs.map((r) => r.category));
    fillOptions($("f-warehouse"), state.recs.flatMap((r) => [r.from_warehouse, r.to_warehouse]));
    fillLanes($("f-lane"));
    render();
  }

  async function openDetail(recId) {
    const rec = await OS.api("/v1/recommendations/" + encodeURIComponent(recId));
    const d = rec.details || {};
    state.open = recId;
    $("detail").hidden = false;
    $("d-title").textContent = `${rec.sku} → ${d.warehouse_to_name || rec.to_warehouse}`;
    OSChart.band($("chart"), d);
    const facts = [
      ["Move", `${OS.fmt(rec.original_qty)} units ${rec.from_warehouse} → ${rec.to_warehouse}`],
      ["On hand at source", d.on_hand_from == null ? "–" : OS.fmt(d.on_hand_from)],
      ["On hand at destination", d.on_hand_to == null ? "–" : OS.fmt(d.on_hand_to)],
      ["Forecast (median, horizon)", d.forecast_total_q50 == null ? "–" : OS.fmt(d.forecast_total_q50, 1)],
      ["Expected gain", `${OS.fmt(rec.expected_gain, 0)} unit·km (shipping saved, less the transfer)`],
      ["Category", rec.category || "–"],
    ];
    if (d.hot_reason) facts.push(["Why hot", d.hot_reason]);
    $("d-facts").innerHTML = facts.map(([k, v]) => `<dt>${OS.esc(k)}</dt><dd>${OS.esc(v)}</dd>`).join("");
    $("d-reason").textContent = rec.reason;
    $("d-qty").value = rec.qty;
    $("d-note").value = "";
    render();
    $("detail").scrollIntoView({ behavior: "smooth", block: "nearest" });
  }

  async function decide(decision) {
    const recId = state.open;
    const qty = parseInt($("d-qty").value, 10);
    const body = { decision, note: $("d-note").value.trim() || null };
    const rec = state.recs.find((r) => r.rec_id === recId);
    if (decision === "approve" && rec && qty !== rec.qty) {
      if (!body.note) { OS.toast("Say why the quantity changed (note)", true); $("d-note").focus(); return; }
      body.qty = qty;
    }
    let done;
    try {
      done = await OS.api(`/v1/recommendations/${encodeURIComponent(recId)}/decision`, { method: "POST", body });
    } catch (e) {
      await load();  // someone else may have decided it: show the queue as it is now
      throw e;
    }
    OS.toast(`${done.sku}: ${done.status} (${OS.fmt(done.qty)} units) by ${done.decided_by}`);
    state.open = null;
    $("detail").hidden = true;
    state.selected.delete(recId);
    await load();
    await loadWarehouses();
  }

  async function bulkApprove() {
    const body = { rec_ids: [...state.selected], decision: "approve" };
    const out = await OS.api("/v1/recommendations/decisions", { method: "POST", body });
    OS.toast(`Approved ${out.decided.length}` + (out.already_decided.length ? `, ${out.already_decided.length} already decided` : ""));
    state.selected.clear();
    await load();
    await loadWarehouses();
  }

  async function exportCsv() {
    const text = await OS.api("/v1/recommendations/export.csv?status=approved");
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    a.download = `transfers-${new Date().toISOString().slice(0, 10)}.csv`;
    a.click();
    URL.revokeObjectURL(a.href);
  }

  async function loadWarehouses() {
    const plan = await OS.api("/v1/warehouses/plan");
    const rows = plan.warehouses;
    $("wh").tBodies[0].innerHTML = rows.map((w) => {
      const delta = w.on_hand_after - w.on_hand_now;
      return `<tr data-id="${OS.esc(w.warehouse_id)}"><td>${OS.esc(w.name || w.warehouse_id)}
        <span class="muted">${OS.esc(w.warehouse_id)}</span></td>
        <td class="num">${OS.fmt(w.on_hand_now)}</td><td class="num gain">${w.inbound ? "+" + OS.fmt(w.inbound) : ""}</td>
        <td class="num loss">${w.outbound ? "−" + OS.fmt(w.outbound) : ""}</td>
        <td class="num ${delta > 0 ? "gain" : delta < 0 ? "loss" : ""}">${OS.fmt(w.on_hand_after)}</td>
        <td class="num">${w.capacity_units == null ? "–" : OS.fmt(w.capacity_units)}</td></tr>`;
    }).join("");
    OSChart.scatter($("map"), rows.map((w) => ({
      id: w.warehouse_id, label: w.name || w.warehouse_id, lon: w.lon, lat: w.lat,
      now: w.on_hand_now, after: w.on_hand_after,
    })), state.recs.map((r) => ({ from: r.from_warehouse, to: r.to_warehouse, qty: r.qty })));
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("filters").addEventListener("input", render);
    $("filters").addEventListener("submit", (ev) => ev.preventDefault());
    $("recs").tHead.addEventListener("click", (ev) => {
      const key = ev.target.dataset.sort;
      if (!key) return;
      state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : (key === "expected_gain" || key === "qty" ? -1 : 1) };
      render();
    });
    $("select-all").addEventListener("change", (ev) => {
      for (const r of filtered()) ev.target.checked ? state.selected.add(r.rec_id) : state.selected.delete(r.rec_id);
      render();
    });
    $("recs").tBodies[0].addEventListener("click", (ev) => {
      const tr = ev.target.closest("tr");
      if (!tr) return;
      if (ev.target.classList.contains("pick")) {
        ev.target.checked ? state.selected.add(tr.dataset.id) : state.selected.delete(tr.dataset.id);
        render();
      } else {
        OS.quiet(openDetail(tr.dataset.id));
      }
    });
    $("decide").addEventListener("submit", (ev) => { ev.preventDefault(); OS.quiet(decide(ev.submitter.value)); });
    $("d-close").addEventListener("click", () => { state.open = null; $("detail").hidden = true; render(); });
    $("bulk-approve").addEventListener("click", () => OS.quiet(bulkApprove()));
    $("export").addEventListener("click", () => OS.quiet(exportCsv()));
    const refresh = () => OS.quiet(load().then(loadWarehouses));
    document.addEventListener("os:who", refresh);
    refresh();
  });
})();
