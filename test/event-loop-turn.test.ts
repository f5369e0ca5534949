// Between two synchronous tests the worker's event loop turns (test/helpers/event-loop-turn.ts), so
// vitest's RPC answers are read while a long file of synchronous tests runs.
import { expect, it } from 'vitest';

let turned = false;

it('schedules a macrotask and returns without yielding', () => {
  setImmediate(() => {
    turned = true;
  });
});

it('the next synchronous test finds it run', () => {
  expect(turned).toBe(true);
});
