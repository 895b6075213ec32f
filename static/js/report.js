// The report page: a live count of the characters left in the details box.
const details = document.getElementById("id_details");
const count = document.getElementById("details-count");
if (details && count) {
  const max = Number(details.getAttribute("maxlength")) || 1000;
  const update = () => {
    const left = max - details.value.length;
    count.textContent = `${left} characters left.`;
  };
  details.addEventListener("input", update);
  update();
}
