// A tiny client-side router: links marked data-nav change the URL with pushState and set the
// title in the same task, as real single-page apps do.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-nav]");
  if (!link) return;
  event.preventDefault();
  history.pushState({}, "", link.getAttribute("href"));
  document.title = link.dataset.title;
  document.querySelector("#view").textContent = link.dataset.title;
});
