// Upload with a real progress bar: the same form, sent with XMLHttpRequest so the browser
// reports the bytes sent. Without JavaScript the form posts normally.
const form = document.getElementById("entry-form");
if (form && window.XMLHttpRequest && window.FormData) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const box = document.getElementById("upload-progress");
    const bar = document.getElementById("upload-bar");
    const status = document.getElementById("upload-status");
    const button = form.querySelector("button[type=submit]");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const pct = Math.round((e.loaded / e.total) * 100);
      bar.value = pct;
      status.textContent = `${pct}% sent`;
    });
    xhr.addEventListener("load", () => {
      if (xhr.responseURL && xhr.responseURL !== window.location.href && xhr.status < 400) {
        window.location.assign(xhr.responseURL);
        return;
      }
      // Validation errors: show the page the server rendered, errors next to their fields.
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", () => {
      status.textContent = "The upload failed. Check your connection and try again.";
      button.disabled = false;
    });
    box.hidden = false;
    button.disabled = true;
    status.textContent = "Starting upload…";
    xhr.send(new FormData(form));
  });
}
