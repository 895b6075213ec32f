// Keyboard-driven moderation queue: a approve, r reject, s skip, 1–9 tick guideline N.
// Shortcuts are off while the moderator types (note field, any text input) and when a
// modifier key is held, so browser and screen-reader shortcuts keep working.
const form = document.getElementById("decision-form");
if (form) {
  const hint = document.getElementById("queue-hint");
  const boxes = () => [...form.querySelectorAll('input[type=checkbox][name="guidelines"]')];
  const button = (key) => form.querySelector(`button[data-shortcut="${key}"]`);
  const say = (text) => {
    // Clear first so the same text is announced again by the live region.
    hint.textContent = "";
    window.setTimeout(() => { hint.textContent = text; }, 50);
  };

  const isTyping = (el) => {
    if (!el) return false;
    if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    if (el.tagName !== "INPUT") return false;
    return !["checkbox", "radio", "button", "submit", "reset"].includes(el.type);
  };

  let sent = false;
  const submitWith = (btn) => {
    if (!btn || sent) return;
    sent = true; // one decision per page: a held key must not post twice
    btn.click(); // submits with the button's name, value and formaction
  };

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const key = event.key.toLowerCase();
    if (key === "a") {
      event.preventDefault();
      submitWith(button("a"));
    } else if (key === "r") {
      event.preventDefault();
      const all = boxes();
      if (all.some((box) => box.checked)) {
        submitWith(button("r"));
      } else if (all.length) {
        all[0].focus();
        say("Tick at least one guideline (keys 1 to 9), then press r again.");
      } else {
        say("This campaign has no guidelines to cite.");
      }
    } else if (key === "s") {
      event.preventDefault();
      submitWith(button("s"));
    } else if (/^[1-9]$/.test(event.key)) {
      const box = boxes().find((b) => b.dataset.number === event.key);
      if (!box) return;
      event.preventDefault();
      box.checked = !box.checked;
      say(`${box.checked ? "Ticked" : "Unticked"}: ${box.dataset.label || box.value}`);
    }
  });
}
