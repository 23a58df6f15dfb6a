// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // A form came back with problems: take the reader (and a screen reader) to the summary.
  // So is an answer the page was asked for (a self-check's result), read out at once.
  var summary = document.querySelector(".error-summary") || document.querySelector("[data-focus-on-load]");
  if (summary) {
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
  }

  // A summary link to a question of choices: show the question (its legend) with its first choice,
  // not the choice alone at the top of the screen. A link to the question itself (a fieldset of
  // boxes) takes the focus to its first box, not to the page (an outsider's refusal reasons).
  document.querySelectorAll(".error-summary a[href^='#']").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      var input = target && target.tagName === "FIELDSET" ? target.querySelector("input, select, textarea") : target;
      var fieldset = input && (input.type === "radio" || input.type === "checkbox") && input.closest("fieldset");
      if (!fieldset) return;
      event.preventDefault();
      fieldset.scrollIntoView({ block: "start" });
      input.focus({ preventScroll: true });
    });
  });

  // Long work done a part per request (a point's move): the next part is asked for at once.
  var next = document.querySelector("form[data-auto-submit]");
  if (next) next.submit();

  // The language switch is a link (a button, signed in), and what was typed on the page was lost on the way (an
  // outsider's); so it was at the idle sign-out below. It is kept in this tab for the same page
  // (in the other language, or after signing in again), for the account that typed it only and
  // a quarter of an hour at most, filled in there and forgotten at once; passwords are not kept.
  // Another account's page, or signing out, forgets it (an outsider's next user of a shared
  // computer was shown the name and ID number the one before had typed).
  var owner = document.body.dataset.typedOwner || "";
  var KEPT = "typed-kept:";
  var KEPT_FOR_MS = 15 * 60 * 1000;
  var kept = KEPT + location.pathname;
  var fields = function () {
    return document.querySelectorAll("main form input[name], main form select[name], main form textarea[name]");
  };
  var storage = function (work) {
    try {
      return work(window.sessionStorage);
    } catch (error) {
      return null; // storage refused (a private window): the page goes on without it
    }
  };
  var keepTyped = function () {
    var typed = [];
    fields().forEach(function (field) {
      if (["password", "hidden", "file", "submit"].indexOf(field.type) >= 0) return;
      var box = field.type === "checkbox" || field.type === "radio";
      typed.push({ name: field.name, value: field.value, checked: box ? field.checked : null });
    });
    storage(function (store) {
      store.setItem(kept, JSON.stringify({ owner: owner, saved: Date.now(), fields: typed }));
    });
  };
  var forgetTyped = function (keep) {
    storage(function (store) {
      Object.keys(store).forEach(function (key) {
        if (key.indexOf(KEPT) === 0 && !keep(key)) store.removeItem(key);
      });
    });
  };
  var typedBefore = null;
  forgetTyped(function (key) {
    var entry = null;
    try {
      entry = JSON.parse(sessionStorage.getItem(key));
    } catch (error) {
      return false;
    }
    if (!entry || !entry.fields || Date.now() - entry.saved > KEPT_FOR_MS) return false;
    if (entry.owner !== owner) {
      if (owner) return false;
      // A signed-out page keeps it for the sign-in to come, not past its time even if left open
      // (an outsider's signed-out tab held a name and ID number for as long as it stood).
      setTimeout(function () {
        storage(function (store) {
          store.removeItem(key);
        });
      }, entry.saved + KEPT_FOR_MS - Date.now());
      return true;
    }
    if (key === kept) typedBefore = entry.fields;
    return false; // filled in below, or the same account's other page: forgotten either way
  });
  document.querySelectorAll("[data-language-switch]").forEach(function (link) {
    link.addEventListener("click", keepTyped);
  });
  document.querySelectorAll("form.logout-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      forgetTyped(function () {
        return false;
      });
    });
  });
  if (typedBefore) {
    typedBefore.forEach(function (entry) {
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
  // While it is on its way the button says so: on a slow phone a pay or send button showed nothing
  // for seconds, and its reader could not tell whether it had been pressed (an outsider).
  document.querySelectorAll("form").forEach(function (form) {
    // The attribute, not form.method: a form with a field named "method" (the delivery step's)
    // answers that field instead, and was sent twice (an outsider).
    var method = (form.getAttribute("method") || "").toLowerCase();
    if (method !== "post" || form.hasAttribute("data-keep-alive")) return;
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      var button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
      if (!button || form.hasAttribute("data-progress") || !document.body.dataset.sending) return;
      button.setAttribute("aria-disabled", "true");
      button.classList.add("is-sending");
      var note = document.createElement("span");
      note.className = "sending-note";
      note.setAttribute("role", "status");
      note.textContent = document.body.dataset.sending;
      button.insertAdjacentElement("afterend", note);
    });
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll(".sending-note").forEach(function (note) {
        note.remove();
      });
      form.querySelectorAll(".is-sending").forEach(function (button) {
        button.classList.remove("is-sending");
        button.removeAttribute("aria-disabled");
      });
    });
  });

  // The idle sign-out (WCAG 2.2.1): warned before it, with a way to stay signed in that keeps the
  // page as it is; when it comes, what was typed is kept for this page, and the page asked for
  // again (never sent again: an outsider's real-name answer page tried the name once more) leads
  // to the signed-out page and, signed in again, back here. The time left is shared by the tabs
  // of the site, as the session is: one tab's work keeps another from being signed out.
  var warning = document.getElementById("idle-warning");
  if (warning) {
    var DEADLINE = "idle-deadline";
    var warnTimer = null;
    var endTimer = null;
    var ownDeadline = 0; // this tab's, should the browser keep no storage
    var shared = function (work) {
      try {
        return work(window.localStorage);
      } catch (error) {
        return null;
      }
    };
    var sharedDeadline = function () {
      var stored = Number(shared(function (store) {
        return store.getItem(DEADLINE);
      }) || 0);
      return Math.max(ownDeadline, stored);
    };
    var extend = function (until) {
      if (until <= sharedDeadline()) return;
      ownDeadline = until;
      shared(function (store) {
        store.setItem(DEADLINE, String(until));
      });
    };
    // The warning lies over the foot of the screen: while it is up, the page keeps the control in
    // use above it (WCAG 2.4.11; an outsider's keyboard, on a 320 px phone, tabbed to a button
    // under it), and staying signed in gives the focus back to that control (WCAG 2.4.3).
    var inUse = null;
    document.addEventListener("focusin", function (event) {
      if (!warning.contains(event.target)) inUse = event.target;
    });
    // When, not only "soon" (an outsider's screen reader heard no time): the device's clock.
    var showWarning = function () {
      var at = new Date(sharedDeadline());
      var pad = function (n) {
        return (n < 10 ? "0" : "") + n;
      };
      warning.querySelector("[data-idle-at]").textContent = pad(at.getHours()) + ":" + pad(at.getMinutes());
      warning.hidden = false;
      var room = warning.offsetHeight + "px";
      document.documentElement.style.scrollPaddingBottom = room;
      document.body.style.paddingBottom = room;
      if (inUse && document.activeElement === inUse) inUse.scrollIntoView({ block: "nearest" });
    };
    var hideWarning = function () {
      var hadFocus = warning.contains(document.activeElement);
      warning.hidden = true;
      document.documentElement.style.scrollPaddingBottom = "";
      document.body.style.paddingBottom = "";
      if (hadFocus) (inUse && document.contains(inUse) ? inUse : document.querySelector("main")).focus();
    };
    var startIdleTimers = function () {
      clearTimeout(warnTimer);
      clearTimeout(endTimer);
      hideWarning();
      var secondsLeft = Math.max(0, (sharedDeadline() - Date.now()) / 1000);
      var warnAt = Math.max(0, secondsLeft - Math.min(120, secondsLeft / 2));
      warnTimer = setTimeout(showWarning, warnAt * 1000);
      endTimer = setTimeout(function () {
        if (sharedDeadline() > Date.now() + 1000) {
          startIdleTimers(); // another tab's work: the session goes on
          return;
        }
        keepTyped();
        location.assign(location.pathname + location.search);
      }, (secondsLeft + 1) * 1000);
    };
    extend(Date.now() + Number(warning.dataset.idleSeconds) * 1000);
    startIdleTimers();
    window.addEventListener("storage", function (event) {
      if (event.key === DEADLINE) startIdleTimers();
    });
    var stay = warning.querySelector("form[data-keep-alive]");
    stay.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(stay.action, { method: "POST", body: new FormData(stay), credentials: "same-origin" }).then(function (answer) {
        if (answer.status === 204) {
          extend(Date.now() + Number(warning.dataset.idleTimeout) * 1000);
          startIdleTimers();
          return;
        }
        // Signed out meanwhile (another computer signed in, or the time ran out): the page that
        // says why, not this one (an outsider's warning stayed up and the reason was lost).
        keepTyped();
        if (answer.redirected) location.href = answer.url;
        else location.assign(location.pathname + location.search);
      });
    });
  }

  // Every card of a queue page ticked at once (without this file, one box at a time).
  document.querySelectorAll("[data-tick-all]").forEach(function (holder) {
    var all = holder.querySelector("input");
    var boxes = holder.closest("form").querySelectorAll("input[type=checkbox][name=ids]");
    holder.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) {
        box.checked = all.checked;
      });
    });
  });

  // A question asked only for some answers of another (data-shown-for="kind:exchange replacement"):
  // hidden while another answer is chosen, so nothing is typed that would not be kept (an
  // outsider's note on a first application vanished). Without this file it stays, with its hint.
  document.querySelectorAll("[data-shown-for]").forEach(function (input) {
    var rule = input.dataset.shownFor.split(":");
    var values = rule[1].split(" ");
    var field = input.closest(".field");
    var choices = input.form.querySelectorAll("input[type=radio][name='" + rule[0] + "']");
    var update = function () {
      field.hidden = !Array.prototype.some.call(choices, function (choice) {
        return choice.checked && values.indexOf(choice.value) >= 0;
      });
    };
    choices.forEach(function (choice) {
      choice.addEventListener("change", update);
    });
    update();
  });

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
