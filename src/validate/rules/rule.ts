// A validate rule: a stable id (part of the JSON/CI contract) and a pure check over the model.
import type { Deployment } from '../deployment.js';
import type { Diagnostic } from '../diagnostics.js';

export interface Rule {
  id: string;
  /** One line for the README and --help. */
  summary: string;
  check(d: Deployment): Diagnostic[] | Promise<Diagnostic[]>;
}
