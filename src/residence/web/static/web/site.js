// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // A form came back with problems: take the reader (and a screen reader) to the summary.
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
  }

  // A summary link to a question of choices: show the question (its legend) with its first choice,
  // not the choice alone at the top of the screen.
  document.querySelectorAll(".error-summary a[href^='#']").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var input = document.getElementById(link.getAttribute("href").slice(1));
      var fieldset = input && input.type === "radio" && input.closest("fieldset");
      if (!fieldset) return;
      event.preventDefault();
      fieldset.scrollIntoView({ block: "start" });
      input.focus({ preventScroll: true });
    });
  });

  // Long work done a part per request (a point's move): the next part is asked for at once.
  var next = document.querySelector("form[data-auto-submit]");
  if (next) next.submit();

  // The language switch is a link, and what was typed on the page was lost on the way (an
  // outsider's); so it was at the idle sign-out below. It is kept in this tab for the same page
  // (in the other language, or after signing in again), filled in there and forgotten at once;
  // passwords are not kept.
  var kept = "typed-kept:" + location.pathname;
  var fields = function () {
    return document.querySelectorAll("main form input[name], main form select[name], main form textarea[name]");
  };
  var keepTyped = function () {
    var typed = [];
    fields().forEach(function (field) {
      if (["password", "hidden", "file", "submit"].indexOf(field.type) >= 0) return;
      var box = field.type === "checkbox" || field.type === "radio";
      typed.push({ name: field.name, value: field.value, checked: box ? field.checked : null });
    });
    try {
      sessionStorage.setItem(kept, JSON.stringify(typed));
    } catch (error) {
      // Storage refused (a private window): the page goes on without it.
    }
  };
  document.querySelectorAll("a[data-language-switch]").forEach(function (link) {
    link.addEventListener("click", keepTyped);
  });
  var typedBefore = null;
  try {
    typedBefore = sessionStorage.getItem(kept);
    sessionStorage.removeItem(kept);
  } catch (error) {
    typedBefore = null;
  }
  if (typedBefore) {
    JSON.parse(typedBefore).forEach(function (entry) {
      fields().forEach(function (field) {
        if (field.name !== entry.name) return;
        if (entry.checked === null) field.value = entry.value;
        else if (field.value === entry.value) field.checked = entry.checked;
      });
    });
  }

  // A form is sent once: a step pressed twice fast was sent twice, and the second answer, "not
  // done: its status has changed", hid the first's success (an outsider). Sent forms are open
  // again when the page comes back from the browser's history.
  document.querySelectorAll("form").forEach(function (form) {
    if (form.method !== "post" || form.hasAttribute("data-keep-alive")) return;
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
    });
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
    });
  });

  // The idle sign-out (WCAG 2.2.1): warned before it, with a way to stay signed in that keeps the
  // page as it is; when it comes, what was typed is kept for this page, and the page asked for
  // again leads to the signed-out page and, signed in again, back here (an outsider's self-check
  // answers were lost without a word).
  var warning = document.getElementById("idle-warning");
  if (warning) {
    var warnTimer = null;
    var endTimer = null;
    var startIdleTimers = function (secondsLeft) {
      clearTimeout(warnTimer);
      clearTimeout(endTimer);
      warning.hidden = true;
      var warnAt = Math.max(0, secondsLeft - Math.min(120, secondsLeft / 2));
      warnTimer = setTimeout(function () {
        warning.hidden = false;
      }, warnAt * 1000);
      endTimer = setTimeout(function () {
        keepTyped();
        location.reload();
      }, (secondsLeft + 1) * 1000);
    };
    var idleSeconds = Number(warning.dataset.idleSeconds);
    startIdleTimers(idleSeconds);
    var stay = warning.querySelector("form[data-keep-alive]");
    stay.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(stay.action, { method: "POST", body: new FormData(stay), credentials: "same-origin" }).then(function (answer) {
        if (answer.status === 204) startIdleTimers(Number(warning.dataset.idleTimeout));
      });
    });
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
