// Tours (core/tour.js): what a tour file may say, and what is on screen when.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ease, parseTour, stopTimes, tourAt, TourError, tourLength, viewBetween } from "../../lite/js/core/tour.js";

const A = [0, 1, 0, 1], B = [0.25, 0.375, 0.5, 0.625], C = [0.1, 0.2, 0.3, 0.4];
const tour = parseTour({
  format: "ytlite-tour", title: "t", stops: [
    { file: "data/a.h5", view: A, caption: "whole", dwell: 4 },
    { view: B, caption: "zoom", dwell: 3, transition: 2, depth: 4 },
    { file: "data/b.h5", field: "temperature", view: C, dwell: 5, transition: 1 },
  ],
});

test("parseTour fills what does not depend on the dataset, and says what is wrong and where", () => {
  assert.deepEqual(tour.stops.map((s) => [s.file, s.dwell, s.transition, s.depth, s.field]),
    [["data/a.h5", 4, 2, 0, null], ["data/a.h5", 3, 2, 4, null], ["data/b.h5", 5, 1, 0, "temperature"]]);
  const bad = (stops, says) => assert.throws(() => parseTour({ format: "ytlite-tour", stops }, "t.json"),
    (e) => e instanceof TourError && e.message.startsWith("t.json") && e.message.includes(says), says);
  bad([], "needs a list of stops");
  bad([{ view: A }], "stop 1: which dataset?");
  bad([{ file: "a.h5" }, { view: [1, 0, 0, 1] }], "stop 2: view must be 4 finite numbers");
  bad([{ file: "a.h5", view: [0, NaN, 0, 1] }], "view must be");
  bad([{ file: "a.h5", scale: "loog" }], "scale must be one of linear, log, symlog");
  bad([{ file: "a.h5", dwell: -1 }], "dwell must be a number of seconds");
  bad([{ file: "a.h5", dwell: Infinity }], "dwell must be");
  bad([{ file: "a.h5", depth: 1.5 }], "depth must be a slice number");
  bad([{ file: "a.h5", caption: { html: "<b>" } }], "caption must be text");
  bad(["x"], "stop 1: not an object");
  assert.throws(() => parseTour("{nope", "u"), /u: not a tour \(not valid JSON/);
  assert.throws(() => parseTour({ stops: [] }, "u"), /u: not a tour \(no "format"/);
});

test("ease and viewBetween reach both ends exactly", () => {
  assert.equal(ease(0), 0);
  assert.equal(ease(1), 1);
  assert.equal(ease(0.5), 0.5);
  assert.deepEqual(viewBetween(A, B, 0), A);
  assert.deepEqual(viewBetween(A, B, 1), B);
  const mid = viewBetween(A, B, 0.5);
  // the size changes by a constant factor: halfway, the geometric mean
  assert.ok(Math.abs((mid[1] - mid[0]) - Math.sqrt(1 * 0.125)) < 1e-15);
  assert.ok(mid[0] < mid[1] && mid[2] < mid[3]);
});

test("tourAt: rests on each stop's exact view, moves between, cuts to another dataset, loops", () => {
  assert.equal(tourLength(tour), 4 + 2 + 3 + 1 + 5 + 2);
  const times = stopTimes(tour);
  assert.deepEqual(times.map((t) => [t.restStart, t.restEnd]), [[0, 4], [6, 9], [10, 15]]);
  for (const { index, restStart, restEnd } of times) {
    for (const t of [restStart, (restStart + restEnd) / 2, restEnd - 1e-9]) {
      const at = tourAt(tour, t);
      assert.equal(at.index, index);
      assert.deepEqual(at.view, tour.stops[index].view); // exact
      assert.equal(at.s, 1);
      assert.equal(at.caption, tour.stops[index].caption);
    }
  }
  const moving = tourAt(tour, 5); // halfway from stop 0 to 1: same dataset, pan/zoom and depth sweep
  assert.equal(moving.index, 1);
  assert.equal(moving.from, 0);
  assert.deepEqual(moving.view, viewBetween(A, B, 0.5));
  assert.equal(moving.depth, 2);
  const cut = tourAt(tour, 9.5); // to another dataset: its own view at once
  assert.equal(cut.index, 2);
  assert.equal(cut.from, null);
  assert.deepEqual(cut.view, C);
  assert.equal(cut.field, "temperature");
  assert.equal(tourAt(tour, 15.5).file, "data/a.h5"); // the way back to stop 0 (another dataset: a cut)
  assert.deepEqual(tourAt(tour, 17).view, A); // looped
  assert.deepEqual(tourAt(tour, 17 + 5).view, viewBetween(A, B, 0.5));
});

test("reduced motion: every move is a cut", () => {
  for (const t of [4, 4.5, 5, 5.9]) {
    const at = tourAt(tour, t, { reducedMotion: true });
    assert.deepEqual(at.view, B);
    assert.equal(at.depth, 4);
  }
});

test("a stop with no view takes the dataset's own (the host says which)", () => {
  const t = parseTour({ format: "ytlite-tour", stops: [{ file: "a.h5" }, { file: "a.h5", view: B }] });
  const views = (stop) => stop.view ?? A;
  assert.deepEqual(tourAt(t, 1, { views }).view, A);
  assert.deepEqual(tourAt(t, DEFAULT_MOVE_HALF(t), { views }).view, viewBetween(A, B, 0.5));
});

function DEFAULT_MOVE_HALF(t) {
  return t.stops[0].dwell + t.stops[1].transition / 2;
}
