// A tiny client-side router: links marked data-nav change the URL with pushState and set the
// title in the same task, as real single-page apps do; back and forward re-render the same way.
const render = (title) => {
  document.title = title;
  let screen = document.querySelector("#screen");
  if (!screen) {
    screen = document.createElement("p");
    screen.id = "screen";
    document.querySelector("#view").append(screen);
  }
  screen.textContent = title;
};

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-nav]");
  if (!link) return;
  event.preventDefault();
  history.pushState({ title: link.dataset.title }, "", link.getAttribute("href"));
  render(link.dataset.title);
});

addEventListener("popstate", (event) => render(event.state ? event.state.title : "App"));
