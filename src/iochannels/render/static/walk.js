// Step through the walkthrough: buttons, arrow keys, the slider, or a click on an event.
(function () {
  "use strict";
  var steps = Array.prototype.slice.call(document.querySelectorAll("#diagram figure"));
  var events = Array.prototype.slice.call(document.querySelectorAll("#events li"));
  var slider = document.getElementById("slider");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var counter = document.getElementById("counter");
  var caption = document.getElementById("caption");
  var current = 0;

  function show(index) {
    current = Math.max(0, Math.min(steps.length - 1, index));
    steps.forEach(function (fig, k) { fig.hidden = k !== current; });
    events.forEach(function (li) {
      var on = Number(li.dataset.step) === current;
      li.classList.toggle("current", on);
      li.setAttribute("aria-current", on ? "step" : "false");
      if (on) { keepInView(li); }
    });
    caption.textContent = steps[current].dataset.caption || "";
    if (slider) {  // a page of one step (a snapshot) has no controls
      slider.value = String(current);
      counter.textContent = "step " + current + " / " + (steps.length - 1);
      prev.disabled = current === 0;
      next.disabled = current === steps.length - 1;
    }
    document.body.dataset.step = String(current);
    var seq = steps[current].dataset.seq;
    Array.prototype.forEach.call(document.querySelectorAll("#sequence g[data-seq]"), function (g) {
      g.classList.toggle("now", g.dataset.seq === seq);
    });
  }

  // Scroll the event list so that the current call shows, and only the list: scrollIntoView
  // would scroll the page too, and on a narrow window, where the list sits below the
  // diagram, the page would open scrolled down past everything the reader came for.
  function keepInView(li) {
    var box = li.closest("aside");
    if (!box || box.scrollHeight <= box.clientHeight) { return; }
    var outer = box.getBoundingClientRect(), inner = li.getBoundingClientRect();
    if (inner.top < outer.top) { box.scrollTop -= outer.top - inner.top; }
    else if (inner.bottom > outer.bottom) { box.scrollTop += inner.bottom - outer.bottom; }
  }

  if (slider) {
    prev.addEventListener("click", function () { show(current - 1); });
    next.addEventListener("click", function () { show(current + 1); });
    slider.addEventListener("input", function () { show(Number(slider.value)); });
  }
  events.forEach(function (li) {
    li.addEventListener("click", function () { show(Number(li.dataset.step)); });
  });
  document.addEventListener("keydown", function (e) {
    if (e.target === slider) { return; }
    var moves = { ArrowRight: 1, ArrowDown: 1, PageDown: 1, ArrowLeft: -1, ArrowUp: -1, PageUp: -1 };
    if (e.key in moves) { show(current + moves[e.key]); e.preventDefault(); }
    else if (e.key === "Home") { show(0); e.preventDefault(); }
    else if (e.key === "End") { show(steps.length - 1); e.preventDefault(); }
  });
  // A link may name its step: page.html#step-7
  var named = /^#step-(\d+)$/.exec(window.location.hash);
  show(named ? Number(named[1]) : 0);
})();
