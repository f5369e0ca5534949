// vitest's worker reads the main process's answers to its RPC calls (task updates, each with a fixed 60 s
// timeout) only when the event loop turns, and its runner goes from one synchronous test to the next without
// a turn. A file of synchronous tests (a 294-case render matrix) ran over 60 s in one turn under load, and
// "Timeout calling onTaskUpdate" turned a run with every test passed red. One turn after each test.
import { afterEach } from 'vitest';

// Captured before any test could install fake timers.
const nextTurn = globalThis.setImmediate;
afterEach(() => new Promise<void>((resolve) => nextTurn(() => resolve())));
