// Runs an async task now and then, never two at once, only while something wants it (a panel on
// screen). A panel's list refreshes this way without piling up requests on a slow server and
// without polling while nobody looks. No DOM: the caller says when it is active.

export class Poller {
  // task: async () => void, which handles its own errors. interval: ms between the end of one
  // run and the start of the next.
  constructor(task, { interval = 2000 } = {}) {
    this._task = task;
    this._interval = interval;
    this._active = false;
    this._timer = null;
    this._running = null;
    this._again = false;
  }

  get active() { return this._active; }

  // Turning it on runs the task at once; turning it off lets a run in progress finish.
  setActive(on) {
    on = !!on;
    if (on === this._active) return;
    this._active = on;
    if (on) this.trigger();
    else this._clearTimer();
  }

  setInterval(ms) {
    if (ms === this._interval) return;
    this._interval = ms;
    if (this._timer) this._schedule();
  }

  // Runs the task now (e.g. after a user action), even while inactive; a call during a run makes
  // one more run right after it. Resolves when that run has finished.
  async trigger() {
    if (this._running) {
      this._again = true;
      return this._running;
    }
    this._clearTimer();
    this._running = (async () => {
      do {
        this._again = false;
        try {
          await this._task();
        } catch (e) {
          console.warn('[comfystream] poll failed', e);
        }
      } while (this._again);
    })();
    try {
      await this._running;
    } finally {
      this._running = null;
      if (this._active) this._schedule();
    }
  }

  stop() {
    this._active = false;
    this._clearTimer();
  }

  _schedule() {
    this._clearTimer();
    this._timer = setTimeout(() => {
      this._timer = null;
      this.trigger();
    }, this._interval);
  }

  _clearTimer() {
    if (this._timer) clearTimeout(this._timer);
    this._timer = null;
  }
}
