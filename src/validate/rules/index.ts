// Every validate rule, in report order.
import { connectionBudgetRule } from './connection-budget.js';
import { insecureSecretRule } from './insecure-secret.js';
import type { Rule } from './rule.js';
import { secretMismatchRule } from './secret-mismatch.js';

export const RULES: readonly Rule[] = [connectionBudgetRule, insecureSecretRule, secretMismatchRule];
