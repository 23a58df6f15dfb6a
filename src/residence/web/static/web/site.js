// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // A form came back with problems: take the reader (and a screen reader) to the summary.
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
  }

  // A long check (a bulk file): say that the server is working, once the form is sent.
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var note = form.querySelector("[data-progress-message]");
      if (note) note.hidden = false;
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
    });
  });
});
