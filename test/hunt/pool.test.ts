import assert from "node:assert/strict";
import { test } from "node:test";
import { createHuntContext } from "../../src/detections/context.js";
import { WorkerPool } from "../../src/hunt/pool.js";

test("pool: the main thread takes jobs while the worker starts, and every job is answered once", async () => {
  const pool = new WorkerPool(1, createHuntContext());
  try {
    const results = await Promise.all(Array.from({ length: 6 }, () => pool.run([])));
    assert.deepEqual(
      results,
      Array.from({ length: 6 }, () => []),
    );
    assert.ok(pool.mainJobs >= 1, `main thread ran ${pool.mainJobs} job(s)`);
  } finally {
    await pool.close();
  }
});

test("pool: without the main lane every job goes to the workers", async () => {
  const pool = new WorkerPool(1, createHuntContext(), false);
  try {
    const results = await Promise.all(Array.from({ length: 4 }, () => pool.run([])));
    assert.equal(results.length, 4);
    assert.equal(pool.mainJobs, 0);
  } finally {
    await pool.close();
  }
});

test("pool: warm() starts every worker before any job, once, and warmed workers take jobs", async () => {
  const pool = new WorkerPool(2, createHuntContext(), false);
  try {
    assert.equal(pool.started, 0);
    pool.warm();
    assert.equal(pool.started, 2);
    pool.warm();
    assert.equal(pool.started, 2);
    const results = await Promise.all(Array.from({ length: 5 }, () => pool.run([])));
    assert.equal(results.length, 5);
    assert.equal(pool.started, 2);
    assert.equal(pool.mainJobs, 0);
  } finally {
    await pool.close();
  }
});
