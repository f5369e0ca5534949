// Every validate rule, in report order.
import { bodySizeRule } from './body-size.js';
import { capacityRule } from './capacity.js';
import { connectionBudgetRule } from './connection-budget.js';
import { driftRule } from './drift.js';
import { insecureSecretRule } from './insecure-secret.js';
import { integerVariableRule } from './integer-variable.js';
import { missingVariableRule } from './missing-variable.js';
import { queueCoverageRule } from './queue-coverage.js';
import { redisBudgetRule } from './redis-budget.js';
import { poolerRule } from './pooler.js';
import { eventBusThroughputRule, poolerRedundancyRule, workflowLogVolumeRule } from './state.js';
import type { Rule } from './rule.js';
import { schemaRule } from './schema.js';
import { secretMismatchRule } from './secret-mismatch.js';
import { timeoutChainRule } from './timeout-chain.js';
import { unknownVariableRule } from './unknown-variable.js';
import { yaml11Rule } from './yaml11.js';

export const RULES: readonly Rule[] = [
  schemaRule,
  yaml11Rule,
  integerVariableRule,
  connectionBudgetRule,
  redisBudgetRule,
  poolerRule,
  insecureSecretRule,
  secretMismatchRule,
  missingVariableRule,
  queueCoverageRule,
  unknownVariableRule,
  timeoutChainRule,
  bodySizeRule,
  capacityRule,
  workflowLogVolumeRule,
  eventBusThroughputRule,
  poolerRedundancyRule,
  driftRule,
];
