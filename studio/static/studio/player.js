/* Seeking and clip playback for every page.
 *
 * Any element with data-seek="<seconds>" moves a player there and plays; with
 * data-end="<seconds>" it plays exactly that clip and pauses at its end. The player is
 * the <video> named by data-player="<id>" on the control, else the page's
 * video[data-player]. data-src on the control loads another video first (search
 * results share one player).
 */
(function () {
  "use strict";

  var watches = new WeakMap();

  function playerFor(control) {
    var id = control.getAttribute("data-player");
    return id ? document.getElementById(id) : document.querySelector("video[data-player]");
  }

  function stopWatching(video) {
    var watch = watches.get(video);
    if (!watch) return;
    cancelAnimationFrame(watch.frame);
    video.removeEventListener("timeupdate", watch.check);
    video.removeEventListener("seeking", watch.onSeeking);
    video.removeEventListener("play", watch.onPlay);
    watches.delete(video);
  }

  // Pause at `end`. Animation frames check far more often than `timeupdate` (every
  // ~250 ms), so the clip stops within a frame of its end; `timeupdate` still fires
  // when the tab is in the background and frames do not.
  function watchEnd(video, start, end) {
    var watch = { frame: 0 };
    watch.check = function () {
      if (video.currentTime >= end) {
        stopWatching(video);
        video.pause();
        video.currentTime = end;
        return;
      }
      if (!video.paused) watch.frame = requestAnimationFrame(watch.check);
    };
    // The viewer moved away from the clip: it is their video again.
    watch.onSeeking = function () {
      if (video.currentTime < start - 0.05 || video.currentTime > end + 0.05) stopWatching(video);
    };
    watch.onPlay = function () {
      cancelAnimationFrame(watch.frame);
      watch.frame = requestAnimationFrame(watch.check);
    };
    watches.set(video, watch);
    video.addEventListener("timeupdate", watch.check);
    video.addEventListener("seeking", watch.onSeeking);
    video.addEventListener("play", watch.onPlay);
  }

  function play(video, start, end) {
    stopWatching(video);
    var begin = function () {
      video.currentTime = start;
      if (end > start) watchEnd(video, start, end);
      var playing = video.play();
      // Autoplay may be refused without a user gesture (deep links): stay at the start.
      if (playing && playing.catch) playing.catch(function () {});
    };
    if (video.readyState >= 1) {
      begin();
      return;
    }
    video.addEventListener("loadedmetadata", begin, { once: true });
    // A player that preloads nothing (one per result on a long page) must now fetch.
    if (video.preload === "none") video.preload = "metadata";
    if (video.networkState !== HTMLMediaElement.NETWORK_LOADING) video.load();
  }

  function announce(text) {
    var region = document.querySelector("[data-now-playing]");
    if (region) region.textContent = text;
  }

  function activate(control) {
    var video = playerFor(control);
    if (!video) return;
    var src = control.getAttribute("data-src");
    if (src && video.getAttribute("src") !== src) {
      stopWatching(video);
      video.setAttribute("src", src);
      if (control.getAttribute("data-poster")) video.setAttribute("poster", control.getAttribute("data-poster"));
      video.load();
    }
    var start = parseFloat(control.getAttribute("data-seek"));
    var end = parseFloat(control.getAttribute("data-end"));
    if (isNaN(start)) return;
    play(video, start, isNaN(end) ? NaN : end);
    if (control.getAttribute("data-caption")) announce(control.getAttribute("data-caption"));
    document.querySelectorAll("[data-seek].is-playing").forEach(function (other) {
      other.classList.remove("is-playing");
    });
    control.classList.add("is-playing");
  }

  document.addEventListener("click", function (event) {
    var control = event.target.closest("[data-seek]");
    if (!control) return;
    // A result is also a link to the video page: a new-tab click keeps meaning that.
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    activate(control);
  });

  // The transcript follows playback: the line being spoken is marked.
  function follow(video) {
    var lines = Array.prototype.slice.call(document.querySelectorAll("[data-follow] [data-until]"));
    if (!lines.length) return;
    var current = null;
    video.addEventListener("timeupdate", function () {
      var now = video.currentTime;
      var next = null;
      for (var i = 0; i < lines.length; i++) {
        var from = parseFloat(lines[i].getAttribute("data-seek"));
        var until = parseFloat(lines[i].getAttribute("data-until"));
        if (now >= from && now < until) { next = lines[i]; break; }
      }
      if (next === current) return;
      if (current) current.removeAttribute("aria-current");
      if (next) next.setAttribute("aria-current", "true");
      current = next;
    });
  }

  // Deep links (?t=12.5&end=16) open a page at a moment, e.g. from a label's clip.
  function openAtMoment(video) {
    var params = new URLSearchParams(window.location.search);
    var start = parseFloat(params.get("t"));
    if (isNaN(start)) return;
    var end = parseFloat(params.get("end"));
    play(video, start, isNaN(end) ? NaN : end);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var main = document.querySelector("video[data-player]");
    if (!main) return;
    follow(main);
    openAtMoment(main);
  });

  window.Framewise = { playClip: play };
})();
