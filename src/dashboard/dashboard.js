// fwfleet dashboard: served from the binary at /static/dashboard.js.
// The project's own script, the only one the Content-Security-Policy allows
// (script-src 'self'). Every page works without it; it adds two things:
// a confirm() before an action form is sent (without it the server shows a
// confirmation page), and live updates of a run's host grid from
// GET /runs/{id}/events (server-sent events), without a reload.
(function () {
  "use strict";

  function confirmActions() {
    var forms = document.querySelectorAll("form[data-confirm]");
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          e.preventDefault();
          return;
        }
        if (!form.querySelector("input[name=confirmed]")) {
          var c = document.createElement("input");
          c.type = "hidden";
          c.name = "confirmed";
          c.value = "yes";
          form.appendChild(c);
        }
      });
    });
  }

  function setState(el, word) {
    var cls = (el.className || "").split(" ").filter(function (c) {
      return c.indexOf("st-") !== 0;
    });
    cls.push("st-" + word);
    el.className = cls.join(" ");
    el.setAttribute("data-state", word);
  }

  function liveGrid() {
    var grid = document.getElementById("grid");
    if (!grid || !window.EventSource) {
      return;
    }
    var url = grid.getAttribute("data-events");
    var status = document.getElementById("run-status");
    if (!url || (status && status.getAttribute("data-status") !== "running")) {
      return;
    }
    var stateEl = document.getElementById("run-state");
    var rendered = stateEl ? stateEl.getAttribute("data-state") : null;
    var cells = {};
    Array.prototype.forEach.call(grid.querySelectorAll("[data-host]"), function (c) {
      cells[c.getAttribute("data-host")] = c;
    });

    function cell(host) {
      if (!cells[host]) {
        var li = document.createElement("li");
        li.className = "cell";
        li.setAttribute("data-host", host);
        var a = document.createElement("a");
        a.href = "/hosts/" + encodeURIComponent(host);
        a.textContent = host;
        li.appendChild(a);
        grid.appendChild(li);
        cells[host] = li;
        var empty = document.getElementById("grid-empty");
        if (empty) {
          empty.parentNode.removeChild(empty);
        }
      }
      return cells[host];
    }

    function show(host, word) {
      var c = cell(host);
      setState(c, word);
      var a = c.querySelector("a");
      if (a) {
        a.title = host + ": " + word;
      }
    }

    function recount() {
      var counts = {};
      Object.keys(cells).forEach(function (h) {
        var w = cells[h].getAttribute("data-state");
        counts[w] = (counts[w] || 0) + 1;
      });
      var list = document.getElementById("grid-counts");
      if (!list) {
        return;
      }
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      Object.keys(counts).sort().forEach(function (w) {
        var li = document.createElement("li");
        li.setAttribute("data-state", w);
        li.className = "st-" + w;
        var n = document.createElement("span");
        n.className = "n";
        n.textContent = String(counts[w]);
        li.appendChild(n);
        li.appendChild(document.createTextNode(" " + w));
        list.appendChild(li);
      });
    }

    function runState(d) {
      var el = document.getElementById("run-state");
      if (el && d.state) {
        setState(el, d.state);
        el.textContent = d.state;
      }
      if (status && d.status) {
        status.setAttribute("data-status", d.status);
        status.textContent = d.status;
      }
      // The buttons were rendered for the state the page was served in:
      // once the run is in another, they may no longer apply, so they go
      // and a link offers the page as it is now.
      var actions = document.getElementById("actions");
      if (actions && d.state && d.state !== rendered && !actions.hidden) {
        actions.setAttribute("data-stale", "true");
        actions.hidden = true;
        var note = document.createElement("p");
        note.id = "actions-stale";
        note.className = "note";
        var a = document.createElement("a");
        a.href = window.location.pathname;
        a.textContent = "The run is now " + d.state + ": reload for its actions";
        note.appendChild(a);
        actions.parentNode.insertBefore(note, actions.nextSibling);
      }
    }

    var es = new EventSource(url);
    grid.setAttribute("data-live", "connecting");
    es.addEventListener("open", function () {
      grid.setAttribute("data-live", "open");
    });
    es.addEventListener("snapshot", function (e) {
      var d = JSON.parse(e.data);
      Object.keys(d.hosts || {}).forEach(function (h) {
        show(h, d.hosts[h]);
      });
      recount();
      runState(d);
    });
    es.addEventListener("host", function (e) {
      var d = JSON.parse(e.data);
      show(d.host, d.state);
      recount();
    });
    es.addEventListener("run", function (e) {
      runState(JSON.parse(e.data));
    });
    es.addEventListener("end", function (e) {
      runState(JSON.parse(e.data));
      grid.setAttribute("data-live", "ended");
      es.close();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    confirmActions();
    liveGrid();
  });
})();
