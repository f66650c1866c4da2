// Shared helpers: the "who are you" box, authenticated fetch, HTML escaping, a toast.
"use strict";
const OS = (() => {
  const USER = "ordersight.user";
  const KEY = "ordersight.key";

  function headers(extra) {
    const h = Object.assign({}, extra || {});
    const user = localStorage.getItem(USER);
    const key = localStorage.getItem(KEY);
    if (user) h["X-User"] = encodeURIComponent(user);  // headers are Latin-1; names are not
    if (key) h["X-API-Key"] = key;
    return h;
  }

  // fetch with the user's name and key; a failure is shown in the toast (unless `silent`, for
  // background polls) and thrown with its HTTP `status`
  async function api(path, options) {
    const { silent, ...opts } = Object.assign({}, options || {});
    opts.headers = headers(opts.body ? { "Content-Type": "application/json" } : {});
    if (opts.body && typeof opts.body !== "string") opts.body = JSON.stringify(opts.body);
    const res = await fetch(path, opts);
    if (!res.ok) {
      let message = res.status + " " + res.statusText;
      try { message = (await res.json()).error.message || message; } catch (e) { /* not JSON */ }
      if (!silent) toast(message, true);
      throw Object.assign(new Error(message), { status: res.status });
    }
    const type = res.headers.get("content-type") || "";
    return type.includes("application/json") ? res.json() : res.text();
  }

  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, (c) => (
      { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  let timer = null;
  function toast(message, isError) {
    const el = document.getElementById("toast");
    el.textContent = message;
    el.className = "show" + (isError ? " error" : "");
    clearTimeout(timer);
    timer = setTimeout(() => { el.className = ""; }, 3500);
  }

  function fmt(n, digits) {
    return Number(n).toLocaleString("en-US", { maximumFractionDigits: digits == null ? 0 : digits });
  }

  function when(iso) {
    return new Date(iso).toLocaleString("zh-CN", { hour12: false, year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }

  function initWho() {
    const form = document.getElementById("who");
    const user = document.getElementById("who-user");
    const key = document.getElementById("who-key");
    const status = document.getElementById("who-status");
    user.value = localStorage.getItem(USER) || "";
    key.value = localStorage.getItem(KEY) || "";
    const show = () => { status.textContent = user.value ? "acting as " + user.value : ""; };
    show();
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      for (const [name, el] of [[USER, user], [KEY, key]]) {
        if (el.value.trim()) localStorage.setItem(name, el.value.trim());
        else localStorage.removeItem(name);
      }
      show();
      document.dispatchEvent(new Event("os:who"));
      toast("Saved: your actions are recorded under " + (user.value || "your API key"));
    });
  }

  // For event handlers: the failure was already shown in the toast.
  const quiet = (promise) => promise.catch(() => {});

  document.addEventListener("DOMContentLoaded", initWho);
  return { api, esc, toast, fmt, quiet, when };
})();
