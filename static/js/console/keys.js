// Keyboard plumbing for the console queue: which keys count, and when they are off.

// Shortcuts are off while the moderator types (search, note, reason fields) and when a modifier
// other than Shift is held, so browser and screen-reader shortcuts keep working.
export function isTyping(el) {
  if (!el || el === document.body) return false;
  if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
  if (el.tagName !== "INPUT") return false;
  return !["checkbox", "radio", "button", "submit", "reset"].includes(el.type);
}

// The key as the queue reads it: "a", "J" (Shift+j), "?", "Enter", "Escape", "Backspace"…
export function tokenOf(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  const { key } = event;
  if (["Enter", "Escape", "Backspace", "ArrowDown", "ArrowUp", "ArrowLeft", "ArrowRight"].includes(key)) return key;
  if (key.length !== 1 || key === " ") return null;
  if (/^[a-z]$/i.test(key)) return event.shiftKey ? key.toUpperCase() : key.toLowerCase();
  return key;
}
