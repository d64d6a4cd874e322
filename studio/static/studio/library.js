/* An index page: drag-and-drop uploads with per-file progress, and live task progress.
 *
 * Uploads go to the native API (POST /api/v1/tasks/, multipart index + video_file) with
 * the session and the CSRF token. Cards of running tasks carry data-task; they are
 * re-rendered from the server every 1.5 s (the progress endpoint returns each card's
 * HTML), so the page never reloads and a card always looks as a reload would show it.
 */
(function () {
  "use strict";

  var POLL_MS = 1500;
  var PARALLEL_UPLOADS = 2;

  var grid = document.getElementById("cards");
  if (!grid) return;
  var progressUrl = grid.getAttribute("data-progress");
  var watched = new Map();
  var timer = null;

  function fromHtml(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content.firstElementChild;
  }

  function schedule() {
    if (timer === null && watched.size) timer = setTimeout(poll, POLL_MS);
  }

  function poll() {
    timer = null;
    var ids = Array.from(watched.keys());
    if (!ids.length) return;
    fetch(progressUrl + "?tasks=" + encodeURIComponent(ids.join(",")), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.ok ? response.json() : { items: [] };
      })
      .then(function (data) {
        var seen = new Set();
        data.items.forEach(function (item) {
          seen.add(item.task);
          var card = watched.get(item.task);
          if (!card) return;
          var next = fromHtml(item.html);
          card.replaceWith(next);
          if (item.active) watched.set(item.task, next);
          else {
            watched.delete(item.task);
            announce(next.querySelector(".card-title").textContent.trim() + ": " + item.status);
          }
        });
        // A task the server no longer knows (deleted meanwhile) is not polled again.
        ids.forEach(function (id) {
          if (!seen.has(id)) watched.delete(id);
        });
      })
      .catch(function () {
        /* A network hiccup: the next poll tries again. */
      })
      .then(schedule);
  }

  grid.querySelectorAll("[data-task]").forEach(function (card) {
    watched.set(card.getAttribute("data-task"), card);
  });
  schedule();

  // --- Uploads -------------------------------------------------------------------------
  var form = document.querySelector("form[data-upload]");
  if (!form) return;
  var input = form.querySelector("input[type=file]");
  var zone = form.querySelector(".dropzone");
  var template = document.getElementById("upload-card-template");
  var announcer = document.getElementById("upload-announcer");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var queue = [];
  var running = 0;

  function announce(text) {
    if (announcer) announcer.textContent = text;
  }

  function field(card, name) {
    return card.querySelector('[data-field="' + name + '"]');
  }

  function setProgress(card, percent) {
    var bar = field(card, "bar");
    bar.setAttribute("aria-valuenow", String(Math.round(percent)));
    bar.firstElementChild.style.width = percent.toFixed(1) + "%";
    field(card, "detail").textContent = Math.round(percent) + "% uploaded";
  }

  function fail(card, message) {
    card.className = "card status-failed";
    var status = field(card, "status");
    status.className = "pill pill-failed";
    status.textContent = "Failed";
    field(card, "detail").textContent = "";
    field(card, "bar").remove();
    var error = document.createElement("p");
    error.className = "error small";
    error.textContent = message;
    card.querySelector(".card-body").appendChild(error);
  }

  function addCard(file) {
    var card = template.content.firstElementChild.cloneNode(true);
    field(card, "title").textContent = file.name;
    field(card, "bar").setAttribute("aria-label", "Upload of " + file.name);
    var empty = grid.querySelector("[data-empty]");
    if (empty) empty.remove();
    grid.insertBefore(card, grid.firstElementChild);
    return card;
  }

  function send(job) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("data-endpoint"));
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) setProgress(job.card, (event.loaded / event.total) * 100);
      });
      xhr.addEventListener("load", function () {
        var body = {};
        try {
          body = JSON.parse(xhr.responseText);
        } catch (error) {
          body = {};
        }
        if (xhr.status === 202 && body.id) {
          setProgress(job.card, 100);
          field(job.card, "detail").textContent = "Uploaded; checking the file";
          job.card.setAttribute("data-task", body.id);
          watched.set(body.id, job.card);
          announce(job.file.name + " uploaded");
          schedule();
        } else {
          fail(job.card, body.message || "The upload failed (HTTP " + xhr.status + ").");
          announce(job.file.name + " failed to upload");
        }
        resolve();
      });
      xhr.addEventListener("error", function () {
        fail(job.card, "The upload was interrupted; check the connection and try again.");
        resolve();
      });
      var data = new FormData();
      data.append("index", form.getAttribute("data-index"));
      data.append("video_file", job.file, job.file.name);
      xhr.send(data);
    });
  }

  function pump() {
    while (running < PARALLEL_UPLOADS && queue.length) {
      running += 1;
      send(queue.shift()).then(function () {
        running -= 1;
        pump();
      });
    }
  }

  function upload(files) {
    Array.from(files).forEach(function (file) {
      queue.push({ file: file, card: addCard(file) });
    });
    announce(files.length + " file" + (files.length === 1 ? "" : "s") + " queued for upload");
    pump();
  }

  input.addEventListener("change", function () {
    if (input.files.length) upload(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("is-dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.remove("is-dragging");
    });
  });
  // A file dropped beside the zone would otherwise replace the page with the file.
  ["dragover", "drop"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (!zone.contains(event.target)) event.preventDefault();
    });
  });
  zone.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files.length) upload(event.dataTransfer.files);
  });
})();
