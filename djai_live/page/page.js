// The live page of `djai-live serve --ui`: one file, no build step, nothing fetched from elsewhere.
// It reads the daemon's event stream (server-sent events, /events) and sends commands as OSC would
// (POST /command {address, args}); every control is built from /djai/capabilities, not a list kept here.
"use strict";

const PAST_S = 8, FUTURE_S = 4;       // the roll shows this much before and after the now line
const VOICE_COLOURS = ["#ff7043", "#42a5f5", "#66bb6a", "#ffca28", "#ab47bc", "#26c6da", "#ec407a", "#8d6e63"];
const PERFORMER_COLOUR = "#e8e8e8";
const KEPT_S = PAST_S + 2;            // notes that ended longer ago than this are forgotten
const COUNTERS = ["notes_in", "notes_out", "phrases_out", "buffer", "held", "sounding", "rejected", "dropped",
                  "events_dropped", "lateness_ms_p99", "generate_ms_last", "realtime"];
const WARN_WHEN_ABOVE = {rejected: 0, dropped: 0, events_dropped: 0, lateness_ms_p99: 2};
const token = new URLSearchParams(location.search).get("token");

// Everything the page knows, in one object the browser tests read too.
const djai = window.djai = {
  connected: false, offsetMs: null, inbound: [], models: [], params: {}, values: {}, status: {},
  capabilities: {}, key: "", heard: [], played: [], planned: [], errors: [], acks: 0, gaps: 0,
  heardLog: [],   // {pitch, velocity, receivedEpochMs}: when each heard note reached the page
  ports: {},
};

// --- the daemon's clock on the page's ----------------------------------------------------------------
function daemonToPage(seconds) { return seconds * 1000 + djai.offsetMs; }
function seeClock(now) {
  // The smallest difference seen is the closest to the true offset (the rest is transport delay).
  const offset = performance.now() - now * 1000;
  if (djai.offsetMs === null || offset < djai.offsetMs) djai.offsetMs = offset;
}

// --- commands, as OSC sends them -------------------------------------------------------------------------
async function send(address, args = []) {
  const headers = {"Content-Type": "application/json"};
  if (token) headers["X-DJAI-Token"] = token;
  try {
    const response = await fetch("command", {method: "POST", headers, body: JSON.stringify({address, args})});
    if (response.status === 403 || response.status === 429) showError((await response.text()).slice(0, 300));
    // other refusals come back on the event stream, as every edge's errors do
  } catch (error) {
    showError(`command ${address} not sent: ${error}`);
  }
}

function showError(message) {
  djai.errors.push(message);
  const box = document.getElementById("errors");
  const line = document.createElement("div");
  line.textContent = message;
  box.prepend(line);
  while (box.childElementCount > 6) box.lastElementChild.remove();
}

// --- the controls, from /djai/capabilities ----------------------------------------------------------------
function parseKind(text) {
  const words = text.split(" ");
  if (words[0] === "float" || words[0] === "int") return {kind: words[0], low: +words[1], high: +words[2]};
  if (words[0] === "bool") return {kind: "bool"};
  if (words[0] === "choice") return {kind: "choice", choices: words.slice(1)};
  return {kind: "scale"};
}

function buildControls() {
  const box = document.getElementById("controls");
  box.replaceChildren();
  for (const [name, param] of Object.entries(djai.params)) {
    const row = document.createElement("div");
    row.className = `control kind-${param.kind}`;
    row.id = `control-${name}`;
    const label = document.createElement("label");
    label.textContent = name;
    row.append(label);
    param.row = row;
    if (param.kind === "float" || param.kind === "int") {
      const slider = document.createElement("input");
      slider.type = "range";
      const field = document.createElement("input");
      field.type = "number";
      field.name = name;
      for (const input of [slider, field]) {
        input.min = param.low; input.max = param.high;
        input.step = param.kind === "int" ? 1 : (param.high - param.low) / 1000;
      }
      if (param.kind === "float") field.step = "any";
      slider.addEventListener("input", () => { field.value = slider.value; });
      const commit = (input) => {
        if (input.value.trim() === "") return;  // a field being cleared is not a command yet
        const value = param.kind === "int" ? parseInt(input.value, 10) : parseFloat(input.value);
        send("/djai/set", [name, Number.isFinite(value) ? value : input.value]);
      };
      slider.addEventListener("change", () => commit(slider));
      field.addEventListener("change", () => commit(field));
      row.append(slider, field);
      param.show = (value) => { slider.value = value; field.value = value; };
    } else if (param.kind === "bool") {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = name;
      box.addEventListener("change", () => send("/djai/set", [name, box.checked ? 1 : 0]));
      row.append(box, document.createElement("span"));
      param.show = (value) => { box.checked = value === true || value === 1 || value === "on"; };
    } else if (param.kind === "choice") {
      const select = document.createElement("select");
      select.name = name;
      for (const choice of param.choices) select.append(new Option(choice, choice));
      select.addEventListener("change", () => send("/djai/set", [name, select.value]));
      row.append(select, document.createElement("span"));
      param.show = (value) => { select.value = value; };
    } else {  // a scale: NAME [ROOT], or custom and pitch classes
      const field = document.createElement("input");
      field.type = "text";
      field.name = name;
      field.placeholder = "major C | custom 0 2 4";
      field.addEventListener("change", () => {
        if (field.value.trim() === "") return;
        const words = field.value.trim().split(/\s+/).map((word) => (/^-?\d+$/.test(word) ? +word : word));
        send("/djai/set", [name, ...words]);
      });
      row.append(field);
      param.show = (value) => { field.value = value; };
    }
    const learn = midiLearnButton(name);
    if (learn) row.append(learn);
    param.learn = learn;
    box.append(row);
    if (name in djai.values) param.show(djai.values[name]);
  }
}

// MIDI learn (the MIDI controls issue, /djai/learn NAME): a button appears beside each control once the
// daemon's OSC contract has that address (the hello lists it); until then there is no button at all.
function midiLearnButton(name) {
  if (!djai.inbound.includes("/djai/learn")) return null;
  const button = document.createElement("button");
  button.textContent = "learn";
  button.title = `move a MIDI control to map it to ${name}`;
  button.addEventListener("click", () => send("/djai/learn", [name]));
  return button;
}

// What learn said: waiting for a control change for NAME (or "off"), then the control it bound.
function showLearning(name) {
  djai.learning = name === "off" ? null : name;
  for (const [each, param] of Object.entries(djai.params)) {
    if (param.learn && param.learn.textContent === "learning…" || each === name) {
      param.learn.textContent = each === name ? "learning…" : "learn";
    }
  }
}

function showLearned(name, cc, channel) {
  djai.learning = null;
  const param = djai.params[name];
  if (param && param.learn) param.learn.textContent = `cc ${cc}/${channel}`;
}

function showValue(name, value, acknowledged) {
  djai.values[name] = value;
  const param = djai.params[name];
  if (!param || !param.show) return;
  if (document.activeElement && param.row.contains(document.activeElement) && !acknowledged) return;
  param.show(value);
  if (acknowledged) {
    param.row.classList.add("acked");
    setTimeout(() => param.row.classList.remove("acked"), 400);
  }
}

// --- the panels ---------------------------------------------------------------------------------------------
function pairs(values) {
  const map = {};
  for (let i = 0; i + 1 < values.length; i += 2) map[values[i]] = values[i + 1];
  return map;
}

function showStatus(status) {
  djai.status = status;
  djai.statusAt = performance.now();
  for (const name of Object.keys(djai.params)) if (name in status) showValue(name, status[name], false);
  document.getElementById("model").textContent = status.model;
  document.getElementById("key").textContent =
    status.sounding_scale + (status.key === "auto" ? " (key auto: the estimate)" : "");
  const table = document.getElementById("counters");
  table.replaceChildren();
  const shown = COUNTERS.filter((name) => name in status);
  for (const [direction, port] of Object.entries(djai.ports)) shown.push(`MIDI ${direction}`);
  for (let i = 0; i < shown.length; i += 2) {
    const row = table.insertRow();
    for (const name of shown.slice(i, i + 2)) {
      const value = name.startsWith("MIDI ") ? djai.ports[name.slice(5)] : status[name];
      row.insertCell().textContent = name;
      const cell = row.insertCell();
      cell.textContent = value;
      if ((name in WARN_WHEN_ABOVE && value > WARN_WHEN_ABOVE[name]) || String(value).startsWith("gone")) {
        cell.className = "bad";
      }
    }
  }
}

function showCapabilities(capabilities) {
  djai.capabilities = capabilities;
  djai.params = {};
  for (const [name, text] of Object.entries(capabilities)) {
    if (name.startsWith("param:")) djai.params[name.slice(6)] = parseKind(String(text));
  }
  document.getElementById("model-facts").textContent =
    `(${capabilities.model_type}, ${capabilities.instruments} instrument${capabilities.instruments > 1 ? "s" : ""})`;
  const legend = document.getElementById("legend");
  legend.replaceChildren();
  const entries = [["performer", PERFORMER_COLOUR]];
  for (let voice = 0; voice < capabilities.instruments; voice += 1) {
    entries.push([`voice ${voice}`, VOICE_COLOURS[voice % VOICE_COLOURS.length]]);
  }
  for (const [label, colour] of entries) {
    const span = document.createElement("span");
    span.style.color = colour;
    span.textContent = `■ ${label}`;
    legend.append(span);
  }
  buildControls();
}

function beatNow() {
  const status = djai.status;
  if (!(status.beat >= 0) || !status.tempo) return null;
  return status.beat + (performance.now() - djai.statusAt) / 1000 * status.tempo / 60;
}

function showClock() {
  const status = djai.status, beat = beatNow(), perBar = status.beats_per_bar || 4;
  let text = `clock ${status.clock ?? "?"}, ${Number(status.tempo ?? 0).toFixed(1)} BPM`;
  if (beat !== null) text += `, bar ${Math.floor(beat / perBar) + 1} beat ${Math.floor(beat % perBar) + 1}, locked`;
  else text += ", free";
  if ("link_peers" in status) text += `, ${status.link_peers} Link peer(s)`;
  if (status.grid && status.grid !== "none") text += `, grid ${status.grid}`;
  document.getElementById("clock").textContent = text;
}

// --- the events ---------------------------------------------------------------------------------------------
function closeOpen(list, pitch, channel, at) {
  for (let i = list.length - 1; i >= 0; i -= 1) {
    const note = list[i];
    if (note.pitch === pitch && note.channel === channel && note.end === null) { note.end = at; return; }
  }
}

function handle(message) {
  seeClock(message.now);
  const now = performance.now();
  switch (message.type) {
    case "hello":
      djai.inbound = message.inbound;
      djai.models = message.models;
      document.getElementById("models").replaceChildren(...message.models.map((name) => new Option(name, name)));
      break;
    case "heard": {
      const at = daemonToPage(message.at);
      if (message.velocity > 0) {
        djai.heard.push({pitch: message.pitch, channel: message.channel, start: at, end: null});
        djai.heardLog.push({pitch: message.pitch, velocity: message.velocity,
                            receivedEpochMs: performance.timeOrigin + now});
        if (djai.values.interrupt === true || djai.values.interrupt === 1) {
          // the performer playing again drops the rest of an answer: what was planned later will not sound
          djai.planned = djai.planned.filter((note) => note.start <= now);
        }
      } else {
        closeOpen(djai.heard, message.pitch, message.channel, at);
      }
      break;
    }
    case "note_on":
      closeOpen(djai.played, message.pitch, message.channel, now);
      djai.played.push({pitch: message.pitch, channel: message.channel, voice: message.voice, start: now,
                        end: null, due: now + message.duration_ms});
      break;
    case "note_off":
      closeOpen(djai.played, message.pitch, message.channel, now);
      break;
    case "all_notes_off":
      for (const list of [djai.played, djai.heard]) for (const note of list) if (note.end === null) note.end = now;
      djai.planned = djai.planned.filter((note) => note.start <= now);
      break;
    case "drawn":
    case "planned":
      for (const note of message.notes) {
        const start = daemonToPage(note.at);
        djai.planned.push({pitch: note.pitch, voice: note.voice, start, end: start + note.duration_ms});
      }
      break;
    case "set":
      djai.acks += 1;
      showValue(message.name, message.value, true);
      break;
    case "key":
      djai.key = message.words;
      break;
    case "error":
      showError(message.message);
      break;
    case "port":
      djai.ports[message.direction] = `${message.state} ${message.name}`;
      break;
    case "gap":
      // the page fell behind and events were dropped: notes it never saw end are ended here
      djai.gaps += 1;
      for (const list of [djai.played, djai.heard]) for (const note of list) if (note.end === null) note.end = now;
      showError(`the page fell behind: ${message.dropped} event(s) dropped so far; the state is read again`);
      break;
    case "reply":
      if (message.kind === "status") showStatus(pairs(message.values));
      else if (message.kind === "capabilities") showCapabilities(pairs(message.values));
      else if (message.kind === "learn") showLearning(message.values[0]);
      else if (message.kind === "learned") showLearned(...message.values);
      break;
  }
}

function connect() {
  const events = new EventSource("events" + (token ? `?token=${encodeURIComponent(token)}` : ""));
  const label = document.getElementById("connection");
  events.onopen = () => { djai.connected = true; djai.offsetMs = null; label.textContent = "live"; label.className = "good"; };
  events.onerror = () => { djai.connected = false; label.textContent = "reconnecting"; label.className = "bad"; };
  events.onmessage = (event) => {
    try { handle(JSON.parse(event.data)); } catch (error) { showError(`the page could not read an event: ${error}`); }
  };
}

// --- the roll -----------------------------------------------------------------------------------------------
function draw() {
  djai.frames = (djai.frames || 0) + 1;  // frames drawn (the bench checks that its pages draw)
  const canvas = document.getElementById("roll");
  const width = canvas.clientWidth, height = canvas.clientHeight, ratio = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * ratio)) { canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio); }
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.fillStyle = "#15171c";
  context.fillRect(0, 0, width, height);
  const now = performance.now(), forget = now - KEPT_S * 1000;
  for (const name of ["heard", "played", "planned"]) {
    djai[name] = djai[name].filter((note) => (note.end ?? note.due ?? Infinity) > forget);
  }
  const all = [...djai.heard, ...djai.played, ...djai.planned];
  let low = 48, high = 84;
  for (const note of all) { low = Math.min(low, note.pitch - 2); high = Math.max(high, note.pitch + 2); }
  const nowX = width * PAST_S / (PAST_S + FUTURE_S), perMs = width / ((PAST_S + FUTURE_S) * 1000);
  const x = (t) => nowX + (t - now) * perMs;
  const rowHeight = height / (high - low + 1);
  const y = (pitch) => (high - pitch) * rowHeight;
  djai.view = {low, high, nowX, rowHeight, width, height};  // where a pitch is drawn (the tests read it)
  for (let pitch = low; pitch <= high; pitch += 1) {  // black keys shaded, C lines marked
    if ([1, 3, 6, 8, 10].includes(pitch % 12)) { context.fillStyle = "#1b1e25"; context.fillRect(0, y(pitch), width, rowHeight); }
    if (pitch % 12 === 0) { context.fillStyle = "#2c313c"; context.fillRect(0, y(pitch) + rowHeight - 1, width, 1); }
  }
  drawGrid(context, x, height, now);
  const rect = (note, colour, filled) => {
    const start = x(note.start), end = x(note.end ?? note.due ?? now);
    const w = Math.max(end - start, 2);
    if (filled) { context.fillStyle = colour; context.fillRect(start, y(note.pitch) + 1, w, rowHeight - 2); }
    else { context.strokeStyle = colour; context.lineWidth = 1.5; context.strokeRect(start, y(note.pitch) + 1.5, w, rowHeight - 3); }
  };
  for (const note of djai.planned) rect(note, VOICE_COLOURS[note.voice % VOICE_COLOURS.length], false);
  for (const note of djai.played) {
    if (note.end === null && note.due < now) note.end = note.due;
    rect(note, VOICE_COLOURS[note.voice % VOICE_COLOURS.length], true);
  }
  for (const note of djai.heard) rect(note, PERFORMER_COLOUR, true);
  context.fillStyle = "#fff";
  context.fillRect(nowX, 0, 2, height);
  if (djai.status.tempo !== undefined) showClock();
  requestAnimationFrame(draw);
}

function drawGrid(context, x, height, now) {
  const beat = beatNow(), status = djai.status;
  if (beat === null) return;
  const beatMs = 60000 / status.tempo, perBar = status.beats_per_bar || 4;
  const first = Math.ceil(beat - PAST_S * 1000 / beatMs), last = Math.floor(beat + FUTURE_S * 1000 / beatMs);
  for (let b = first; b <= last; b += 1) {
    context.fillStyle = b % perBar === 0 ? "#4a5160" : "#2a2f3a";
    context.fillRect(x(now + (b - beat) * beatMs), 0, 1, height);
  }
}

document.getElementById("generate").addEventListener("click", () => send("/djai/generate"));
document.getElementById("reset").addEventListener("click", () => send("/djai/reset"));
document.getElementById("panic").addEventListener("click", () => send("/djai/panic"));
document.getElementById("load").addEventListener("click", () => send("/djai/load", [document.getElementById("models").value]));
connect();
requestAnimationFrame(draw);
