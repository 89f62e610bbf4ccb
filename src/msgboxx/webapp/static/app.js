// The web inbox's own script: times in the browser's zone, the window's countdown,
// the composer, the template preview, canned replies and live updates.
// Data only ever goes into the page as text (textContent) or as server-escaped
// fragments parsed with DOMParser; never through innerHTML.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

function localTimes(root) {
  for (const el of root.querySelectorAll("time.local")) {
    const when = new Date(el.getAttribute("datetime"));
    if (!isNaN(when)) {
      el.textContent = when.toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
      el.title = when.toString();
    }
  }
}

function countdowns() {
  for (const el of document.querySelectorAll(".countdown[data-closes-at]")) {
    const left = new Date(el.dataset.closesAt) - Date.now();
    if (left <= 0) {
      el.textContent = "0m";
      continue;
    }
    const h = Math.floor(left / 3600000);
    const m = Math.floor((left % 3600000) / 60000);
    const s = Math.floor((left % 60000) / 1000);
    el.textContent = h > 0 ? `${h}h ${m}m` : `${m}m ${s}s`;
  }
}

async function fetchFragment(url) {
  const reply = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
  if (reply.redirected && new URL(reply.url).pathname.startsWith("/app/login")) {
    window.location.assign(reply.url);
    return null;
  }
  if (!reply.ok) return null;
  return new DOMParser().parseFromString(await reply.text(), "text/html").body;
}

async function refresh(container) {
  const body = await fetchFragment(container.dataset.url);
  if (!body) return;
  const before = container.querySelector("[data-window-open]")?.dataset.windowOpen;
  container.replaceChildren(...body.childNodes);
  localTimes(container);
  countdowns();
  const after = container.querySelector("[data-window-open]")?.dataset.windowOpen;
  if (container.id === "thread") {
    scrollThread();
    const text = document.getElementById("text");
    if (before !== after && !(text && text.value)) window.location.reload();
  }
}

function scrollThread() {
  const items = document.getElementById("thread-items");
  if (items) items.lastElementChild?.scrollIntoView({ block: "end" });
}

function showError(message) {
  const el = document.getElementById("action-error");
  if (!el) return;
  el.textContent = message;
  el.hidden = !message;
}

async function post(form) {
  const reply = await fetch(form.action, {
    method: "POST",
    body: new URLSearchParams(new FormData(form)),
    headers: { Accept: "application/json", "X-CSRF-Token": csrf() },
    credentials: "same-origin",
  });
  if (reply.ok) return true;
  let detail = `The server answered ${reply.status}.`;
  try {
    detail = (await reply.json()).detail || detail;
  } catch (_) {}
  showError(detail);
  return false;
}

function composer() {
  const form = document.getElementById("composer");
  if (!form) return;
  const text = form.querySelector("textarea");
  const counter = document.getElementById("counter");
  const count = () => {
    counter.textContent = `${text.value.length.toLocaleString("en")} / 4,096`;
    counter.classList.toggle("over", text.value.length > 4096);
  };
  text.addEventListener("input", count);
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !cannedOpen()) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!text.value.trim()) return;
    showError("");
    if (await post(form)) {
      text.value = "";
      count();
      await refresh(document.getElementById("thread"));
    }
    text.focus();
  });
  canned(text, count);
}

// Canned replies: "/" at the start of the composer lists them; Enter or a click inserts one.
let cannedOpen = () => false;

function canned(text, count) {
  const list = document.getElementById("canned");
  if (!list) return;
  const replies = [...list.querySelectorAll("li")];
  cannedOpen = () => !list.hidden && replies.some((li) => !li.hidden);
  const insert = (li) => {
    text.value = li.dataset.body;
    list.hidden = true;
    count();
    text.focus();
  };
  const filter = () => {
    const m = /^\/(\S*)$/.exec(text.value);
    list.hidden = !m;
    if (!m) return;
    let first = true;
    for (const li of replies) {
      li.hidden = !li.dataset.shortcut.startsWith(m[1]);
      li.classList.toggle("chosen", !li.hidden && first);
      if (!li.hidden) first = false;
    }
  };
  text.addEventListener("input", filter);
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && cannedOpen()) {
      event.preventDefault();
      insert(list.querySelector("li.chosen") || replies.find((li) => !li.hidden));
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && cannedOpen()) {
      event.preventDefault();
      const shown = replies.filter((li) => !li.hidden);
      const at = shown.findIndex((li) => li.classList.contains("chosen"));
      const next = (at + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
      shown.forEach((li, i) => li.classList.toggle("chosen", i === next));
      shown[next].setAttribute("aria-selected", "true");
    } else if (event.key === "Escape") {
      list.hidden = true;
    }
  });
  for (const li of replies) {
    li.addEventListener("click", () => insert(li));
    li.addEventListener("keydown", (e) => e.key === "Enter" && insert(li));
  }
}

function templatePicker() {
  const form = document.getElementById("template-picker");
  const select = document.getElementById("template");
  if (!form || !select) return;
  const preview = document.getElementById("preview");
  const update = () => {
    const chosen = select.value;
    let text = select.selectedOptions[0].dataset.text;
    for (const set of form.querySelectorAll("fieldset[data-template]")) {
      const on = set.dataset.template === chosen;
      set.disabled = !on;
      set.hidden = !on;
      if (!on) continue;
      for (const input of set.querySelectorAll("input[data-placeholder]")) {
        const n = input.dataset.placeholder;
        const value = input.value || `{{${n}}}`;
        text = text.replace(new RegExp(`\\{\\{\\s*${n}\\s*\\}\\}`, "g"), () => value);
      }
    }
    preview.textContent = text;
  };
  select.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
}

function live() {
  const thread = document.getElementById("thread");
  const list = document.getElementById("conversations");
  // Other parts re-fetched on changes whose kind starts with their data-live-refresh.
  const others = [...document.querySelectorAll("[data-live-refresh]")];
  const source = document.body.dataset.live;
  if (!source || (!thread && !list && !others.length)) return;
  const contact = document.querySelector(".conversation")?.dataset.contactId;
  let pending = new Set();
  let timer = null;
  const flush = () => {
    timer = null;
    for (const el of pending) refresh(el);
    pending = new Set();
  };
  const later = (el) => {
    pending.add(el);
    if (!timer) timer = setTimeout(flush, 30);
  };
  // At most one fetch per data-live-every milliseconds (a campaign's sends move often).
  const soon = (el) => {
    const every = Number(el.dataset.liveEvery || 0);
    if (!every) return later(el);
    if (el.dataset.liveDue) return;
    el.dataset.liveDue = "1";
    setTimeout(() => {
      delete el.dataset.liveDue;
      refresh(el);
    }, every);
  };
  const everything = () => {
    if (list) later(list);
    if (thread) later(thread);
    for (const el of others) later(el);
  };
  const changed = (event) => {
    let change = {};
    try {
      change = JSON.parse(event.data);
    } catch (_) {}
    if (list) later(list);
    if (thread && (!change.contactId || change.contactId === contact)) later(thread);
    const kind = change.kind || event.type;
    for (const el of others) {
      if (el.dataset.liveRefresh.split(" ").some((p) => kind.startsWith(p))) soon(el);
    }
  };
  let opened = false;
  let events = null;
  const connect = () => {
    events = new EventSource(source); // reconnects by itself after a lost connection
    events.addEventListener("open", () => {
      // Nothing is replayed on reconnect: fetch what the page shows afresh.
      if (opened) everything();
      opened = true;
      document.body.dataset.liveState = "open";
    });
    for (const kind of (document.body.dataset.liveKinds || "").split(" ")) {
      if (kind) events.addEventListener(kind, changed);
    }
    events.addEventListener("reset", () => {
      // The stream fell behind and ends: start a new one and fetch afresh.
      events.close();
      everything();
      setTimeout(connect, 200);
    });
    events.addEventListener("error", () => {
      document.body.dataset.liveState = "reconnecting";
    });
  };
  connect();
}

function markReadOnOpen() {
  const bar = document.getElementById("teamwork");
  if (!bar || bar.dataset.unread === "0") return;
  fetch(bar.dataset.readUrl, {
    method: "POST",
    headers: { Accept: "application/json", "X-CSRF-Token": csrf() },
    credentials: "same-origin",
  }).then((reply) => {
    if (!reply.ok) return;
    bar.dataset.unread = "0";
    bar.querySelector(`form[action="${bar.dataset.readUrl}"]`)?.remove();
  });
}

function notes() {
  const form = document.getElementById("note-form");
  if (!form) return;
  const body = form.querySelector("textarea");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!body.value.trim()) return;
    showError("");
    if (await post(form)) {
      body.value = "";
      await refresh(document.getElementById("thread"));
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  localTimes(document);
  countdowns();
  setInterval(countdowns, 1000);
  scrollThread();
  composer();
  templatePicker();
  notes();
  markReadOnOpen();
  live();
});
