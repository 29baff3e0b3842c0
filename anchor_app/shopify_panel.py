"""The organizer app's Shopify panel: connect a store, see the connected stores (state, last
sync, a running sync's progress), and pick the event's sponsor products from a grid with images,
prices and a search, in the order the ads show them.

The panel is an anywidget whose JavaScript talks to `anchor serve`'s `/shopify/api/...` routes
(`anchor_app.shopify_api`) with the organizer's session; the kernel only builds it. Without the
app's settings it says exactly what to set (and still lets the organizer pick CSV products).

    shopify_panel(settings, event_id)   # one notebook cell shows it
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

from anchor_core.config import Settings
from anchor_core.shopify import missing_settings

API = "/shopify/api"

_ESM = r"""
const el_ = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v; else if (k === "on") for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f);
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k) e.append(k);
  return e;
};
const money = (amount, currency) => {
  if (amount === null || amount === undefined) return "";
  try { return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(amount); }
  catch { return `${amount} ${currency || ""}`.trim(); }
};
const STATE = { active: "connected", reauth_required: "needs reconnecting", uninstalled: "uninstalled" };

async function call(api, method, path, body) {
  const r = await fetch(api + path, { method, credentials: "same-origin",
    headers: body ? { "Content-Type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
  let data = {};
  try { data = await r.json(); } catch { data = {}; }
  if (!r.ok) throw new Error(data.error || `HTTP ${r.status}`);
  return data;
}

function render({ model, el }) {
  const api = model.get("api").replace(/\/$/, "");
  const event = model.get("event_id");
  const root = el_("div", { class: "anchor-shopify" });
  el.append(root);
  const note = el_("p", { class: "note", "data-testid": "shopify-note" });
  // connect
  const missing = model.get("missing");
  const connect = el_("div", { class: "connect" });
  if (missing.length) {
    connect.append(el_("p", { text: "Connecting Shopify stores needs these settings on the server:" }));
    const ul = el_("ul", { "data-testid": "shopify-missing" });
    for (const m of missing) ul.append(el_("li", { text: m }));
    connect.append(ul);
  } else {
    const shop = el_("input", { type: "text", placeholder: "your-store.myshopify.com", "aria-label": "Shopify store",
                                "data-testid": "shopify-shop" });
    const go = el_("button", { text: "Connect a Shopify store", "data-testid": "shopify-connect", on: { click: () => {
      const v = shop.value.trim().toLowerCase();
      if (!/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(v)) { note.textContent = "Give the store's domain, like your-store.myshopify.com."; return; }
      window.location.href = `/shopify/install?shop=${encodeURIComponent(v)}` + (event ? `&event=${encodeURIComponent(event)}` : "");
    } } });
    connect.append(el_("div", { class: "row" }, shop, go));
  }
  // stores
  const stores = el_("div", { class: "stores", "data-testid": "shopify-stores" });
  // products
  const search = el_("input", { type: "search", placeholder: "Search products", "aria-label": "Search products",
                                "data-testid": "shopify-search" });
  const grid = el_("div", { class: "grid", "data-testid": "shopify-grid" });
  const chosenList = el_("ol", { class: "chosen", "data-testid": "shopify-chosen" });
  const save = el_("button", { text: "Save sponsors", "data-testid": "shopify-save" });
  let chosen = [];  // [{id, title}] in display order
  root.append(el_("h3", { text: "Shopify stores" }), connect, stores,
              el_("h3", { text: "Sponsor products" }), search, grid,
              el_("h4", { text: "This event's sponsors, in the order the ads show them" }), chosenList, save, note);

  const drawChosen = () => {
    chosenList.replaceChildren(...chosen.map((c, i) => el_("li", {}, el_("span", { text: c.title }), el_("button", {
      text: "Remove", class: "small", on: { click: () => { chosen.splice(i, 1); drawChosen(); drawGrid(lastProducts); } } }))));
    if (!chosen.length) chosenList.append(el_("li", { class: "empty", text: "none picked yet" }));
  };
  let lastProducts = [];
  const drawGrid = (products) => {
    lastProducts = products;
    grid.replaceChildren();
    if (!products.length) grid.append(el_("p", { text: "No products yet: connect a store or import a CSV." }));
    for (const p of products) {
      const picked = chosen.some((c) => c.id === p.id);
      const price = p.price_max && p.price_max !== p.price ? `${money(p.price, p.currency)} – ${money(p.price_max, p.currency)}`
                                                           : money(p.price, p.currency);
      const card = el_("button", { class: "card" + (picked ? " picked" : ""), "data-testid": "shopify-product",
                                   "aria-pressed": String(picked), on: { click: () => {
        const at = chosen.findIndex((c) => c.id === p.id);
        if (at >= 0) chosen.splice(at, 1); else chosen.push({ id: p.id, title: p.title });
        drawChosen(); drawGrid(lastProducts);
      } } },
        p.image ? el_("img", { src: p.image, alt: p.title, loading: "lazy" }) : el_("div", { class: "noimg", text: "no image" }),
        el_("span", { class: "title", text: p.title }), el_("span", { class: "price", text: price }),
        el_("span", { class: "shop", text: p.shop || "CSV import" }));
      grid.append(card);
    }
  };
  const loadProducts = async () => {
    try {
      const q = new URLSearchParams({ q: search.value, limit: "60" });
      if (event) q.set("event", event);
      const data = await call(api, "GET", `/products?${q}`);
      if (!chosenLoaded) { chosen = data.chosen.map((id, i) => ({ id, title: data.chosen_titles[i] })); chosenLoaded = true; drawChosen(); }
      drawGrid(data.products);
    } catch (e) { note.textContent = `Products: ${e.message}; trying again…`; setTimeout(loadProducts, 3000); }
  };
  let chosenLoaded = false;
  let timer = null;
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(loadProducts, 250); });
  save.addEventListener("click", async () => {
    if (!event) { note.textContent = "Pick an event first."; return; }
    try {
      const r = await call(api, "PUT", `/events/${encodeURIComponent(event)}/sponsors`, { product_ids: chosen.map((c) => c.id) });
      note.textContent = `Saved ${r.product_ids.length} sponsor product(s). They appear in the next render, in this order.`;
      model.set("saved", r.product_ids); model.save_changes();
    } catch (e) { note.textContent = `Not saved: ${e.message}`; }
  });

  let syncing = false;
  const loadStores = async () => {
    let data;
    try { data = await call(api, "GET", "/stores"); }
    catch (e) {
      stores.replaceChildren(el_("p", { text: `Stores cannot be listed (${e.message}); the organizer app must be opened through anchor serve. Trying again…` }));
      setTimeout(loadStores, 3000);
      return;
    }
    stores.replaceChildren();
    if (!data.stores.length) stores.append(el_("p", { text: "No store connected yet." }));
    const active = [];
    for (const s of data.stores) {
      const job = s.job && (s.job.status === "queued" || s.job.status === "running") ? s.job : null;
      if (job) active.push(s);
      const when = s.last_sync_at ? `last sync ${new Date(s.last_sync_at + "Z").toLocaleString()}` : "never synced";
      const row = el_("div", { class: `store ${s.state}`, "data-testid": "shopify-store", "data-state": s.state },
        el_("strong", { text: s.shop }), el_("span", { class: "badge", text: STATE[s.state] || s.state }),
        el_("span", { text: `${s.products} products · ${when}` }));
      if (job) {
        row.append(el_("progress", { max: "1", value: String(job.progress || 0) }),
                   el_("span", { class: "msg", text: job.message || job.status }));
      } else if (s.message) row.append(el_("span", { class: "msg", text: s.message }));
      if (s.state === "active" && !job) row.append(el_("button", { text: "Sync now", class: "small", on: { click: async () => {
        try { await call(api, "POST", `/stores/${encodeURIComponent(s.id)}/sync`, {}); loadStores(); }
        catch (e) { note.textContent = e.message; } } } }));
      if (s.state !== "active" && s.reason) row.append(el_("span", { class: "msg", text: `${s.reason}: connect it again above.` }));
      stores.append(row);
    }
    if (syncing && !active.length) loadProducts();  // a sync just finished: show its products
    syncing = active.length > 0;
    setTimeout(loadStores, syncing ? 1500 : 10000);
  };
  loadStores();
  loadProducts();
}
export default { render };
"""

_CSS = """
.anchor-shopify { font: inherit; }
.anchor-shopify .row { display: flex; gap: .5em; margin: .4em 0; }
.anchor-shopify input[type=text], .anchor-shopify input[type=search] { padding: .35em .5em; min-width: 18em; }
.anchor-shopify button { cursor: pointer; font: inherit; }
.anchor-shopify button:not(.card) { border: 1px solid #bbb; border-radius: .4em; padding: .3em .8em; background: #f6f6f6; }
.anchor-shopify button:not(.card):hover { background: #ececec; }
.anchor-shopify input { border: 1px solid #bbb; border-radius: .4em; font: inherit; }
.anchor-shopify .store { display: flex; flex-wrap: wrap; gap: .6em; align-items: center; padding: .3em 0; }
.anchor-shopify .badge { padding: 0 .5em; border-radius: 1em; background: #e6f4ea; }
.anchor-shopify .store.reauth_required .badge, .anchor-shopify .store.uninstalled .badge { background: #fde7e7; }
.anchor-shopify .msg { color: #555; }
.anchor-shopify .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(9em, 1fr)); gap: .6em; margin: .6em 0; }
.anchor-shopify .card { display: flex; flex-direction: column; align-items: stretch; text-align: left; padding: .4em;
  border: 2px solid #ddd; border-radius: .5em; background: white; }
.anchor-shopify .card.picked { border-color: #2a7; background: #f1fbf5; }
.anchor-shopify .card img, .anchor-shopify .card .noimg { width: 100%; aspect-ratio: 1; object-fit: cover; background: #eee; }
.anchor-shopify .card .noimg { display: flex; align-items: center; justify-content: center; color: #777; }
.anchor-shopify .title { font-weight: 600; overflow-wrap: anywhere; }
.anchor-shopify .shop, .anchor-shopify .price { color: #555; font-size: .9em; }
.anchor-shopify .chosen .empty { color: #777; list-style: none; }
.anchor-shopify .small { font-size: .85em; margin-left: .5em; padding: .1em .5em !important; }
.anchor-shopify .note { font-weight: 600; }
"""


class ShopifyPanel(anywidget.AnyWidget):  # type: ignore[misc]
    _esm = _ESM
    _css = _CSS

    api = traitlets.Unicode(API).tag(sync=True)
    event_id = traitlets.Unicode("").tag(sync=True)
    missing = traitlets.List(traitlets.Unicode(), default_value=[]).tag(sync=True)
    saved = traitlets.List(traitlets.Unicode(), default_value=[]).tag(sync=True)  # written by the browser


def shopify_panel(settings: Settings, event_id: str | None) -> Any:
    """The panel for the organizer app (a marimo anywidget)."""
    import marimo as mo

    return mo.ui.anywidget(ShopifyPanel(event_id=event_id or "", missing=missing_settings(settings)))
