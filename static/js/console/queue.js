// The one-page moderation queue. The page holds the current entry and the next three (claimed
// through the API, pictures fetched and decoded ahead), so a key swaps the entry at once and the
// decision goes to the server in the background. Keys are queued in order and never dropped: a
// key that needs an entry not here yet waits for it. See the keyboard map (?) in the template.
import { Api, ApiError } from "./api.js";
import { isTyping, tokenOf } from "./keys.js";
import { EntryView, el, fmtDate, fmtTime, holdText, pickRendition, renderGrid } from "./render.js";

const $ = (id) => document.getElementById(id);
const config = JSON.parse($("queue-config").textContent);
const api = new Api({ base: config.api_base, csrf: config.csrf_token, brand: config.brand });
const view = new EntryView(config);
const hashtags = Object.fromEntries(config.campaigns.map((c) => [c.slug, c.hashtag]));

// Entries held ready beyond the current one: three at a person's pace; more (up to nine) while
// the moderator decides faster than a claim takes to arrive with its picture decoded, so the
// next picture is always there (see aheadWanted).
const AHEAD = 3;
const AHEAD_MAX = 9;
const BEHIND_MAX = 20; // entries passed with j, still held so k can go back
const SEND_PARALLEL = 4; // decisions in flight at once
const RENEW_EVERY_MS = 60_000;
const EMPTY_POLL_MS = 15_000;
const BULK_MAX = 500;
const UNDO_MS = config.undo_seconds * 1000;

const state = {
  view: config.view, // pending | flagged | reported | appeals | done
  layout: "one", // one | grid
  filters: { campaign: config.filters.campaign, kind: config.filters.kind, q: config.filters.q },
  generation: 0, // bumped when the view or a filter changes: answers for an older one are dropped
  deck: [], // items {entry, img, decoded, ready} held through claims (pending and flagged)
  pos: 0,
  claiming: 0,
  drainedAt: 0, // when a claim last came back short: the queue has no more for now
  list: [], // entries of the grid and of the Done view (GET entries)
  listPos: 0,
  listNext: null,
  listLoading: null,
  selected: new Set(),
  skipped: [], // released with Skip: the claims pass over them
  keys: [], // queued {token, at}
  prefix: null, // "g", "*" or "r" while a two-key command is half typed
  typed: "", // what follows r (a guideline number beyond 9, or a code)
  outbox: [], // decision jobs waiting for a free slot
  sending: 0,
  open: new Map(), // entry id -> job, decisions made here not yet past their window
  undo: [], // most recent last: {kind: "single", job} | {kind: "bulk", result, until, items}
  acked: 0,
  metrics: [],
  swaps: { ready: 0, waited: 0 },
  resumed: false, // the first claim of the view has asked for the moderator's live leases
  resumeInFlight: false, // that first claim has not answered yet: no other claim goes out meanwhile
  unpainted: [], // keydown times of keys whose next picture is not painted yet
  booting: Boolean($("q-one").dataset.entry), // the server drew an entry: it stays until claims answer
  shownId: null,
};

// For tests and the benchmark: what the page measured and what the server acknowledged.
window.fanfareQueue = {
  get metrics() { return state.metrics; },
  get acked() { return state.acked; },
  get sending() { return state.sending + state.outbox.length; },
  get keysWaiting() { return state.keys.length; },
  get current() { return current()?.entry.id || null; },
  // Keys after which the next picture was already decoded (ready) or not yet (waited).
  get swaps() { return { ...state.swaps }; },
  get ahead() { return aheadWanted(); },
};

// --- Status ------------------------------------------------------------------------------------
let countdown = null;
function say(text, { alert = false } = {}) {
  const target = alert ? $("queue-alert") : $("queue-status-text");
  target.textContent = "";
  // Cleared first so a repeated message is announced again by the live region.
  window.requestAnimationFrame(() => { target.textContent = text; });
  if (!alert) $("queue-alert").textContent = "";
}

function showUndo(label, until) {
  say(label);
  window.clearInterval(countdown);
  const button = $("queue-undo");
  const clock = $("queue-undo-clock");
  const tick = () => {
    const left = Math.ceil((until - performance.now()) / 1000);
    if (left <= 0) {
      button.hidden = true;
      clock.textContent = "";
      window.clearInterval(countdown);
      return;
    }
    button.hidden = false;
    clock.textContent = `${left} s`;
  };
  tick();
  countdown = window.setInterval(tick, 250);
}

// --- The deck: claimed entries, preloaded ---------------------------------------------------------
function current() {
  if (state.layout === "grid") return null;
  if (!deckMode()) return listItem(state.listPos);
  return state.deck[state.pos] || null;
}

// Done is browsed from the list; its entries get their pictures prepared like the deck's.
const listItems = new Map();
function listItem(index) {
  const entry = state.list[index];
  if (!entry) return null;
  let item = listItems.get(entry.id);
  if (!item || item.entry !== entry) {
    item = prepare(entry);
    listItems.set(entry.id, item);
  }
  return item;
}

function figureWidth() {
  const width = $("q-figure").clientWidth;
  return Math.max(320, width || Math.min(window.innerWidth, window.innerWidth >= 800 ? window.innerWidth * 0.6 : 720));
}

function prepare(entry) {
  const item = { entry, img: null, decoded: false, ready: Promise.resolve() };
  const chosen = pickRendition(entry.renditions, figureWidth());
  if (chosen && entry.kind !== "video") {
    const img = new Image();
    img.alt = entry.alt_text;
    img.width = chosen.width;
    img.height = chosen.height;
    img.decoding = "async";
    img.src = chosen.url;
    item.img = img;
    item.ready = img.decode().catch(() => undefined).then(() => { item.decoded = true; });
  } else {
    item.decoded = true;
  }
  return item;
}

function heldIds() {
  return [...state.skipped, ...state.deck.map((item) => item.entry.id), ...state.open.keys()];
}

// What a claim must pass over: entries on the page, skipped ones, and decisions the server has
// not acknowledged yet (it passes over entries with an open decision itself).
function excludeIds() {
  const unacked = [...state.open.values()].filter((job) => job.state !== "done").map((job) => job.item.entry.id);
  return [...state.skipped.slice(-50), ...state.deck.map((item) => item.entry.id), ...unacked].slice(-100);
}

// Done and Reported are lists browsed with j/k; the other views are decks of claimed entries.
const LIST_VIEWS = new Set(["done", "reported", "appeals"]);
function deckMode() {
  return !LIST_VIEWS.has(state.view);
}

// Moving averages of the moderator's pace (ms between decisions) and of how long an entry takes
// from the claim request to its picture decoded.
const pace = { interval: 2000, last: 0, refill: 300, starvedUntil: 0 };
const ewma = (old, sample) => old * 0.7 + sample * 0.3;

function notePace() {
  const now = performance.now();
  if (pace.last) pace.interval = ewma(pace.interval, Math.min(now - pace.last, 10_000));
  pace.last = now;
}

function aheadWanted() {
  // A key that found its next picture not ready yet: hold the most for a while.
  if (performance.now() < pace.starvedUntil) return AHEAD_MAX;
  return Math.max(AHEAD, Math.min(AHEAD_MAX, Math.ceil(pace.refill / Math.max(pace.interval, 1)) + 1));
}

function starved() {
  pace.starvedUntil = performance.now() + 15_000;
  topUp();
}

function topUp() {
  if (!deckMode()) return;
  // Nothing else until the first claim of a view answers: two claims in flight are served in
  // whatever order the server runs them, and keys typed meanwhile would act on newer entries first.
  if (state.resumeInFlight) return;
  const ahead = state.deck.length - state.pos; // the current entry included
  const missing = aheadWanted() + 1 - ahead - state.claiming;
  // One request for several while a claim is under way: fewer round trips at speed, when the
  // server is what the moderator waits for.
  if (missing <= 0 || (state.claiming > 0 && missing < 3)) return;
  // At speed, claim at least three at a time: each request costs the server more than each entry.
  const want = Math.min(10, performance.now() < pace.starvedUntil ? Math.max(3, missing) : missing);
  if (state.drainedAt && performance.now() - state.drainedAt < EMPTY_POLL_MS && ahead > 0) return;
  const generation = state.generation;
  state.claiming += want;
  // Only the first claim of a view takes back the moderator's live leases (after a reload); later
  // ones would be handed the entries a claim still on its way has just taken.
  const body = { count: want, exclude: excludeIds(), view: state.view, resume: !state.resumed };
  state.resumeInFlight = body.resume;
  state.resumed = true;
  if (state.filters.campaign) body.campaign = state.filters.campaign;
  if (state.filters.kind) body.kind = state.filters.kind;
  const asked = performance.now();
  api.post(api.brandPath("queue/claims/"), body, { retries: 4 })
    .then((data) => {
      const entries = data.entries || [];
      if (generation !== state.generation) {
        release(entries.map((e) => e.id));
        return;
      }
      const known = new Set(heldIds());
      // Entries not reached yet stay oldest first, whichever claim answered first.
      const settled = state.pos < state.deck.length ? state.pos + 1 : state.pos;
      for (const entry of entries) {
        if (known.has(entry.id)) continue;
        const item = prepare(entry);
        item.ready.then(() => { pace.refill = ewma(pace.refill, performance.now() - asked); });
        state.deck.push(item);
      }
      const ahead = state.deck.splice(settled);
      ahead.sort((x, y) => (x.entry.created_at < y.entry.created_at ? -1 : x.entry.created_at > y.entry.created_at ? 1 : 0));
      state.deck.push(...ahead);
      state.drainedAt = entries.length < want ? performance.now() : 0;
    })
    .catch((error) => {
      if (generation === state.generation) say(`Could not fetch entries: ${error.message}`, { alert: true });
      state.drainedAt = performance.now();
    })
    .finally(() => {
      state.claiming -= want;
      if (body.resume) state.resumeInFlight = false;
      state.booting = false;
      if (generation !== state.generation) return;
      if ((current()?.entry.id ?? null) !== state.shownId || !current()) showCurrent();
      if (!current() && state.drainedAt) scheduleEmptyPoll();
      pump();
      if (!state.drainedAt) topUp();
      send();
    });
}

let emptyPoll = null;
function scheduleEmptyPoll() {
  window.clearTimeout(emptyPoll);
  emptyPoll = window.setTimeout(() => {
    state.drainedAt = 0;
    topUp();
  }, EMPTY_POLL_MS);
}

function release(ids) {
  if (ids.length) api.post(api.brandPath("queue/release/"), { entries: ids }).catch(() => undefined);
}

// Swap the one-entry view to what is current now. `pressedAt`: the keydown's time, to measure
// key press -> next picture painted (the frame after the decoded picture is in the page).
function showCurrent(pressedAt, banner) {
  if (state.layout === "grid") return;
  const item = current();
  state.shownId = item ? item.entry.id : null;
  if (!item) {
    if (pressedAt !== undefined) {
      state.unpainted.push(pressedAt);
      state.swaps.waited += 1;
      if (deckMode()) starved();
    }
    if (state.booting) return;
    const loading = deckMode() ? state.claiming > 0 : state.listLoading;
    if (loading) view.empty("Loading entries…", "");
    else view.empty(state.view === "pending" ? "Queue is empty" : "Nothing here", emptyText());
    return;
  }
  const hold = item.lost ? `${item.lost.claimed_by} until ${fmtTime(item.lost.claim_expires_at)}` : holdText(item.entry, config.me);
  const note = banner || item.banner || (item.lost ? "Another moderator holds this entry now. Press j to move on." : "");
  view.show(item, { view: state.view, banner: note, hold });
  if (!deckMode()) for (let next = 1; next <= AHEAD; next += 1) listItem(state.listPos + next);
  markSelected(item.entry.id);
  $("q-position").textContent = positionText();
  // Every key waiting for a picture is measured to the first one painted after it: the next
  // entry's, or a later one's when further keys moved on before it came.
  if (pressedAt !== undefined) {
    state.unpainted.push(pressedAt);
    state.swaps[item.decoded ? "ready" : "waited"] += 1;
    if (!item.decoded && deckMode()) starved();
  }
  if (!state.unpainted.length) return;
  const painted = () => whenPainted(() => {
    const now = performance.now();
    for (const at of state.unpainted.splice(0)) state.metrics.push(now - at);
  });
  if (item.decoded) painted();
  else item.ready.then(() => { if (current() === item) painted(); });
}

function whenPainted(callback) {
  // requestAnimationFrame runs before the frame is painted; a message posted from it arrives
  // once that frame is done.
  window.requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = callback;
    channel.port2.postMessage(null);
  });
}

function positionText() {
  if (!deckMode()) return state.list.length ? `${state.listPos + 1} of ${state.list.length}${state.listNext ? "+" : ""}` : "";
  const ahead = state.deck.length - state.pos - 1;
  return ahead > 0 ? `${ahead} more ready` : "";
}

function emptyText() {
  if (state.view === "done") return "Nothing decided in the last 24 hours matches.";
  if (state.view === "appeals") return "No appeals are waiting for a decision.";
  if (state.view === "reported") return "No reported entries wait for a look.";
  if (state.view === "flagged") return "No flagged entries are waiting.";
  return "Nothing is waiting for review that you can take. New entries appear here once they are processed.";
}

function markSelected(id) {
  const on = state.selected.has(id);
  $("q-one").classList.toggle("is-selected", on);
  $("q-selected-note").hidden = !on;
}

// --- Decisions, sent in the background ------------------------------------------------------------
function decide(action, guidelines, pressedAt) {
  const item = current();
  if (!item) return;
  notePace();
  state.deck.splice(state.pos, 1);
  if (state.pos > state.deck.length) state.pos = state.deck.length;
  const job = { item, action, guidelines, state: "queued", decision: null, until: performance.now() + UNDO_MS };
  job.done = new Promise((resolve) => { job.resolve = resolve; });
  // Before the next claim: until the server has the decision, the entry is still this
  // moderator's live lease, which a claim would hand back.
  state.open.set(item.entry.id, job);
  showCurrent(pressedAt);
  topUp();
  state.outbox.push(job);
  state.undo.push({ kind: "single", job });
  if (state.undo.length > 50) state.undo.shift();
  const verb = action === "approve" ? "Approved" : "Rejected";
  showUndo(`${verb} the entry by ${item.entry.creator}.`, job.until);
  send();
}

function send() {
  // While the moderator waits for entries, decisions (which nobody waits for) go one at a time
  // and leave the server to the claims.
  const parallel = state.claiming > 0 && performance.now() < pace.starvedUntil ? 1 : SEND_PARALLEL;
  while (state.sending < parallel && state.outbox.length) {
    const job = state.outbox.shift();
    state.sending += 1;
    job.state = "sending";
    // A decision on an entry whose earlier decision is being undone waits for the undo to land.
    (job.item.undoing || Promise.resolve())
      .then(() => api.post(`/entries/${job.item.entry.id}/decision/`, decisionBody(job), { retries: 6 }))
      .catch((error) => acknowledgedAfterAll(job, error))
      .then((decision) => {
        job.decision = decision;
        job.state = "done";
        state.acked += 1;
        refreshCounts();
        window.setTimeout(() => state.open.delete(job.item.entry.id), UNDO_MS + 5000);
      })
      .catch((error) => {
        job.state = "failed";
        state.open.delete(job.item.entry.id);
        putBack(job.item, `Not saved: ${error.message}`);
        say(`The decision on the entry by ${job.item.entry.creator} was not saved: ${error.message}`, { alert: true });
      })
      .finally(() => {
        state.sending -= 1;
        job.resolve();
        send();
      });
  }
}

function decisionBody(job) {
  return { action: job.action, guidelines: job.guidelines, note: "" };
}

// A retried decision answered 409 may be the first attempt's own decision, done by the server
// but whose answer was lost: then it counts as sent.
async function acknowledgedAfterAll(job, error) {
  if (!(error instanceof ApiError) || error.status !== 409 || !error.retried) throw error;
  const found = await api.get(`${api.brandPath("entries/")}?view=done&q=${encodeURIComponent(job.item.entry.id)}`);
  const last = found && found.results && found.results[0] && found.results[0].last_decision;
  if (last && !last.undone_at && last.action === job.action && last.moderator === config.me) return last;
  throw error;
}

function putBack(item, banner) {
  if (!deckMode() || state.layout === "grid") {
    refreshList();
    return;
  }
  state.deck = state.deck.filter((other) => other.entry.id !== item.entry.id);
  item.banner = banner;
  state.deck.splice(state.pos, 0, item);
  showCurrent(undefined, banner);
}

async function undoLast() {
  const last = state.undo.pop();
  if (!last) {
    say("Nothing to undo.");
    return;
  }
  if (last.kind === "bulk") {
    undoBulk(last);
    return;
  }
  const { job } = last;
  if (performance.now() > job.until) {
    say("Too late to undo: that decision has taken effect. Find it in Done to reverse it.", { alert: true });
    return;
  }
  window.clearInterval(countdown);
  $("queue-undo").hidden = true;
  $("queue-undo-clock").textContent = "";
  if (job.state === "queued") {
    state.outbox = state.outbox.filter((other) => other !== job);
    state.open.delete(job.item.entry.id);
    putBack(job.item, "");
    say(`Undone: the entry by ${job.item.entry.creator} is back.`);
    return;
  }
  // Back in front at once; the server is told when the decision is known. A new decision on
  // the entry meanwhile waits for this undo (send), or the server would still see the old one.
  putBack(job.item, "");
  say(`Undoing the decision on the entry by ${job.item.entry.creator}…`);
  const undoing = undoOnServer(job);
  job.item.undoing = undoing;
  await undoing;
  if (job.item.undoing === undoing) job.item.undoing = null;
}

async function undoOnServer(job) {
  await job.done;
  if (job.state === "failed") return;
  try {
    await api.post(`/decisions/${job.decision.id}/undo/`, {}, { retries: 4 });
    state.open.delete(job.item.entry.id);
    job.item.banner = "";
    say(`Undone: the entry by ${job.item.entry.creator} is back.`);
    refreshCounts();
  } catch (error) {
    state.deck = state.deck.filter((other) => other !== job.item);
    if (state.pos > state.deck.length) state.pos = state.deck.length;
    showCurrent();
    say(`Could not undo: ${error.message}`, { alert: true });
  }
}

// --- Bulk ------------------------------------------------------------------------------------------
function targets() {
  if (state.selected.size) return [...state.selected];
  if (state.layout === "grid") {
    const entry = state.list[state.listPos];
    return entry ? [entry.id] : [];
  }
  return [];
}

async function bulk(action, guidelines) {
  const ids = targets().slice(0, BULK_MAX);
  if (state.selected.size > BULK_MAX) say(`Only the first ${BULK_MAX} selected entries are sent at once.`);
  const generation = state.generation;
  const verb = { approve: "Approving", reject: "Rejecting", shortlist: "Shortlisting" }[action];
  say(`${verb} ${ids.length} ${ids.length === 1 ? "entry" : "entries"}…`);
  let result;
  try {
    result = await api.post(api.brandPath("bulk/"), { action, entries: ids, guidelines, note: "" }, { retries: 3 });
  } catch (error) {
    say(`Nothing was changed: ${error.message}`, { alert: true });
    return;
  }
  const done = new Set(result.done);
  for (const id of done) state.selected.delete(id);
  const removed = state.deck.filter((item) => done.has(item.entry.id));
  if (removed.length) {
    state.deck = state.deck.filter((item) => !done.has(item.entry.id));
    if (state.pos > state.deck.length) state.pos = state.deck.length;
  }
  const past = { approve: "Approved", reject: "Rejected", shortlist: "Shortlisted" }[action];
  let text = `${past} ${result.done.length} ${result.done.length === 1 ? "entry" : "entries"}.`;
  if (result.skipped.length) {
    const held = result.skipped.map((s) => (s.claimed_by ? `${s.reason} (${s.claimed_by})` : s.reason));
    text += ` ${result.skipped.length} not taken: ${[...new Set(held)].join("; ")}.`;
    const skippedById = Object.fromEntries(result.skipped.map((s) => [s.entry, s]));
    for (const entry of state.list) {
      const skip = skippedById[entry.id];
      if (skip && skip.claimed_by) entry.claimed_by = skip.claimed_by;
    }
  }
  if (generation !== state.generation) return;
  if (result.bulk && action !== "shortlist") {
    const until = performance.now() + UNDO_MS;
    state.undo.push({ kind: "bulk", result, until, items: removed });
    showUndo(text, until);
  } else {
    say(text, { alert: result.skipped.length > 0 && !result.done.length });
  }
  if (state.layout === "grid" || !deckMode()) {
    state.list = state.list.filter((entry) => !done.has(entry.id) || state.view === "done");
    if (state.listPos >= state.list.length) state.listPos = Math.max(0, state.list.length - 1);
    drawList();
  } else {
    showCurrent();
    topUp();
  }
  refreshCounts();
}

async function undoBulk(last) {
  if (performance.now() > last.until) {
    say("Too late to undo: those decisions have taken effect.", { alert: true });
    return;
  }
  window.clearInterval(countdown);
  $("queue-undo").hidden = true;
  try {
    const answer = await api.post(api.brandPath(`bulk/${last.result.bulk}/undo/`), {}, { retries: 3 });
    let text = `Undone: ${answer.undone.length} ${answer.undone.length === 1 ? "decision" : "decisions"}.`;
    if (answer.too_late.length) text += ` ${answer.too_late.length} had already taken effect.`;
    say(text);
    if (deckMode() && state.layout === "one" && last.items.length) {
      state.deck.splice(state.pos, 0, ...last.items);
      showCurrent();
    } else {
      refreshList();
    }
    refreshCounts();
  } catch (error) {
    say(`Could not undo: ${error.message}`, { alert: true });
  }
}

// --- Shortlist and reversals (Done) ----------------------------------------------------------------
async function shortlist() {
  if (state.selected.size || state.layout === "grid") {
    bulk("shortlist", []);
    return;
  }
  const item = current();
  if (!item) return;
  if (!["approved", "featured"].includes(item.entry.state)) {
    say("Only approved entries can be shortlisted: find them in Done (g d).", { alert: true });
    return;
  }
  try {
    const answer = await api.post(`/entries/${item.entry.id}/shortlist/`, {}, { retries: 3 });
    say(`Shortlisted the entry by ${item.entry.creator} for week ${answer.week}.`);
  } catch (error) {
    say(`Not shortlisted: ${error.message}`, { alert: true });
  }
}

const REVERSALS = {
  rejected: ["reopen", "Re-open this rejected entry"],
  removed: ["restore", "Restore this removed entry"],
  approved: ["withdraw_approval", "Withdraw this approval"],
  featured: ["withdraw_approval", "Withdraw this approval"],
};

function drawReversal() {
  const box = $("q-reversal");
  const item = current();
  if (item && state.view === "reported") {
    drawReports(box, item.entry);
    return;
  }
  if (!item || state.view !== "done") return;
  const { entry } = item;
  const decision = entry.last_decision;
  const open = decision && !decision.applied_at && !decision.undone_at;
  const mine = open && decision.moderator === config.me;
  const reversal = REVERSALS[entry.state];
  const parts = [];
  if (mine) {
    parts.push(el("button", { type: "button", className: "secondary", "data-act": "undo-entry" }, "Undo this decision"));
  } else if (open) {
    parts.push(el("p", { className: "help", text: "This decision takes effect shortly; its moderator can still undo it." }));
  } else if (reversal) {
    parts.push(el("button", { type: "button", className: "secondary", "data-act": "reverse", "data-action": reversal[0] }, `${reversal[1]}…`));
  }
  box.replaceChildren(...parts);
}

// --- Reported: the reasons and counts, keep or remove ---------------------------------------------
const REPORT_REASONS = { illegal: "Illegal content", depicted_person: "Shows someone who did not agree", minor: "Shows a minor" };

function drawReports(box, entry) {
  const reports = entry.reports || { count: 0, reasons: {}, details: [] };
  const reasons = Object.entries(reports.reasons).map(([reason, n]) => {
    const guideline = (entry.guidelines || []).find((g) => g.code === reason);
    const label = guideline ? `${guideline.number}. ${guideline.text}` : REPORT_REASONS[reason] || reason;
    return el("li", {}, `${label} × ${n}`);
  });
  const select = el("select", { id: "q-remove-guideline", "aria-label": "Guideline the entry breaks" },
    el("option", { value: "" }, "Remove citing…"),
    ...(entry.guidelines || []).map((g) => el("option", { value: g.code }, `${g.number}. ${g.text}`)));
  box.replaceChildren(
    el("div", { className: "q-reports" },
      el("p", {}, el("strong", { text: entry.state === "hidden" ? "Hidden after reports. " : "Still public. " }),
        `${reports.count} ${reports.count === 1 ? "report" : "reports"} since ${fmtTime(reports.first_at)}`),
      el("ul", {}, ...reasons),
      ...(reports.details.length ? [el("p", { className: "help", text: "What reporters wrote:" }),
        el("ul", { className: "q-report-details" }, ...reports.details.map((d) => el("li", { text: d })))] : []),
      el("div", { className: "row" },
        el("button", { type: "button", "data-act": "keep" }, entry.state === "hidden" ? "Keep (show it again)" : "Keep"),
        select,
        el("button", { type: "button", className: "danger", "data-act": "remove" }, "Remove")),
      el("p", { className: "error", id: "q-report-error", role: "alert" })));
}

async function resolveReported(act) {
  const item = current();
  if (!item) return;
  const { entry } = item;
  try {
    if (act === "keep") {
      await api.post(`/entries/${entry.id}/keep/`, {});
      say(`Kept: the entry by ${entry.creator} is public.`);
    } else {
      const code = $("q-remove-guideline").value;
      if (!code) {
        $("q-report-error").textContent = "Choose the guideline it breaks.";
        $("q-remove-guideline").setAttribute("aria-invalid", "true");
        $("q-remove-guideline").focus();
        return;
      }
      await api.post(`/entries/${entry.id}/remove/`, { guidelines: [code] });
      say(`Removed the entry by ${entry.creator}.`);
    }
    refreshList();
    refreshCounts(0);
  } catch (error) {
    $("q-report-error").textContent = error.message;
  }
}

// Undo from the Done view: the entry's own open decision, made here or on an earlier page.
async function undoDecisionOf(entry) {
  const decision = entry && entry.last_decision;
  if (!decision) return;
  const job = state.open.get(entry.id);
  if (job) {
    state.outbox = state.outbox.filter((other) => other !== job);
    state.undo = state.undo.filter((u) => u.kind !== "single" || u.job !== job);
  }
  try {
    const undone = await api.post(`/decisions/${decision.id}/undo/`, {}, { retries: 3 });
    state.open.delete(entry.id);
    entry.last_decision = undone;
    say(`Undone: the entry by ${entry.creator} is pending again.`);
    refreshList();
    refreshCounts();
  } catch (error) {
    say(`Could not undo: ${error.message}`, { alert: true });
  }
}

function askReason(action, label) {
  const item = current();
  if (!item) return;
  const dialog = $("reason-dialog");
  $("reason-heading").textContent = label;
  $("reason-text").value = "";
  $("reason-error").textContent = "";
  dialog.dataset.entry = item.entry.id;
  dialog.dataset.action = action;
  dialog.showModal();
}

async function submitReason(event) {
  event.preventDefault();
  const dialog = $("reason-dialog");
  const reason = $("reason-text").value.trim();
  if (!reason) {
    $("reason-error").textContent = "Say why, for the audit trail.";
    $("reason-text").setAttribute("aria-invalid", "true");
    return;
  }
  try {
    const entry = await api.post(`/entries/${dialog.dataset.entry}/reversal/`, { action: dialog.dataset.action, reason });
    dialog.close();
    say(`Done: the entry is now ${entry.state_label || entry.state}.`);
    refreshList();
    refreshCounts();
  } catch (error) {
    $("reason-error").textContent = error.message;
  }
}

// --- Appeals -------------------------------------------------------------------------------------------
// The current entry's open appeal: the fan's text, and Uphold / Reject with reasons for the fan.
// The moderator who made the contested decision sees it with the buttons disabled, and why.
function drawAppeal() {
  const item = current();
  if (!item || state.view !== "appeals") return;
  const { appeal } = item.entry;
  if (!appeal) return;
  $("q-appeal-when").textContent = `Sent ${fmtDate(appeal.created_at)}`;
  $("q-appeal-text").textContent = appeal.text;
  $("q-appeal-blocked").hidden = appeal.can_decide;
  $("q-appeal-error").textContent = "";
  const reasons = $("q-appeal-reasons");
  reasons.removeAttribute("aria-invalid");
  reasons.disabled = !appeal.can_decide;
  if (reasons.dataset.entry !== item.entry.id) reasons.value = "";
  reasons.dataset.entry = item.entry.id;
  for (const button of $("q-appeal-form").querySelectorAll("button")) {
    button.disabled = !appeal.can_decide;
    if (!appeal.can_decide) button.setAttribute("aria-describedby", "q-appeal-blocked");
    else button.removeAttribute("aria-describedby");
  }
}

async function decideAppeal(event) {
  event.preventDefault();
  const item = current();
  const button = event.submitter;
  if (!item || !button || state.view !== "appeals") return;
  const reasons = $("q-appeal-reasons");
  const text = reasons.value.trim();
  if (!text) {
    $("q-appeal-error").textContent = "Give the fan your reasons.";
    reasons.setAttribute("aria-invalid", "true");
    reasons.focus();
    return;
  }
  const body = { outcome: button.value, reasons: text };
  if (button.dataset.restore) body.restore_to = button.dataset.restore;
  try {
    const appeal = await api.post(`/entries/${item.entry.id}/appeal/decision/`, body);
    const outcome = appeal.status === "upheld"
      ? `Appeal upheld: the entry by ${item.entry.creator} is ${appeal.restored_to === "pending" ? "back in review" : "approved"}.`
      : `Appeal rejected: the entry by ${item.entry.creator} stays ${item.entry.state}.`;
    say(`${outcome} The fan is told why.`);
    reasons.value = "";
    refreshList();
    refreshCounts();
  } catch (error) {
    $("q-appeal-error").textContent = error.message;
    reasons.setAttribute("aria-invalid", "true");
  }
}

// --- Lists: the grid and the Done view -------------------------------------------------------------
function listQuery() {
  const params = new URLSearchParams({ view: state.view });
  for (const [name, value] of Object.entries(state.filters)) if (value) params.set(name, value);
  return params.toString();
}

function refreshList() {
  const generation = state.generation;
  state.listLoading = api.get(api.brandPath(`entries/?${listQuery()}`), { retries: 3 })
    .then((page) => {
      if (generation !== state.generation) return;
      state.list = page.results;
      state.listNext = page.next;
      if (state.listPos >= state.list.length) state.listPos = Math.max(0, state.list.length - 1);
      $("q-list-count").textContent = `${page.count} ${page.count === 1 ? "entry" : "entries"}`;
    })
    .catch((error) => say(`Could not load the list: ${error.message}`, { alert: true }))
    .finally(() => {
      if (generation !== state.generation) return;
      state.listLoading = null;
      drawList();
      pump();
    });
  return state.listLoading;
}

async function moreList() {
  if (!state.listNext || state.listLoading) return;
  const generation = state.generation;
  state.listLoading = api.get(state.listNext, { retries: 3 }).then((page) => {
    if (generation !== state.generation) return;
    state.list.push(...page.results);
    state.listNext = page.next;
  }).finally(() => { state.listLoading = null; drawList(); });
}

function drawList() {
  if (state.layout === "grid") {
    renderGrid($("q-grid-list"), { items: state.list, focus: state.listPos, selected: state.selected, me: config.me, hashtags });
    $("q-grid-more").hidden = !state.listNext;
    $("q-grid-empty").hidden = state.list.length > 0 || Boolean(state.listLoading);
    const cell = $("q-grid-list").children[state.listPos];
    if (cell && $("q-grid").contains(document.activeElement)) cell.focus();
  } else if (!deckMode()) {
    showCurrent();
    drawReversal();
    drawAppeal();
  }
  $("q-selection").textContent = state.selected.size ? `${state.selected.size} selected` : "";
}

function focusCell(index, { extend = false } = {}) {
  if (!state.list.length) return;
  const next = Math.max(0, Math.min(state.list.length - 1, index));
  if (extend) {
    state.selected.add(state.list[state.listPos].id);
    state.selected.add(state.list[next].id);
  }
  state.listPos = next;
  drawList();
  const cell = $("q-grid-list").children[next];
  if (cell) {
    cell.focus();
    cell.scrollIntoView({ block: "nearest" });
  }
  if (next >= state.list.length - 4) moreList();
}

// --- Views, filters, layout --------------------------------------------------------------------------
let countsTimer = null;
function refreshCounts(delay = 1500) {
  window.clearTimeout(countsTimer);
  countsTimer = window.setTimeout(() => {
    const params = new URLSearchParams();
    if (state.filters.campaign) params.set("campaign", state.filters.campaign);
    if (state.filters.kind) params.set("kind", state.filters.kind);
    api.get(api.brandPath(`views/?${params}`)).then(drawCounts).catch(() => undefined);
  }, delay);
}

function drawCounts(counts) {
  for (const [name, n] of Object.entries(counts)) {
    const badge = document.querySelector(`[data-count="${name}"]`);
    if (badge) badge.textContent = String(n);
  }
}

function reset() {
  state.generation += 1;
  state.resumed = false;
  state.booting = false;
  state.unpainted = [];
  release(state.deck.map((item) => item.entry.id));
  state.deck = [];
  state.pos = 0;
  state.claiming = 0;
  state.drainedAt = 0;
  state.list = [];
  state.listPos = 0;
  state.listNext = null;
  state.selected.clear();
  listItems.clear();
  state.prefix = null;
  state.typed = "";
  hideRejectPrompt();
}

function load() {
  if (state.layout === "grid" || !deckMode()) {
    view.empty("Loading entries…", "");
    refreshList();
  }
  if (deckMode()) topUp();
  showCurrent();
  refreshCounts(0);
  syncUrl();
}

function switchView(name) {
  if (name === state.view) return;
  reset();
  state.view = name;
  for (const tab of document.querySelectorAll("[data-view]")) {
    if (tab.dataset.view === name) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  $("q-view-name").textContent = {
    pending: "Pending", flagged: "Flagged", reported: "Reported", appeals: "Appeals", done: "Done",
  }[name];
  load();
  say(`${$("q-view-name").textContent}.`);
}

function setLayout(layout) {
  state.layout = layout;
  $("q-grid").hidden = layout !== "grid";
  for (const button of document.querySelectorAll("[data-layout]")) {
    button.setAttribute("aria-pressed", String(button.dataset.layout === layout));
  }
  if (layout === "grid") {
    $("q-one").hidden = true;
    $("q-empty").hidden = true;
    refreshList().then(() => { const cell = $("q-grid-list").children[state.listPos]; if (cell) cell.focus(); });
  } else {
    if (deckMode()) topUp();
    else refreshList();
    showCurrent();
  }
  syncUrl();
}

function applyFilters() {
  const filters = {
    campaign: $("q-campaign").value,
    kind: $("q-kind").value,
    q: $("q-search").value.trim(),
  };
  reset();
  state.filters = filters;
  if (filters.q && state.layout !== "grid") setLayout("grid");
  load();
}

function syncUrl() {
  const params = new URLSearchParams();
  if (state.view !== "pending") params.set("view", state.view);
  for (const [name, value] of Object.entries(state.filters)) if (value) params.set(name, value);
  if (state.layout === "grid") params.set("layout", "grid");
  const query = params.toString();
  window.history.replaceState(null, "", query ? `?${query}` : window.location.pathname);
}

// --- Leases follow the moderator -------------------------------------------------------------------
async function renew() {
  if (document.visibilityState !== "visible" || !state.deck.length) return;
  const generation = state.generation;
  try {
    const answer = await api.post(api.brandPath("queue/leases/"), { entries: state.deck.map((item) => item.entry.id) }, { retries: 2 });
    if (generation !== state.generation) return;
    const renewed = new Set(answer.renewed);
    for (const item of state.deck) if (renewed.has(item.entry.id)) item.entry.claim_expires_at = answer.expires_at;
    for (const lost of answer.lost) {
      const item = state.deck.find((other) => other.entry.id === lost.id);
      if (!item) continue;
      if (item === current()) {
        item.lost = lost;
      } else {
        state.deck = state.deck.filter((other) => other !== item);
        if (state.deck.indexOf(current()) < state.pos) state.pos = Math.max(0, state.pos - 1);
      }
    }
    showCurrent();
    topUp();
  } catch (error) {
    say(`Could not renew your hold on these entries: ${error.message}`, { alert: true });
  }
}

// --- Keys --------------------------------------------------------------------------------------------
const WAIT = Symbol("wait");

function showRejectPrompt() {
  $("q-reject-prompt").hidden = false;
  $("q-reject-typed").textContent = state.typed;
  $("guidelines").classList.add("choosing");
}

function hideRejectPrompt() {
  $("q-reject-prompt").hidden = true;
  $("guidelines").classList.remove("choosing");
}

function guidelinesOf() {
  if (state.selected.size || state.layout === "grid") {
    const first = state.list.find((e) => state.selected.has(e.id)) || state.list[state.listPos]
      || state.deck.find((item) => state.selected.has(item.entry.id))?.entry;
    return first ? first.guidelines || [] : [];
  }
  return current()?.entry.guidelines || [];
}

function reject(codes, pressedAt) {
  hideRejectPrompt();
  state.prefix = null;
  state.typed = "";
  if (state.selected.size || state.layout === "grid") bulk("reject", codes);
  else decide("reject", codes, pressedAt);
}

// Keys after r: 1–9 reject at once citing that guideline (unless a longer number starts with
// the digit), other characters build a number or code ended with Enter.
function rejectKey(token, pressedAt) {
  const guidelines = guidelinesOf();
  if (token === "Escape") {
    state.prefix = null;
    state.typed = "";
    hideRejectPrompt();
    say("Not rejected.");
    return;
  }
  if (token === "Backspace") {
    state.typed = state.typed.slice(0, -1);
    showRejectPrompt();
    return;
  }
  if (token === "Enter") {
    const typed = state.typed.trim().toLowerCase();
    const found = guidelines.find((g) => String(g.number) === typed || g.code.toLowerCase() === typed);
    if (found) reject([found.code], pressedAt);
    else {
      say(typed ? `No guideline ${typed} in this campaign.` : "Type a guideline's number or code first.", { alert: true });
      state.typed = "";
      showRejectPrompt();
    }
    return;
  }
  if (token.length !== 1) return;
  state.typed += token;
  const typed = state.typed.toLowerCase();
  if (/^\d+$/.test(typed)) {
    const exact = guidelines.find((g) => String(g.number) === typed);
    const longer = guidelines.some((g) => String(g.number).length > typed.length && String(g.number).startsWith(typed));
    if (exact && !longer) {
      reject([exact.code], pressedAt);
      return;
    }
  }
  showRejectPrompt();
}

function needsEntry() {
  if (state.layout === "grid") return state.list.length ? null : state.listLoading ? WAIT : "empty";
  if (current()) return null;
  if (deckMode() ? state.claiming > 0 : state.listLoading) return WAIT;
  return "empty";
}

function handle({ token, at }) {
  if (state.prefix === "r") return rejectKey(token, at);
  if (token.startsWith("Arrow") && state.layout !== "grid") return undefined;
  if (state.prefix === "g") {
    state.prefix = null;
    const target = { p: "pending", f: "flagged", r: "reported", a: "appeals", d: "done" }[token];
    if (target) switchView(target);
    else say("After g: p for Pending, f for Flagged, r for Reported, a for Appeals, d for Done.");
    return undefined;
  }
  if (state.prefix === "*") {
    state.prefix = null;
    if (token === "a") selectAll();
    else if (token === "n") selectNone();
    else say("After *: a selects all, n selects none.");
    return undefined;
  }
  switch (token) {
    case "?": openKeymap(); return undefined;
    case "/": $("q-search").focus(); $("q-search").select(); return undefined;
    case "g": case "*": state.prefix = token; return undefined;
    case "v": setLayout(state.layout === "grid" ? "one" : "grid"); return undefined;
    case "z": undoLast(); return undefined;
    case "Escape":
      if (state.selected.size) selectNone();
      return undefined;
    default: break;
  }
  const missing = needsEntry();
  if (missing === WAIT) {
    if (deckMode() && state.layout === "one" && performance.now() >= pace.starvedUntil) starved();
    return WAIT;
  }
  if (missing === "empty") {
    if (["a", "r", "s", "x", "j", "k", "o"].includes(token)) say("There is no entry here to act on.");
    return undefined;
  }
  const grid = state.layout === "grid";
  switch (token) {
    case "a":
      if (state.view === "appeals" && !grid && !state.selected.size) {
        say("Decide the appeal with the buttons below, giving the fan your reasons.");
      } else if (!deckMode() && !grid && !state.selected.size) {
        say("This entry is decided already; use the buttons below.");
      } else if (state.selected.size || grid) bulk("approve", []);
      else decide("approve", [], at);
      break;
    case "r":
      if (state.view === "appeals" && !grid && !state.selected.size) {
        say("Decide the appeal with the buttons below, giving the fan your reasons.");
        break;
      }
      if (!deckMode() && !grid && !state.selected.size) {
        say("This entry is decided already; use the buttons below.");
        break;
      }
      if (!guidelinesOf().length) {
        say("This campaign has no guidelines to cite.", { alert: true });
        break;
      }
      state.prefix = "r";
      state.typed = "";
      showRejectPrompt();
      break;
    case "s": shortlist(); break;
    case "x": toggleSelect(); break;
    case "j": case "ArrowDown": case "ArrowRight": move(1, false, at); break;
    case "k": case "ArrowUp": case "ArrowLeft": move(-1, false, at); break;
    case "J": move(1, true, at); break;
    case "K": move(-1, true, at); break;
    case "o": openOriginal(); break;
    case "Enter":
      if (grid && !deckMode()) setLayout("one");
      break;
    default: break;
  }
  return undefined;
}

function move(step, extend, at) {
  if (state.layout === "grid") {
    focusCell(state.listPos + step, { extend });
    return;
  }
  const here = current();
  if (extend && here) state.selected.add(here.entry.id);
  if (!deckMode()) {
    const next = state.listPos + step;
    if (next < 0 || next >= state.list.length) {
      if (next >= state.list.length) moreList();
      say(step > 0 ? "That is the last one loaded." : "That is the first one.");
      return;
    }
    state.listPos = next;
    if (extend) state.selected.add(state.list[next].id);
    showCurrent(at);
    drawReversal();
    drawAppeal();
    return;
  }
  const next = state.pos + step;
  if (next < 0) {
    say("That is the first one.");
    return;
  }
  if (next >= state.deck.length) {
    say("No more entries ready yet.");
    topUp();
    return;
  }
  state.pos = next;
  if (extend) state.selected.add(state.deck[next].entry.id);
  // Entries passed long ago go back to the pool.
  if (state.pos > BEHIND_MAX) {
    const passed = state.deck.splice(0, state.pos - BEHIND_MAX);
    state.pos = BEHIND_MAX;
    release(passed.map((item) => item.entry.id));
  }
  showCurrent(at);
  topUp();
}

function toggleSelect() {
  const id = state.layout === "grid" ? state.list[state.listPos]?.id : current()?.entry.id;
  if (!id) return;
  if (state.selected.has(id)) state.selected.delete(id);
  else state.selected.add(id);
  say(state.selected.has(id) ? `Selected (${state.selected.size}).` : `Unselected (${state.selected.size}).`);
  if (state.layout === "grid") drawList();
  else markSelected(id);
  $("q-selection").textContent = state.selected.size ? `${state.selected.size} selected` : "";
}

function selectAll() {
  const ids = state.layout === "grid" || !deckMode() ? state.list.map((e) => e.id) : state.deck.map((item) => item.entry.id);
  for (const id of ids.slice(0, BULK_MAX)) state.selected.add(id);
  say(`Selected ${state.selected.size}.`);
  drawList();
  if (current()) markSelected(current().entry.id);
}

function selectNone() {
  state.selected.clear();
  say("Selection cleared.");
  drawList();
  if (current()) markSelected(current().entry.id);
}

function openOriginal() {
  const entry = state.layout === "grid" ? state.list[state.listPos] : current()?.entry;
  if (!entry) return;
  const url = entry.original_url || config.original_url.replace("00000000-0000-0000-0000-000000000000", entry.id);
  window.open(url, "_blank", "noopener");
}

function pump() {
  while (state.keys.length) {
    if (handle(state.keys[0]) === WAIT) return;
    state.keys.shift();
  }
}

const keymap = () => $("keymap");
function openKeymap() {
  if (!keymap().open) keymap().showModal();
}

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented) return;
  if (document.querySelector("dialog[open]")) return; // the dialog has the keys (Esc closes it)
  if (isTyping(event.target)) {
    if (event.key === "Escape") event.target.blur();
    return;
  }
  const token = tokenOf(event);
  if (!token) return;
  // Arrows, Enter and Esc keep their usual meaning (scrolling, buttons, links) unless the queue
  // has a use for them right now.
  const grid = state.layout === "grid" && Boolean(event.target.closest && event.target.closest("#q-grid"));
  const known = state.prefix !== null
    || state.keys.length > 0 // behind a waiting key: its meaning depends on the keys before it
    || (token.length === 1 && "?/gv*zajkrsxoJK".includes(token))
    || (token.startsWith("Arrow") && grid)
    || (token === "Enter" && grid)
    || (token === "Escape" && state.selected.size > 0);
  if (!known) return;
  event.preventDefault();
  state.keys.push({ token, at: performance.now() });
  pump();
});

// --- Wiring --------------------------------------------------------------------------------------------
function wire() {
  document.documentElement.classList.add("queue-live");
  for (const node of document.querySelectorAll("[data-js-only]")) node.hidden = false;
  for (const node of document.querySelectorAll("[data-no-js]")) node.hidden = true;
  for (const tab of document.querySelectorAll("[data-view]")) {
    tab.addEventListener("click", (event) => {
      event.preventDefault();
      switchView(tab.dataset.view);
    });
  }
  for (const button of document.querySelectorAll("[data-layout]")) {
    button.addEventListener("click", () => setLayout(button.dataset.layout));
  }
  $("q-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    applyFilters();
  });
  for (const id of ["q-campaign", "q-kind"]) $(id).addEventListener("change", applyFilters);
  $("queue-undo").addEventListener("click", () => undoLast());
  $("keys-help").addEventListener("click", openKeymap);
  $("keymap-close").addEventListener("click", () => keymap().close());
  $("reason-form").addEventListener("submit", submitReason);
  $("q-appeal-form").addEventListener("submit", decideAppeal);
  $("reason-cancel").addEventListener("click", () => $("reason-dialog").close());
  $("q-reversal").addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.act === "undo-entry") undoDecisionOf(current()?.entry);
    else if (button.dataset.act === "keep" || button.dataset.act === "remove") resolveReported(button.dataset.act);
    else if (button.dataset.act === "reverse") askReason(button.dataset.action, button.textContent.replace("…", ""));
  });
  $("q-grid-more").addEventListener("click", moreList);
  // Focus that arrives in the grid some other way (Tab, a screen reader) moves its cursor too.
  $("q-grid-list").addEventListener("focusin", (event) => {
    const cell = event.target.closest("[role=option]");
    if (!cell || Number(cell.dataset.index) === state.listPos) return;
    for (const other of $("q-grid-list").children) {
      other.classList.toggle("focused", other === cell);
      other.tabIndex = other === cell ? 0 : -1;
    }
    state.listPos = Number(cell.dataset.index);
  });
  $("q-grid-list").addEventListener("click", (event) => {
    const cell = event.target.closest("[role=option]");
    if (!cell) return;
    state.listPos = Number(cell.dataset.index);
    toggleSelect();
    cell.focus();
  });
  // The form's buttons do what their keys do; the form posts only without this script.
  $("decision-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const button = event.submitter;
    const at = performance.now();
    if (!button) return;
    if (button.value === "approve") state.keys.push({ token: "a", at });
    else if (button.value === "reject") {
      const ticked = [...document.querySelectorAll('#q-guidelines input[name="guidelines"]:checked')].map((b) => b.value);
      if (ticked.length) {
        decide("reject", ticked, at);
        return;
      }
      state.keys.push({ token: "r", at });
    } else if (button.dataset.skip !== undefined) {
      skipCurrent();
      return;
    }
    pump();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") renew();
  });
  window.setInterval(renew, RENEW_EVERY_MS);
  window.addEventListener("pagehide", () => {
    // Decisions still waiting their turn go now, with requests that outlive the page.
    for (const job of state.outbox.splice(0)) {
      api.postOnLeaving(`/entries/${job.item.entry.id}/decision/`, decisionBody(job));
    }
    api.beaconRelease(state.deck.map((item) => item.entry.id));
  });
}

function skipCurrent() {
  const item = current();
  if (!item || !deckMode()) return;
  state.deck.splice(state.pos, 1);
  release([item.entry.id]);
  state.skipped = [...state.skipped, item.entry.id].slice(-100);
  say(`Skipped. Another moderator can take the entry by ${item.entry.creator}.`);
  showCurrent();
  topUp();
}

wire();
if (config.layout === "grid") setLayout("grid");
load();
