// Drawing the queue: the one-entry view and the grid. Text from fans goes in as text, never as HTML.

const $ = (id) => document.getElementById(id);

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateFmt = new Intl.DateTimeFormat(undefined, {
  day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
});

export const fmtTime = (iso) => (iso ? timeFmt.format(new Date(iso)) : "");
export const fmtDate = (iso) => (iso ? dateFmt.format(new Date(iso)) : "");

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// The rendition to show at `cssWidth` CSS pixels: the smallest at least that wide on this screen
// (WebP where there is one), or the largest there is.
export function pickRendition(renditions, cssWidth) {
  const still = renditions.filter((r) => r.format === "webp" || r.format === "jpeg");
  const webp = still.filter((r) => r.format === "webp");
  const pool = (webp.length ? webp : still).slice().sort((a, b) => a.width - b.width);
  if (!pool.length) return null;
  const need = cssWidth * (window.devicePixelRatio || 1);
  return pool.find((r) => r.width >= need) || pool[pool.length - 1];
}

export function videoOf(renditions) {
  return renditions.find((r) => r.format === "mp4") || null;
}

// A live hold by someone else ("Held by a@b until 12:40"), or "".
export function holdText(entry, me, now = Date.now()) {
  if (!entry.claimed_by || entry.claimed_by === me || !entry.claim_expires_at) return "";
  if (new Date(entry.claim_expires_at).getTime() <= now) return "";
  return `Held by ${entry.claimed_by} until ${fmtTime(entry.claim_expires_at)}`;
}

const ACTION_DONE = { approve: "Approved", reject: "Rejected", remove: "Removed" };

export function decisionText(decision) {
  if (!decision) return "";
  const what = ACTION_DONE[decision.action] || decision.action;
  const cited = decision.guidelines && decision.guidelines.length ? ` citing ${decision.guidelines.join(", ")}` : "";
  let when = `${fmtDate(decision.created_at)}`;
  if (decision.undone_at) when += ` · undone at ${fmtTime(decision.undone_at)}`;
  else if (!decision.applied_at && decision.effective_at) when += ` · takes effect at ${fmtTime(decision.effective_at)}`;
  return `${what} by ${decision.moderator}${cited}, ${when}`;
}

// The decision an appeal contests ("Rejected by a@b citing safe: note"), or an automatic rule's.
export function contestedText(appeal) {
  if (!appeal) return "";
  const { decision } = appeal;
  const what = ACTION_DONE[decision.action] || decision.action;
  const cited = decision.guidelines.length ? ` citing ${decision.guidelines.join(", ")}` : "";
  const note = decision.note ? ` (“${decision.note}”)` : "";
  return `${what} by ${appeal.contested_by}${cited}${note}`;
}

export class EntryView {
  constructor(config) {
    this.config = config;
    this.hashtags = Object.fromEntries(config.campaigns.map((c) => [c.slug, c.hashtag]));
  }

  // Fill the one-entry view with `item` ({entry, img}); the picture is the element preloaded
  // and decoded for it, moved in as it is.
  show(item, { view, banner, hold }) {
    const { entry } = item;
    $("q-one").hidden = false;
    $("q-empty").hidden = true;
    $("q-one").dataset.entry = entry.id;
    const figure = $("q-figure");
    const video = videoOf(entry.renditions);
    if (video) {
      const poster = pickRendition(entry.renditions, 1600);
      figure.replaceChildren(el("video", {
        controls: true, preload: "metadata", playsinline: true, src: video.url, poster: poster && poster.url,
        width: video.width, height: video.height, "aria-label": entry.alt_text,
      }));
    } else if (item.img) {
      figure.replaceChildren(item.img);
    } else {
      figure.replaceChildren(el("p", { className: "error", text: "This entry has no picture to show." }));
    }
    $("q-hashtag").textContent = this.hashtags[entry.campaign] || entry.campaign;
    $("q-creator").textContent = entry.creator;
    const caption = $("q-caption");
    if (entry.caption) caption.replaceChildren(entry.caption);
    else caption.replaceChildren(el("span", { className: "muted", text: "No caption" }));
    $("q-alt").textContent = entry.alt_text;
    const sent = $("q-sent");
    sent.replaceChildren(el("time", { datetime: entry.created_at, text: fmtDate(entry.created_at) }));
    $("q-original-summary").replaceChildren(...summaryNodes(entry.original_summary));
    const original = $("q-original");
    original.href = entry.original_url || this.config.original_url.replace("00000000-0000-0000-0000-000000000000", entry.id);
    $("q-history").href = this.config.entry_url.replace("00000000-0000-0000-0000-000000000000", entry.id);
    this.flags(entry);
    this.versions(entry.history || []);
    $("q-hold-label").textContent = hold ? "Held by" : "Reserved until";
    $("q-hold").textContent = hold || fmtTime(entry.claim_expires_at);
    $("q-hold-row").hidden = !(hold || (view !== "done" && entry.claim_expires_at));
    const decided = $("q-decision-row");
    decided.hidden = view !== "done" && view !== "appeals";
    if (view === "done") $("q-decision").textContent = decisionText(entry.last_decision);
    if (view === "appeals") $("q-decision").textContent = contestedText(entry.appeal);
    const note = $("q-banner");
    note.hidden = !banner;
    note.textContent = banner || "";
    this.guidelines(entry.guidelines || []);
    $("decision-form").action = this.config.decide_url.replace("00000000-0000-0000-0000-000000000000", entry.id);
    $("decision-form").hidden = view === "done" || view === "appeals" || view === "reported";
    $("q-reversal").hidden = view !== "done" && view !== "reported";
    $("q-appeal").hidden = view !== "appeals";
  }

  flags(entry) {
    const row = $("q-flag-row");
    const parts = [];
    if (entry.duplicate) {
      parts.push(el("strong", { text: entry.duplicate.exact ? "Same file as " : "Looks like " }));
      parts.push(el("a", {
        href: this.config.entry_url.replace("00000000-0000-0000-0000-000000000000", entry.duplicate.earlier_id),
        text: "an earlier entry",
      }));
    }
    for (const flag of entry.flags || []) {
      if (flag && flag.kind === "duplicate") continue; // shown above, with its link
      if (parts.length) parts.push(" · ");
      if (flag && flag.kind === "rule") {
        // An automatic rule: what it did, and why, in one plain sentence.
        parts.push(el("strong", { text: `${flag.action} ` }), String(flag.why || flag.rule_kind));
        continue;
      }
      parts.push(typeof flag === "string" ? flag : String(flag.label || flag.rule || flag.kind || "flagged"));
    }
    row.hidden = !parts.length;
    $("q-flag").replaceChildren(...parts);
  }

  // A new version of a rejected entry: when and why each earlier one was rejected, its caption, a link.
  versions(history) {
    const row = $("q-resubmit-row");
    if (!row) return;
    row.hidden = !history.length;
    $("q-resubmit").replaceChildren(...history.map((v, i) => {
      const d = v.decision;
      const reasons = d ? d.guidelines.map((g) => `“${g.text}”`).join("; ") : "";
      return el("p", { className: "resubmitted" },
        i === 0 ? el("strong", { text: "New version" }) : "Which was itself a new version",
        " of an entry rejected",
        d ? ` on ${fmtDate(d.created_at)} for: ${reasons}` : "",
        d && d.automated ? " (by an automatic rule)" : "",
        d && d.note ? el("br") : null,
        d && d.note ? `Note to the fan: “${d.note}”` : null,
        el("br"),
        "Its caption: ",
        v.caption ? `“${v.caption}”` : el("span", { className: "muted", text: "none" }),
        " · ",
        el("a", {
          href: this.config.entry_url.replace("00000000-0000-0000-0000-000000000000", v.id),
          text: "see the previous entry",
        }));
    }));
  }

  guidelines(list) {
    const ul = $("q-guidelines");
    if (!list.length) {
      ul.replaceChildren(el("li", { className: "muted", text: "This campaign has no active guidelines." }));
      return;
    }
    ul.replaceChildren(...list.map((g) => el("li", {},
      el("input", {
        type: "checkbox", name: "guidelines", value: g.code, id: `guideline-${g.code}`,
        "data-number": g.number, "data-label": `${g.number}. ${g.text}`,
      }),
      el("label", { for: `guideline-${g.code}` },
        g.number <= 9 ? el("kbd", { "aria-hidden": "true", text: String(g.number) }) : null,
        ` ${g.number}. ${g.text} `,
        el("code", { text: g.code }),
        g.fixable ? " " : null,
        g.fixable ? el("span", { className: "fixable", text: "fixable", title: "The fan can send a new version" }) : null),
    )));
  }

  empty(heading, text) {
    $("q-one").hidden = true;
    $("q-empty").hidden = false;
    $("q-empty-heading").textContent = heading;
    $("q-empty-text").textContent = text;
    $("q-empty-actions").hidden = !text;
  }
}

function summaryNodes(summary) {
  const s = summary || {};
  const nodes = [];
  nodes.push(s.camera ? s.camera : el("span", { className: "muted", text: "No camera named" }));
  if (s.captured_at) nodes.push(` · captured ${s.captured_at}`);
  if (s.has_location) nodes.push(" · ", el("strong", { text: "carries a location" }));
  if (s.software) nodes.push(` · software: ${s.software}`);
  if (s.content_credentials) nodes.push(" · has content credentials (C2PA)");
  return nodes;
}

// The grid: one cell per entry, a listbox the moderator moves through with j/k and selects with x.
export function renderGrid(list, { items, focus, selected, me, hashtags }) {
  const cells = items.map((entry, index) => {
    const thumb = pickRendition(entry.renditions, 160);
    const hold = holdText(entry, me);
    const decided = entry.last_decision ? decisionText(entry.last_decision) : "";
    const cell = el("li", {
      role: "option",
      id: `cell-${entry.id}`,
      "data-index": index,
      "aria-selected": selected.has(entry.id) ? "true" : "false",
      tabindex: index === focus ? "0" : "-1",
      className: `cell${index === focus ? " focused" : ""}${hold ? " held" : ""}`,
    },
    thumb
      ? el("img", { src: thumb.url, alt: entry.alt_text, width: thumb.width, height: thumb.height, loading: "lazy", decoding: "async" })
      : el("span", { className: "thumb-missing", text: entry.kind === "video" ? "Video" : "No picture" }),
    el("span", { className: "cell-text" },
      el("span", { className: "cell-who", text: entry.creator }),
      entry.caption ? el("span", { className: "cell-caption", text: entry.caption }) : null,
      el("span", { className: "cell-campaign", text: hashtags[entry.campaign] || entry.campaign }),
      el("span", { className: `state state-${entry.state}`, text: entry.state_label || entry.state }),
      entry.kind === "video" ? el("span", { className: "state", text: "video" }) : null,
      hold ? el("span", { className: "cell-hold", text: hold }) : null,
      decided ? el("span", { className: "cell-decision", text: decided }) : null));
    return cell;
  });
  list.replaceChildren(...cells);
}
