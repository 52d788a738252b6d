// Runs inside the sandboxed in-app frame: reports button presses to the page.
addEventListener("click", (event) => {
  const button = event.target.closest("[data-waymark-button]");
  if (button) parent.postMessage({ waymark: "button", id: button.getAttribute("data-waymark-button") }, "*");
});
