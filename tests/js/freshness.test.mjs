// A visitor's saved notebook versus the site's (core/freshness.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { isStaleCopy, mineName, shippedStamp, staleMessage } from "../../lite/js/core/freshness.js";

const site = { notebooks: { "lesson.ipynb": "b2", "week 2/lab.ipynb": "c3" } };
const nb = (stamp) => ({ cells: [], metadata: stamp === undefined ? {} : { ytlite: { shipped: stamp } } });

test("a copy of an older version is stale; the site's own version and other notebooks are not", () => {
  assert.equal(isStaleCopy("lesson.ipynb", nb("a1"), site), true);
  assert.equal(isStaleCopy("lesson.ipynb", nb("b2"), site), false);
  assert.equal(isStaleCopy("lesson.ipynb", nb(), site), true);  // saved before stamps: older too
  assert.equal(isStaleCopy("week 2/lab.ipynb", nb("c3"), site), false);
  assert.equal(isStaleCopy("mine.ipynb", nb("a1"), site), false);  // the site ships no such notebook
  assert.equal(isStaleCopy("lesson.ipynb", nb("a1"), null), false);  // a site without the list
  assert.equal(shippedStamp({ metadata: { ytlite: { shipped: 7 } } }), null);
  assert.equal(shippedStamp(null), null);
});

test("the visitor's copy goes beside it under a free name", () => {
  assert.equal(mineName("lesson.ipynb", new Set()), "lesson (mine).ipynb");
  assert.equal(mineName("week 2/lab.ipynb", new Set(["week 2/lab (mine).ipynb"])), "week 2/lab (mine 2).ipynb");
  assert.equal(mineName("a.b/notes", new Set()), "a.b/notes (mine)");
  assert.equal(mineName(".hidden", new Set()), ".hidden (mine)");
  assert.match(staleMessage("week 2/lab.ipynb", "week 2/lab (mine 2).ipynb"), /^lab\.ipynb has changed.*lab \(mine 2\)\.ipynb\.$/);
});
