// The appeal form's character counter: how many of the 2,000 characters are left.
const field = document.querySelector("textarea[data-counter]");
const counter = field && document.getElementById(field.dataset.counter);
if (field && counter) {
  const max = Number(counter.dataset.max);
  const template = counter.textContent.replace(String(max), "{n}");
  field.setAttribute("aria-describedby", `${field.getAttribute("aria-describedby") || ""} ${counter.id}`.trim());
  const update = () => {
    const left = max - field.value.length;
    counter.textContent = template.replace("{n}", String(left));
    counter.classList.toggle("error", left < 0);
  };
  field.addEventListener("input", update);
  update();
}
