// keywise demo page: vanilla JS, no build step. Text stays in this page's memory; it is sent
// only to the local server (same origin) and never stored by the page.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const note = $("note");
  const CONTEXT = 1500; // characters before the cursor sent per request (the engine needs less)
  const SEP = /^[\s.,;:!?]$/;
  const SENTENCE_END = /[.!?\n]/;
  const WORD_CH = /[\p{L}\p{N}'’]/u;

  const state = {
    caps: {},
    centres: new Map(), // lower-case label -> {x, y} in layout units
    box: null, // layout bounds {minX, minY, spanX, spanY}
    keys: [],
    incognito: false,
    noLearnBefore: 0, // text typed before this index was typed in incognito
    seq: 0,
    shown: 0,
    suggestions: [],
    word: { start: -1, chars: "", taps: [] }, // the word at the cursor and one tap per letter
    pendingTap: null,
    shift: false,
    lastCorrection: null,
    autoSpace: -1, // where accept() put a space, until the next edit
  };
  // Read by the e2e test; numbers only.
  const latencies = [];
  window.keywiseDemo = { latencies, ready: false };

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(path, body) {
    const opts = { credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      opts.method = "POST";
      opts.headers = { "content-type": "application/json" };
      opts.body = JSON.stringify(body);
    }
    const r = await fetch(path, opts);
    const data = await r.json().catch(() => ({ error: "unreadable answer" }));
    if (!r.ok) throw new ApiError(r.status, data.error || "request failed");
    return data;
  }

  // Per-keystroke calls go over one WebSocket (a fetch per key costs the browser several ms
  // more); everything else, and these too while the socket is down, use fetch.
  const sock = { ws: null, pending: new Map(), nextId: 1, retryMs: 500 };

  function connectSocket() {
    return new Promise((resolve) => {
      let ws;
      try {
        ws = new WebSocket(`ws://${location.host}/api/ws`);
      } catch (e) {
        return resolve(false);
      }
      ws.onopen = () => {
        sock.ws = ws;
        sock.retryMs = 500;
        resolve(true);
      };
      ws.onmessage = (e) => {
        let m;
        try {
          m = JSON.parse(e.data);
        } catch (err) {
          return;
        }
        const p = sock.pending.get(m.id);
        if (!p) return;
        sock.pending.delete(m.id);
        if (m.status === 200) p.resolve(m);
        else p.reject(new ApiError(m.status, m.error || "request failed"));
      };
      ws.onclose = () => {
        if (sock.ws === ws) sock.ws = null;
        for (const p of sock.pending.values()) p.reject(new ApiError(0, "connection closed"));
        sock.pending.clear();
        resolve(false);
        setTimeout(connectSocket, sock.retryMs);
        sock.retryMs = Math.min(sock.retryMs * 2, 10000);
      };
    });
  }

  function keyCall(op, body) {
    const ws = sock.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return api(`/api/${op}`, body);
    const id = sock.nextId++;
    return new Promise((resolve, reject) => {
      sock.pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ ...body, id, op }));
    });
  }

  function showError(what, e) {
    const el = $("error") || document.createElement("p");
    el.id = "error";
    el.className = "error";
    el.textContent = `${what} failed: ${e && e.message ? e.message : "error"}`;
    if (!el.isConnected) $("notices").before(el);
    clearTimeout(showError.timer);
    showError.timer = setTimeout(() => el.remove(), 4000);
  }

  // ------------------------------------------------------------ words and taps

  function wordBefore(value, pos) {
    let s = pos;
    while (s > 0 && WORD_CH.test(value[s - 1])) s--;
    return { start: s, word: value.slice(s, pos) };
  }

  function centreTap(ch) {
    const c = state.centres.get(ch.toLowerCase());
    return c ? { x: c.x, y: c.y, real: false } : null;
  }

  function tapFor(ch) {
    const p = state.pendingTap;
    if (p && p.ch.toLowerCase() === ch.toLowerCase()) {
      state.pendingTap = null;
      return { x: p.x, y: p.y, real: true };
    }
    return centreTap(ch); // typed on the physical keyboard: a precise tap on that key
  }

  // Keep state.word aligned with the word before the cursor, one tap per letter.
  function syncTaps() {
    const pos = note.selectionStart;
    if (note.selectionEnd !== pos) {
      state.word = { start: -1, chars: "", taps: [] };
      return;
    }
    const { start, word } = wordBefore(note.value, pos);
    const w = state.word;
    if (w.start === start && word.startsWith(w.chars)) {
      for (let i = w.chars.length; i < word.length; i++) w.taps.push(tapFor(word[i]));
      w.chars = word;
    } else if (w.start === start && w.chars.startsWith(word)) {
      w.taps.length = word.length;
      w.chars = word;
    } else {
      state.word = { start, chars: word, taps: Array.from(word, (_, i) => centreTap(word[i])) };
    }
    state.pendingTap = null;
  }

  function tapsOf(w) {
    const t = w.taps;
    if (!state.caps.taps || !t.length || t.length !== w.chars.length) return null;
    if (t.some((v) => v === null) || !t.some((v) => v.real)) return null;
    return t.map((v) => [v.x, v.y]);
  }

  // ------------------------------------------------------------ suggestions

  function recordLatency(ms, serverUs) {
    latencies.push(ms);
    const recent = latencies.slice(-500).sort((a, b) => a - b);
    const q = (p) => recent[Math.min(recent.length - 1, Math.floor(p * recent.length))];
    $("latency").textContent =
      `keystroke → suggestions ${ms.toFixed(1)} ms · p50 ${q(0.5).toFixed(1)} · ` +
      `p99 ${q(0.99).toFixed(1)} (n=${latencies.length}) · server ${(serverUs / 1000).toFixed(1)} ms`;
  }

  function render(list) {
    state.suggestions = list;
    document.querySelectorAll("#strip .sugg").forEach((b, i) => {
      const s = list[i];
      b.textContent = s ? s.text : "";
      b.disabled = !s;
      b.dataset.kind = s ? s.kind : "";
      b.classList.toggle("guarded", !!(s && s.guarded));
      b.title = s && s.guarded ? "Dose or drug change: offered, not applied. Check before use." : "";
    });
  }

  function requestSuggestions() {
    const seq = ++state.seq;
    const t0 = performance.now();
    const pos = note.selectionStart;
    const text = note.value.slice(Math.max(0, pos - CONTEXT), pos);
    keyCall("suggest", { text, taps: tapsOf(state.word) })
      .then((r) => {
        if (seq < state.shown) return; // a newer answer is already on screen
        state.shown = seq;
        render(r.suggestions);
        recordLatency(performance.now() - t0, r.server_us);
      })
      .catch((e) => showError("suggestions", e));
  }

  function accept(i) {
    const s = state.suggestions[i];
    if (!s) return;
    const pos = note.selectionStart;
    if (s.kind === "next") {
      const pre = pos > 0 && !/\s/.test(note.value[pos - 1]) ? " " : "";
      note.setRangeText(pre + s.text + " ", pos, note.selectionEnd, "end");
    } else {
      const { start } = wordBefore(note.value, pos);
      note.setRangeText(s.text + " ", start, note.selectionEnd, "end");
    }
    clearNotice("correction");
    state.lastCorrection = null;
    state.autoSpace = note.selectionStart; // punctuation typed next goes before this space
    syncTaps();
    requestSuggestions();
  }

  // ------------------------------------------------------------ autocorrect and undo

  function clearNotice(kind) {
    document.querySelectorAll(`#notices .notice-${kind}`).forEach((n) => n.remove());
  }

  function notice(kind, parts, actions) {
    clearNotice(kind);
    const el = document.createElement("p");
    el.className = `notice notice-${kind}`;
    for (const [cls, text] of parts) {
      const span = document.createElement("span");
      if (cls) span.className = cls;
      span.textContent = text; // never innerHTML: this is what the user typed
      el.append(span);
    }
    for (const [label, fn] of actions) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.addEventListener("pointerdown", (e) => e.preventDefault()); // keep the editor focused
      b.addEventListener("click", () => {
        fn();
        note.focus();
      });
      el.append(b);
    }
    $("notices").append(el);
  }

  function replaceRange(start, end, text) {
    note.setRangeText(text, start, end, "preserve");
    syncTaps();
  }

  function undoCorrection(dropSeparator) {
    const c = state.lastCorrection;
    state.lastCorrection = null;
    clearNotice("correction");
    if (!c) return false;
    const end = c.start + c.replacement.length;
    if (note.value.slice(c.start, end) !== c.replacement) return false;
    if (dropSeparator) {
      note.setRangeText(c.typed, c.start, end + 1, "end");
      syncTaps();
    } else {
      replaceRange(c.start, end, c.typed);
    }
    api("/api/reject", { typed: c.typed, replacement: c.replacement }).catch((e) =>
      showError("undo", e)
    );
    requestSuggestions();
    return true;
  }

  // Backspace right after an autocorrection reverts it, as on a phone.
  function backspaceUndo() {
    const c = state.lastCorrection;
    const pos = note.selectionStart;
    if (!c || pos !== note.selectionEnd) return false;
    return pos === c.start + c.replacement.length + 1 && undoCorrection(true);
  }

  async function autocorrectAt(sepPos, prev) {
    if (!state.caps.autocorrect) return;
    const { start, word } = wordBefore(note.value, sepPos);
    if (!word || !/\p{L}/u.test(word)) return;
    const taps = prev.start === start && prev.chars === word ? tapsOf(prev) : null;
    const text = note.value.slice(Math.max(0, sepPos - CONTEXT), sepPos);
    let r;
    try {
      r = await keyCall("autocorrect", { text, taps });
    } catch (e) {
      if (e.status === 501) state.caps.autocorrect = false;
      showError("autocorrect", e);
      return;
    }
    if (r.action === "none" || !r.suggestion) return;
    if (note.value.slice(start, sepPos) !== word) return; // the user has changed it meanwhile
    const repl = r.suggestion.text;
    if (r.action === "offered") {
      const why = r.suggestion.guard ? ` (${r.suggestion.guard} change)` : "";
      notice(
        "guarded",
        [["tag", `Offered, not applied${why}:`], ["typed", word], ["", "→"], ["repl", repl]],
        [
          ["Apply", () => {
            if (note.value.slice(start, start + word.length) === word) {
              replaceRange(start, start + word.length, repl);
              requestSuggestions();
            }
            clearNotice("guarded");
          }],
          ["Dismiss", () => clearNotice("guarded")],
        ]
      );
      return;
    }
    replaceRange(start, sepPos, repl);
    state.lastCorrection = { start, typed: word, replacement: repl };
    notice(
      "correction",
      [["tag", "Corrected:"], ["typed", word], ["", "→"], ["repl", repl]],
      [["Undo", () => undoCorrection(false)]]
    );
    requestSuggestions();
  }

  // ------------------------------------------------------------ learning

  function learnSentenceEndingAt(pos) {
    const before = note.value.slice(0, pos - 1);
    let start = 0;
    for (let i = before.length - 1; i >= 0; i--) {
      if (SENTENCE_END.test(before[i])) {
        start = i + 1;
        break;
      }
    }
    start = Math.max(start, state.noLearnBefore);
    const text = note.value.slice(start, pos);
    if (state.incognito || !state.caps.learn || !text.trim()) return;
    api("/api/learn", { text })
      .then((r) => r.learned && refreshWords())
      .catch((e) => showError("learning", e));
  }

  // ------------------------------------------------------------ edits

  async function afterEdit(type, data) {
    const prev = state.word;
    const autoSpace = state.autoSpace;
    state.autoSpace = -1;
    let pos = note.selectionStart;
    const punct = type === "insertText" && data && /^[.,;:!?]$/.test(data);
    if (punct && autoSpace === pos - 1 && note.value.slice(pos - 2, pos) === " " + data) {
      // "chest |" + "." -> "chest. |", as a phone does after a picked suggestion.
      note.setRangeText(data + " ", pos - 2, pos, "end");
      syncTaps();
      requestSuggestions();
      if (SENTENCE_END.test(data)) learnSentenceEndingAt(note.selectionStart - 1);
      return;
    }
    syncTaps();
    requestSuggestions();
    const isSep = (type === "insertText" && data && SEP.test(data)) || type === "insertLineBreak";
    if (!isSep) return;
    pos = note.selectionStart;
    await autocorrectAt(pos - 1, prev);
    if (SENTENCE_END.test(type === "insertLineBreak" ? "\n" : data)) {
      learnSentenceEndingAt(note.selectionStart);
    }
  }

  function insert(text) {
    note.setRangeText(text, note.selectionStart, note.selectionEnd, "end");
  }

  function typeKey(label, tap) {
    const ch = state.shift ? label.toUpperCase() : label;
    if (state.shift) setShift(false);
    state.pendingTap = tap ? { ch, x: tap.x, y: tap.y } : null;
    insert(ch);
    afterEdit("insertText", ch);
  }

  function control(ctl) {
    if (ctl === "shift") return setShift(!state.shift);
    if (ctl === "backspace") {
      if (backspaceUndo()) return;
      const s = note.selectionStart;
      const e = note.selectionEnd;
      if (s === e && s > 0) note.setRangeText("", s - 1, s, "end");
      else if (s !== e) note.setRangeText("", s, e, "end");
      return afterEdit("deleteContentBackward", null);
    }
    if (ctl === "enter") {
      insert("\n");
      return afterEdit("insertLineBreak", null);
    }
    insert(ctl);
    afterEdit("insertText", ctl);
  }

  function setShift(on) {
    state.shift = on;
    document.querySelector('[data-ctl="shift"]').classList.toggle("on", on);
  }

  // ------------------------------------------------------------ on-screen keyboard

  function drawKeyboard(layout) {
    const keysEl = $("keys");
    keysEl.textContent = "";
    const ks = layout.keys;
    const minX = Math.min(...ks.map((k) => k.x - k.w / 2));
    const minY = Math.min(...ks.map((k) => k.y - k.h / 2));
    const spanX = Math.max(...ks.map((k) => k.x + k.w / 2)) - minX;
    const spanY = Math.max(...ks.map((k) => k.y + k.h / 2)) - minY;
    state.box = { minX, minY, spanX, spanY };
    state.keys = ks;
    keysEl.style.aspectRatio = `${spanX} / ${spanY}`;
    for (const k of ks) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "key";
      b.textContent = k.label;
      b.dataset.label = k.label;
      b.tabIndex = -1;
      b.style.left = `${((k.x - k.w / 2 - minX) / spanX) * 100}%`;
      b.style.top = `${((k.y - k.h / 2 - minY) / spanY) * 100}%`;
      b.style.width = `${(k.w / spanX) * 100}%`;
      b.style.height = `${(k.h / spanY) * 100}%`;
      keysEl.append(b);
      state.centres.set(k.label.toLowerCase(), { x: k.x, y: k.y });
    }
  }

  // A tap in layout units, and the key it lands on (inside a key, else the nearest centre).
  function tapAt(clientX, clientY) {
    const r = $("keys").getBoundingClientRect();
    const { minX, minY, spanX, spanY } = state.box;
    const x = minX + ((clientX - r.left) / r.width) * spanX;
    const y = minY + ((clientY - r.top) / r.height) * spanY;
    let best = null;
    let bestD = Infinity;
    for (const k of state.keys) {
      const dx = (x - k.x) / k.w;
      const dy = (y - k.y) / k.h;
      const inside = Math.abs(dx) <= 0.5 && Math.abs(dy) <= 0.5;
      const d = inside ? -1 : dx * dx + dy * dy;
      if (d < bestD) {
        best = k;
        bestD = d;
      }
    }
    return { x, y, key: best };
  }

  function wireKeyboard() {
    const keysEl = $("keys");
    keysEl.addEventListener("pointerdown", (e) => {
      e.preventDefault(); // keep focus (and the cursor) in the note
      if (document.activeElement !== note) note.focus();
      const t = tapAt(e.clientX, e.clientY);
      if (t.key) typeKey(t.key.label, t);
    });
    // Keyboard activation of a focused key button (no pointer): a precise tap at its centre.
    keysEl.addEventListener("click", (e) => {
      const b = e.target.closest(".key");
      if (e.detail === 0 && b) typeKey(b.dataset.label, centreTap(b.dataset.label));
    });
    document.querySelectorAll("#controls .key").forEach((b) => {
      b.addEventListener("pointerdown", (e) => {
        e.preventDefault();
        if (document.activeElement !== note) note.focus();
        control(b.dataset.ctl);
      });
      b.addEventListener("click", (e) => e.detail === 0 && control(b.dataset.ctl));
    });
  }

  // ------------------------------------------------------------ learned words

  async function refreshWords(data) {
    let r = data;
    if (!r) {
      try {
        r = await api("/api/words");
      } catch (e) {
        return showError("learned words", e);
      }
    }
    const list = $("word-list");
    list.textContent = "";
    if (r.available === false) {
      $("words-hint").textContent = "This build has no encrypted word store yet: nothing is kept.";
      $("add-word").querySelectorAll("input, button").forEach((el) => (el.disabled = true));
      $("export").hidden = true;
      $("wipe").hidden = true;
      return;
    }
    const entries = Object.entries(r.words);
    for (const [w, count] of entries) {
      const li = document.createElement("li");
      const span = document.createElement("span");
      span.className = "w";
      span.textContent = w;
      li.append(span);
      if (typeof count === "number") {
        const c = document.createElement("span");
        c.className = "count";
        c.textContent = Number.isInteger(count) ? String(count) : count.toFixed(1);
        li.append(c);
      }
      const rm = document.createElement("button");
      rm.type = "button";
      rm.className = "remove";
      rm.textContent = "×";
      rm.setAttribute("aria-label", "Remove word");
      rm.addEventListener("click", () =>
        api("/api/words/remove", { word: w })
          .then((d) => refreshWords({ ...d, available: true }))
          .catch((e) => showError("removing", e))
      );
      li.append(rm);
      list.append(li);
    }
    $("words-hint").textContent = entries.length
      ? `${entries.length} word${entries.length === 1 ? "" : "s"}, kept encrypted on this machine.`
      : "No learned words yet. Kept encrypted on this machine.";
  }

  // ------------------------------------------------------------ start

  function showDegraded(caps, source) {
    const lines = [];
    if (source !== "engine") lines.push("Keyboard: built-in QWERTY (no engine layout yet), taps not decoded.");
    else if (!caps.taps) lines.push("Tap decoding: not in this engine yet; on-screen keys type plain letters.");
    if (!caps.autocorrect) lines.push("Autocorrect: not in this engine yet.");
    if (!caps.learn) lines.push("Learning: not in this engine yet.");
    if (!caps.store) lines.push("Learned words: no encrypted store in this build; nothing is kept.");
    if (!caps.engine_incognito) lines.push("Incognito is enforced by the demo (the engine has none yet).");
    const el = $("degraded");
    el.textContent = lines.join(" ");
    el.hidden = !lines.length;
  }

  async function start() {
    const [status, lay] = await Promise.all([api("/api/status"), api("/api/layout"),
      Promise.race([connectSocket(), new Promise((r) => setTimeout(r, 2000))])]);
    state.caps = status.caps;
    state.incognito = status.incognito;
    $("incognito").checked = status.incognito;
    $("incognito-note").hidden = !status.incognito;
    document.body.classList.toggle("incognito", status.incognito);
    document.body.dataset.layout = lay.source;
    showDegraded(status.caps, lay.source);
    drawKeyboard(lay.layout);
    wireKeyboard();

    note.addEventListener("beforeinput", (e) => {
      if (e.inputType === "deleteContentBackward" && backspaceUndo()) e.preventDefault();
    });
    note.addEventListener("input", (e) => afterEdit(e.inputType, e.data));
    const moved = () => {
      syncTaps();
      requestSuggestions();
    };
    note.addEventListener("keyup", (e) => e.key.startsWith("Arrow") || e.key === "Home" || e.key === "End" ? moved() : 0);
    note.addEventListener("mouseup", moved);

    document.querySelectorAll("#strip .sugg").forEach((b) => {
      b.addEventListener("pointerdown", (e) => e.preventDefault());
      b.addEventListener("click", () => {
        accept(Number(b.dataset.i));
        note.focus();
      });
    });

    $("incognito").addEventListener("change", async (e) => {
      const on = e.target.checked;
      note.focus(); // keys typed right after the click go to the note, not the switch
      if (on) state.incognito = true; // fail safe: stop learning before the server knows
      try {
        await api("/api/incognito", { on });
      } catch (err) {
        e.target.checked = !on;
        state.incognito = !on;
        return showError("incognito", err);
      }
      state.incognito = on;
      // Whatever was typed up to now stays out of learning once incognito ends.
      state.noLearnBefore = note.value.length;
      $("incognito-note").hidden = !on;
      document.body.classList.toggle("incognito", on);
      note.focus(); // back to the note, cursor where it was
    });

    $("wipe").addEventListener("click", () => {
      if (!window.confirm("Forget every learned word and shortcut? This cannot be undone.")) return;
      api("/api/words/wipe", { confirm: true })
        .then((d) => refreshWords({ ...d, available: true }))
        .catch((err) => showError("forgetting", err));
    });

    $("add-word").addEventListener("submit", (e) => {
      e.preventDefault();
      const input = $("new-word");
      const word = input.value.trim();
      if (!word) return;
      api("/api/words/add", { word })
        .then((d) => {
          input.value = "";
          refreshWords({ ...d, available: true });
        })
        .catch((err) => showError("adding", err));
    });

    await refreshWords();
    requestSuggestions();
    note.focus();
    window.keywiseDemo.ready = true;
  }

  start().catch((e) => showError("starting", e));
})();
