// Anchor's browser uploader (an anywidget). Multi-GB camera files go straight from the disk to
// the store in parts: File.slice is lazy and XMLHttpRequest streams a Blob, so the page never
// holds a file in memory, and no byte passes through the notebook's kernel or websocket.
//
// Protocol (anchor_app/uploads_api.py): POST {api} begins or resumes an upload and says which
// parts the store already has; POST {api}/{id}/targets gives a URL to PUT each part to (a
// presigned S3 URL, or `anchor serve`'s own HMAC-signed one); POST {api}/{id}/complete has the
// server verify and ingest the object; DELETE {api}/{id} aborts it.
//
// A file picked again after a closed tab or a dropped connection resumes: the server matches it
// by name, size and last-modified, confirmed by the sha256 of its first 8 MiB.

const MiB = 1 << 20;
const HEAD_BYTES = 8 * MiB; // the first part for every file under 72 GiB
const HASH_CHUNK = 8 * MiB;
const TARGET_BATCH = 16; // part URLs asked for at once
const TARGET_MAX_AGE_MS = 20 * 60 * 1000; // URLs last an hour: ask again well before
const MAX_TRIES = 8;

// --- SHA-256, incremental (crypto.subtle is one-shot, and absent outside secure contexts) ---------

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

export class Sha256 {
  constructor() {
    this.h = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                             0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    this.w = new Int32Array(64);
    this.tail = new Uint8Array(64);
    this.tailLen = 0;
    this.length = 0;
  }

  update(data) {
    let i = 0;
    this.length += data.length;
    if (this.tailLen) {
      const take = Math.min(64 - this.tailLen, data.length);
      this.tail.set(data.subarray(0, take), this.tailLen);
      this.tailLen += take;
      i = take;
      if (this.tailLen < 64) return this;
      this.blocks(this.tail, 0, 64);
      this.tailLen = 0;
    }
    const whole = i + ((data.length - i) & ~63);
    this.blocks(data, i, whole);
    this.tail.set(data.subarray(whole), 0);
    this.tailLen = data.length - whole;
    return this;
  }

  blocks(d, start, end) {
    const w = this.w, h = this.h;
    let h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], h4 = h[4], h5 = h[5], h6 = h[6], h7 = h[7];
    for (let o = start; o < end; o += 64) {
      for (let t = 0; t < 16; t++) {
        const p = o + 4 * t;
        w[t] = (d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3];
      }
      for (let t = 16; t < 64; t++) {
        const a = w[t - 15], b = w[t - 2];
        const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
        const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
      }
      let a = h0, b = h1, c = h2, e = h4, f = h5, g = h6, hh = h7, dd = h3;
      for (let t = 0; t < 64; t++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const t1 = (hh + S1 + (g ^ (e & (f ^ g))) + K[t] + w[t]) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const t2 = (S0 + ((a & b) | (c & (a | b)))) | 0;
        hh = g; g = f; f = e; e = (dd + t1) | 0; dd = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + dd) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + hh) | 0;
    }
    h[0] = h0; h[1] = h1; h[2] = h2; h[3] = h3; h[4] = h4; h[5] = h5; h[6] = h6; h[7] = h7;
  }

  hex() {
    const n = this.length;
    const pad = new Uint8Array(((n + 9 + 63) & ~63) - n);
    pad[0] = 0x80;
    const view = new DataView(pad.buffer);
    view.setUint32(pad.length - 8, Math.floor(n / 0x20000000));
    view.setUint32(pad.length - 4, (n * 8) >>> 0);
    this.update(pad);
    return Array.from(this.h, (x) => (x >>> 0).toString(16).padStart(8, "0")).join("");
  }
}

// The whole-file hash runs in a worker (it reads the file itself), so hashing a 2.5 GB file
// never stalls the page; where a worker cannot start (a strict CSP), it runs here in chunks.
const WORKER_SRC = `const K = new Int32Array([${Array.from(K)}]);
${Sha256.toString()}
onmessage = async (e) => {
  const { file, chunk } = e.data;
  try {
    const h = new Sha256();
    for (let off = 0; off < file.size; off += chunk) h.update(new Uint8Array(await file.slice(off, off + chunk).arrayBuffer()));
    postMessage({ hex: h.hex() });
  } catch (err) { postMessage({ error: String(err && err.message || err) }); }
};`;

function hashInWorker(file, signal) {
  let worker;
  try {
    worker = new Worker(URL.createObjectURL(new Blob([WORKER_SRC], { type: "text/javascript" })));
  } catch {
    return null;
  }
  return new Promise((resolve, reject) => {
    const stop = () => { worker.terminate(); reject(cancelled()); };
    signal.addEventListener("abort", stop, { once: true });
    const done = () => { signal.removeEventListener("abort", stop); worker.terminate(); };
    worker.onmessage = (e) => {
      done();
      if (e.data.error) reject(new Error(`cannot read ${file.name} to check it (${e.data.error}); was it changed or moved?`));
      else resolve(e.data.hex);
    };
    worker.onerror = (e) => { done(); reject(new Error(`cannot check ${file.name}: ${e.message}`)); };
    worker.postMessage({ file, chunk: HASH_CHUNK });
  });
}

async function sha256Of(blob) {
  const buf = new Uint8Array(await blob.arrayBuffer());
  if (globalThis.crypto?.subtle) {
    const d = new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
    return Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("");
  }
  return new Sha256().update(buf).hex();
}

// --- small helpers ----------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, message, { fatal = false, refresh = false } = {}) {
    super(message);
    this.status = status;
    this.fatal = fatal; // retrying cannot help (the server refused the request itself)
    this.refresh = refresh; // ask for a new part URL first (expired, or signed by a restarted server)
  }
}

const cancelled = () => new DOMException("cancelled", "AbortError");

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(cancelled());
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(t); reject(cancelled()); }, { once: true });
  });
}

const backoff = (attempt) => Math.min(30_000, 500 * 2 ** attempt) * (0.75 + Math.random() / 2);

function bytes(n) {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MB`;
  return `${Math.round(n / 1024)} kB`;
}

function clock(s) {
  if (!isFinite(s)) return "…";
  s = Math.ceil(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}:${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}` : `${m}:${String(r).padStart(2, "0")}`;
}

class Slots {
  // At most `n` part PUTs at once across every file of this widget.
  constructor(n) { this.free = n; this.waiting = []; }
  async take(signal) {
    if (this.free > 0) { this.free--; return; }
    await new Promise((resolve, reject) => {
      const entry = { resolve, reject };
      this.waiting.push(entry);
      signal.addEventListener("abort", () => {
        this.waiting = this.waiting.filter((x) => x !== entry);
        reject(cancelled());
      }, { once: true });
    });
  }
  give() {
    const next = this.waiting.shift();
    if (next) next.resolve(); else this.free++;
  }
}

async function api(base, method, path, body) {
  let r;
  try {
    r = await fetch(base + path, {
      method, credentials: "same-origin", headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    throw new HttpError(0, `cannot reach the server (${e.message}); check the connection and pick the file again`);
  }
  let data = {};
  try { data = await r.json(); } catch { /* not JSON: said below */ }
  if (r.status === 404 && !data.error) {
    throw new HttpError(404, "this page is not served by `anchor serve`, which receives the uploads: open it there",
                        { fatal: true });
  }
  if (r.status === 401) {
    throw new HttpError(401, "your session has ended: reload the page, log in and pick the file again", { fatal: true });
  }
  if (!r.ok) throw new HttpError(r.status, data.error || `the server answered ${r.status}`, { fatal: r.status < 500 });
  return data;
}

// --- one file --------------------------------------------------------------------------------

class FileUpload {
  constructor(widget, file, choice) {
    this.w = widget;
    this.file = file;
    this.choice = choice; // an angle type, or "music"
    this.ctrl = new AbortController();
    this.xhrs = new Set();
    this.inflight = new Map(); // part number -> bytes of it sent so far
    this.targets = new Map(); // part number -> {url, offset, length, at}
    this.sent = 0; // bytes on the wire in this page (retries included)
    this.doneNow = 0; // bytes of parts stored by this page
    this.skipped = 0; // bytes the store already had (resumed)
    this.row = this.makeRow();
    this.samples = [];
  }

  makeRow() {
    const row = document.createElement("div");
    row.className = "au-row";
    row.dataset.state = "starting";
    row.dataset.name = this.file.name;
    const what = this.choice === "music" ? "music" : `${this.choice} angle`;
    row.innerHTML = `<div class="au-head"><span class="au-name"></span><span class="au-what"></span>
      <button type="button" class="au-cancel">Cancel</button></div>
      <progress class="au-bar" max="1" value="0"></progress><div class="au-info"></div>`;
    row.querySelector(".au-name").textContent = this.file.name;
    row.querySelector(".au-what").textContent = ` · ${bytes(this.file.size)} · ${what}`;
    row.querySelector(".au-cancel").addEventListener("click", () => this.cancel());
    this.bar = row.querySelector(".au-bar");
    this.info = row.querySelector(".au-info");
    return row;
  }

  say(state, text) {
    this.row.dataset.state = state;
    this.info.textContent = text;
    this.info.className = `au-info au-${state}`;
  }

  expose() {
    // Numbers for tests and curious users: what this page sent, what the store already had.
    Object.assign(this.row.dataset, {
      sentBytes: String(this.sent + [...this.inflight.values()].reduce((a, b) => a + b, 0)),
      skippedBytes: String(this.skipped), storedBytes: String(this.skipped + this.doneNow),
      uploadId: this.up?.upload_id ?? "", parts: String(this.up?.parts ?? 0),
    });
  }

  progress() {
    const inflight = [...this.inflight.values()].reduce((a, b) => a + b, 0);
    const have = this.skipped + this.doneNow + inflight;
    const now = performance.now();
    this.samples.push([now, this.sent + inflight]);
    while (this.samples.length > 2 && now - this.samples[0][0] > 4000) this.samples.shift();
    const [t0, b0] = this.samples[0];
    const speed = now - t0 > 300 ? ((this.sent + inflight - b0) / (now - t0)) * 1000 : NaN;
    this.bar.value = have / this.file.size;
    const pct = Math.floor((100 * have) / this.file.size);
    const rate = isFinite(speed) ? ` · ${bytes(speed)}/s · ${clock((this.file.size - have) / speed)} left` : "";
    const resumed = this.skipped ? ` · resumed (${bytes(this.skipped)} were already there)` : "";
    const note = this.note && now - this.note.at < 5000 ? ` · ${this.note.text}` : "";
    this.say("uploading", `${pct}% · ${bytes(have)} of ${bytes(this.file.size)}${rate}${resumed}${note}`);
    this.expose();
  }

  async run() {
    const f = this.file;
    const signal = this.ctrl.signal;
    try {
      if (!this.w.eventId) throw new HttpError(0, "no event is chosen: pick or create the event first", { fatal: true });
      if (f.size === 0) throw new HttpError(0, `${f.name} is empty: nothing to upload`, { fatal: true });
      this.say("starting", "checking the file…");
      const head = await sha256Of(f.slice(0, HEAD_BYTES));
      const music = this.choice === "music";
      this.up = await api(this.w.api, "POST", "", {
        event_id: this.w.eventId, kind: music ? "music" : "video", angle_type: music ? null : this.choice,
        name: f.name, size: f.size, last_modified: f.lastModified, head_sha256: head,
        content_type: f.type || "application/octet-stream",
      });
      if (signal.aborted) throw cancelled();
      const stored = new Set(this.up.stored);
      this.skipped = this.up.stored_bytes;
      const missing = [];
      for (let n = 1; n <= this.up.parts; n++) if (!stored.has(n)) missing.push(n);
      const hashing = this.w.verify ? this.hashAll(signal) : Promise.resolve(null);
      hashing.catch(() => {}); // awaited below; a cancel must not surface as an unhandled rejection
      this.ticker = setInterval(() => this.progress(), 500);
      this.progress();
      await this.sendAll(missing, signal);
      clearInterval(this.ticker);
      this.progress();
      this.say("verifying", "all parts sent; checking the file's fingerprint…");
      const sha256 = await hashing;
      this.row.querySelector(".au-cancel").disabled = true; // the server is publishing it now
      this.say("processing", "stored; the server is checking the footage…");
      const done = await api(this.w.api, "POST", `/${this.up.upload_id}/complete`,
                             { sha256, angle_type: music ? null : this.choice });
      this.bar.value = 1;
      const label = done.kind === "music" ? "music track" : `${done.angle_type} angle`;
      const note = done.created ? `added as the ${label} ${done.id}` : `already in the event (${done.id})`;
      this.say("done", [note, ...(done.warnings || [])].join(" · warning: "));
      this.expose();
      this.w.report({ ...done, file: f.name });
    } catch (e) {
      clearInterval(this.ticker);
      if (this.userCancelled) {
        await this.drop();
      } else if (e.name === "AbortError") {
        this.say("stopped", "stopped; pick the file again to resume");
      } else {
        this.ctrl.abort();
        this.say("error", `${e.message}`);
        this.w.report({ file: f.name, error: e.message });
      }
      this.expose();
    } finally {
      this.row.querySelector(".au-cancel").remove(); // finished one way or another: nothing to cancel
      this.w.active.delete(this);
    }
  }

  async hashAll(signal) {
    const inWorker = hashInWorker(this.file, signal);
    if (inWorker) return inWorker;
    const h = new Sha256();
    for (let off = 0; off < this.file.size; off += HASH_CHUNK) {
      if (signal.aborted) throw cancelled();
      h.update(new Uint8Array(await this.file.slice(off, off + HASH_CHUNK).arrayBuffer()));
    }
    return h.hex();
  }

  async sendAll(missing, signal) {
    const queue = missing.slice();
    const worker = async () => {
      while (queue.length) {
        const n = queue.shift();
        await this.w.slots.take(signal);
        try { await this.sendPart(n, queue, signal); } finally { this.w.slots.give(); }
      }
    };
    const lanes = Array.from({ length: Math.min(this.w.parallel, queue.length) }, worker);
    try {
      await Promise.all(lanes);
    } catch (e) {
      this.ctrl.abort(); // stop the other lanes
      throw e;
    }
  }

  async sendPart(n, queue, signal) {
    let refresh = false;
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw cancelled();
      try {
        const t = await this.target(n, queue, refresh);
        await this.put(n, t, signal);
        this.doneNow += t.length;
        return;
      } catch (e) {
        if (signal.aborted || e.fatal || attempt >= MAX_TRIES) {
          if (!signal.aborted && attempt >= MAX_TRIES) e.message = `part ${n} failed ${attempt} times: ${e.message}`;
          throw e;
        }
        refresh = e.refresh;
        const wait = backoff(attempt - 1);
        this.note = { at: performance.now(), text: `part ${n}: ${e.message}; trying again in ${clock(wait / 1000)}` };
        await sleep(wait, signal);
      }
    }
  }

  async target(n, queue, refresh) {
    const known = this.targets.get(n);
    if (known && !refresh && performance.now() - known.at < TARGET_MAX_AGE_MS) return known;
    const want = [n, ...queue.filter((m) => !this.targets.has(m)).slice(0, TARGET_BATCH - 1)];
    const r = await api(this.w.api, "POST", `/${this.up.upload_id}/targets`, { numbers: want });
    const at = performance.now();
    for (const t of r.targets) this.targets.set(t.number, { ...t, at });
    return this.targets.get(n);
  }

  put(n, t, signal) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      this.xhrs.add(xhr);
      let sent = 0;
      const finish = () => {
        this.xhrs.delete(xhr);
        this.inflight.delete(n);
        this.sent += sent;
        signal.removeEventListener("abort", stop);
      };
      const stop = () => xhr.abort();
      signal.addEventListener("abort", stop, { once: true });
      xhr.open("PUT", new URL(t.url, location.href).href);
      xhr.upload.onprogress = (e) => { sent = e.loaded; this.inflight.set(n, e.loaded); };
      xhr.onload = () => {
        sent = t.length;
        finish();
        if (xhr.status >= 200 && xhr.status < 300) return resolve();
        let why = `the store answered ${xhr.status}`;
        try { why = JSON.parse(xhr.responseText).error || why; } catch { /* S3 answers XML */ }
        const s = xhr.status;
        if (s === 401) why = "your session has ended: reload the page, log in and pick the file again";
        // 403: expired, or signed by a server since restarted (S3 says 403 for both too): new URL.
        // S3's 400 RequestTimeout is a slow connection, worth another try; other 4xx are final.
        const transient = s === 400 && /RequestTimeout/.test(xhr.responseText);
        const fatal = !transient && [400, 401, 404, 409, 413].includes(s);
        reject(new HttpError(s, why, { refresh: s === 403, fatal }));
      };
      xhr.onerror = () => { finish(); reject(new HttpError(0, "the connection dropped")); };
      xhr.ontimeout = xhr.onerror;
      xhr.onabort = () => { finish(); reject(cancelled()); };
      xhr.send(this.file.slice(t.offset, t.offset + t.length));
    });
  }

  cancel() {
    // Run's error path drops the upload on the server once every request has stopped.
    if (this.ctrl.signal.aborted) return;
    this.userCancelled = true;
    this.say("cancelling", "cancelling…");
    this.ctrl.abort();
  }

  async drop() {
    if (this.up) {
      try {
        await api(this.w.api, "DELETE", `/${this.up.upload_id}`);
      } catch (e) {
        this.say("error", `cancelled here, but the server could not drop the parts: ${e.message}`);
        return;
      }
    }
    this.say("cancelled", "cancelled: the parts sent so far were removed");
  }
}

// --- the widget ------------------------------------------------------------------------------

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "anchor-uploader";
  root.innerHTML = `<div class="au-pick"><label>What is it <select class="au-choice"></select></label>
    <input class="au-file" type="file" multiple aria-label="Files to upload"></div>
    <div class="au-hint"></div><div class="au-list"></div>`;
  el.appendChild(root);
  const select = root.querySelector(".au-choice");
  for (const [value, label] of model.get("choices")) {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    select.appendChild(o);
  }
  select.value = model.get("choice");
  root.querySelector(".au-hint").textContent = model.get("hint");
  const input = root.querySelector("input[type=file]");
  input.accept = model.get("accept");
  const list = root.querySelector(".au-list");

  const widget = {
    api: model.get("api").replace(/\/$/, ""),
    eventId: model.get("event_id"),
    parallel: Math.max(1, model.get("parallel")),
    verify: model.get("verify"),
    slots: new Slots(Math.max(1, model.get("parallel"))),
    active: new Set(),
    report(result) {
      model.set("results", [...model.get("results"), result]);
      model.save_changes();
    },
  };

  input.addEventListener("change", () => {
    for (const file of input.files) {
      const same = [...widget.active].some((u) => u.file.name === file.name && u.file.size === file.size
                                             && u.file.lastModified === file.lastModified);
      if (same) continue; // already going in this page
      const u = new FileUpload(widget, file, select.value);
      widget.active.add(u);
      list.prepend(u.row);
      u.run();
    }
    input.value = "";
  });

  // The view goes away (cell re-run, tab closed): stop sending, but keep what the store has,
  // so picking the file again resumes.
  return () => {
    for (const u of widget.active) {
      u.ctrl.abort();
      for (const x of u.xhrs) x.abort();
    }
  };
}

export default { render };
