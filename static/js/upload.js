// Direct upload with real progress: ask Fanfare for a one-time slot, send the bytes straight to
// storage (the S3 bucket, or Fanfare when media is local) while a progress bar counts them, tell
// Fanfare the upload is complete, then follow the entry's processing until it is in review or
// rejected. Without JavaScript the same form posts the file to Fanfare normally.
const form = document.getElementById("entry-form");
const TYPES_BY_EXTENSION = {
  heic: "image/heic", heif: "image/heif", jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png",
  webp: "image/webp", gif: "image/gif", mp4: "video/mp4", mov: "video/quicktime", webm: "video/webm",
};

function csrfToken() {
  const input = form.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function contentTypeOf(file) {
  if (file.type) return file.type;
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return TYPES_BY_EXTENSION[ext] || "application/octet-stream";
}

// Field errors go next to their field; a bare `detail` (403, 404, 429…) or a body that is not
// JSON at all (a proxy's 502, a 500 page) goes next to the file field, so something is always said.
function errorsToShow(errors, status) {
  const body = errors && typeof errors === "object" ? errors : {};
  const fields = Object.fromEntries(Object.entries(body).filter(([field]) => field !== "detail"));
  if (Object.keys(fields).length) return fields; // a DomainError's `detail` repeats its field message
  if (typeof body.detail === "string" && body.detail) return { file: [body.detail] };
  const code = status ? ` (HTTP ${status})` : "";
  return { file: [`Something went wrong${code}. Reload the page and try again.`] };
}

function showErrors(errors, status) {
  form.querySelectorAll(".js-error").forEach((node) => node.remove());
  let first = null;
  for (const [field, messages] of Object.entries(errorsToShow(errors, status))) {
    const input = form.querySelector(`[name=${CSS.escape(field)}]`) || form.querySelector("[name=file]");
    const list = document.createElement("ul");
    list.className = "errorlist js-error";
    list.id = `id_${field}_error`;
    list.setAttribute("role", "alert");
    for (const message of [].concat(messages)) {
      const item = document.createElement("li");
      item.textContent = message;
      list.appendChild(item);
    }
    input.closest(".field").appendChild(list);
    input.setAttribute("aria-describedby", list.id);
    first = first || input;
  }
  if (first) first.focus();
}

async function api(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
    body: JSON.stringify(body),
  });
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error("refused"), { errors: data, status: response.status });
  return data;
}

function sendBytes(target, file, onProgress) {
  return new Promise((resolve, reject) => {
    const data = new FormData();
    for (const [key, value] of Object.entries(target.fields || {})) data.append(key, value);
    data.append(target.file_field, file);
    const xhr = new XMLHttpRequest();
    xhr.open(target.method, target.url);
    if (target.url.startsWith("/")) xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.upload.addEventListener("progress", (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    xhr.addEventListener("load", () => {
      if (xhr.status < 300) return resolve();
      let errors = { file: ["The upload was refused. Please try again."] };
      try { errors = JSON.parse(xhr.responseText); } catch (_) { /* S3 answers in XML */ }
      reject(Object.assign(new Error("upload"), { errors, status: xhr.status }));
    });
    xhr.addEventListener("error", () => reject(Object.assign(new Error("network"), {
      errors: { file: ["The upload failed. Check your connection and try again."] },
    })));
    xhr.send(data);
  });
}

async function follow(entry, status, bar) {
  bar.removeAttribute("value"); // indeterminate while the server works
  for (;;) {
    status.textContent = entry.state_explanation;
    if (!["uploaded", "processing"].includes(entry.state)) break;
    await new Promise((r) => setTimeout(r, 1500));
    const response = await fetch(`/api/v1/entries/${entry.id}/`, { credentials: "same-origin" });
    if (response.ok) entry = await response.json();
  }
  window.location.assign(`/e/${entry.id}/`);
}

// The caption, description and consent as the API takes them.
function details() {
  return {
    caption: form.querySelector("[name=caption]").value,
    alt_text: form.querySelector("[name=alt_text]").value,
    consent: form.querySelector("[name=consent]").checked,
  };
}

if (form && window.fetch && window.FormData) {
  // A new version of a rejected entry (the form carries data-resubmit-url): the file is optional.
  const resubmitUrl = form.dataset.resubmitUrl;
  form.addEventListener("submit", async (event) => {
    const file = form.querySelector("[name=file]").files[0];
    if (!file && !resubmitUrl) return; // let the server say what is missing
    event.preventDefault();
    const box = document.getElementById("upload-progress");
    const bar = document.getElementById("upload-bar");
    const status = document.getElementById("upload-status");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    box.hidden = false;
    status.textContent = file ? "Preparing the upload…" : "Sending your new version…";
    try {
      let slot = null;
      if (file) {
        slot = await api(form.dataset.slotsUrl, {
          content_type: contentTypeOf(file), size: file.size, resubmission: Boolean(resubmitUrl),
        });
        await sendBytes(slot.upload, file, (done) => {
          bar.value = Math.round(done * 100);
          status.textContent = `${Math.round(done * 100)}% sent`;
        });
        status.textContent = "Checking your file…";
      }
      const entry = resubmitUrl
        ? await api(resubmitUrl, { ...details(), slot: slot ? slot.id : null })
        : await api(slot.complete_url, details());
      await follow(entry, status, bar);
    } catch (error) {
      box.hidden = true;
      button.disabled = false;
      showErrors(error.errors, error.status); // no errors (e.g. offline): the generic message
    }
  });
}
