// Plays a tour (core/tour.js) on a viewer's store, one step per animation
// frame: each frame sets the view, depth, field, colormap and scale the
// tour has at that time, and the viewer draws it with its usual deposit
// (every frame exact). A stop of another dataset pauses the clock while the
// host opens it. Any input of the visitor's stops it (the host calls stop()).
//
// host: {
//   store():    the store of the viewer shown (null while none),
//   file():     the dataset shown (a site path),
//   open(file): show another dataset (a Promise, settled once it is shown),
//   defaults(): {view, field} the dataset shown starts with (a stop without them takes these),
//   caption(text), failed(message): what the page shows of a stop }
// options: {loop (attract: true; a lecture: false, it ends resting on the
// last stop), reducedMotion (moves are cuts), now(): ms clock, onEnd()}

import { stopTimes, tourAt } from "../core/tour.js";

export class TourPlayer {
  constructor(tour, host, { loop = true, reducedMotion = false, now = () => performance.now(), onEnd = () => {} } = {}) {
    Object.assign(this, { tour, host, loop, reducedMotion, now, onEnd });
    this.raf = 0;
    this.running = false;
    this.generation = 0; // (a dataset opening when the tour was stopped: nothing to go on with)
    this.caption = null;
    const times = stopTimes(tour);
    this.end = times[times.length - 1].restEnd; // (a pass that does not loop rests on the last stop)
  }

  start(t = 0) {
    this.stop();
    this.running = true;
    this.t0 = this.now() - t * 1000;
    this.store = null;
    this.failures = 0;
    this.tick();
    return this;
  }

  stop() {
    this.generation += 1;
    this.running = false;
    cancelAnimationFrame(this.raf);
    this.raf = 0;
  }

  time() {
    return (this.now() - this.t0) / 1000;
  }

  tick() {
    if (!this.running) return;
    let t = this.time();
    const done = !this.loop && t >= this.end;
    if (done) t = this.end - 1e-9; // (the last stop, at rest: exactly its view)
    const { host } = this;
    const defaults = host.defaults();
    const views = (stop) => stop.view ?? (stop.file === host.file() ? defaults?.view ?? null : null);
    const at = tourAt(this.tour, t, { views, reducedMotion: this.reducedMotion });
    if (at.file !== host.file()) {
      // another dataset: the clock waits while it opens, then goes on from here
      this.running = false;
      const generation = this.generation;
      host.open(at.file).then(() => {
        if (generation !== this.generation) return; // (stopped meanwhile)
        this.failures = 0;
        this.running = true;
        this.t0 = this.now() - t * 1000;
        this.tick();
      }, (err) => {
        if (generation !== this.generation) return;
        host.failed(`${at.file}: ${err?.message ?? err}`);
        if (++this.failures >= this.tour.stops.length) { // (nothing of it can be shown: it ends)
          this.stop();
          this.onEnd();
          return;
        }
        // a failing file: on to the next stop
        const next = stopTimes(this.tour)[(at.index + 1) % this.tour.stops.length];
        this.running = true;
        this.t0 = this.now() - next.moveStart * 1000;
        this.raf = requestAnimationFrame(() => this.tick());
      });
      this.raf = 0;
      return;
    }
    const store = host.store();
    if (store) this.apply(store, at, defaults);
    if (at.caption !== this.caption) {
      this.caption = at.caption;
      host.caption(at.caption);
    }
    if (done) {
      this.stop();
      this.onEnd();
      return;
    }
    this.raf = requestAnimationFrame(() => this.tick());
  }

  apply(store, at, defaults) {
    const fields = store.get("field_scales") ?? {};
    // (the widget's fields are its model's; its field_scales may still lack those the page has not read)
    const offered = at.field && (at.field in fields || Object.hasOwn(store.get("fields") ?? {}, at.field));
    const field = offered ? at.field : defaults?.field ?? store.get("field");
    const changes = {};
    if (field !== store.get("field")) changes.field = field;
    const scale = at.scale ?? fields[field];
    if (scale && scale !== store.get("scale")) changes.scale = scale;
    if (at.cmap && at.cmap !== store.get("cmap")) changes.cmap = at.cmap;
    if (at.view && !sameView(at.view, store.get("view"))) changes.view = at.view;
    if (at.depth !== (store.get("depth") ?? 0)) changes.depth = at.depth;
    if (store !== this.store) { // (a new dataset: automatic limits, as its first picture has)
      this.store = store;
      Object.assign(changes, { vmin: null, vmax: null, linthresh: null });
    }
    for (const [key, value] of Object.entries(changes)) store.set(key, value); // (the widget's model takes one at a time)
  }
}

const sameView = (a, b) => !!b && a.length === b.length && a.every((x, i) => x === b[i]);
