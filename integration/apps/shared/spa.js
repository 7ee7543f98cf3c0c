// A tiny client-side router: links marked data-nav change the URL with pushState and set the
// title in the same task, as real single-page apps do; the links stay on the page.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-nav]");
  if (!link) return;
  event.preventDefault();
  history.pushState({}, "", link.getAttribute("href"));
  document.title = link.dataset.title;
  let screen = document.querySelector("#screen");
  if (!screen) {
    screen = document.createElement("p");
    screen.id = "screen";
    document.querySelector("#view").append(screen);
  }
  screen.textContent = link.dataset.title;
});
