// Every property test runs from one fixed seed, so a CI run is repeatable: a counterexample
// found once is found again on every machine. FC_SEED=<n> (or FC_SEED=random) explores others by hand;
// a failure prints the seed and path to replay it.
import fc from 'fast-check';

const chosen = process.env.FC_SEED;
if (chosen !== 'random') fc.configureGlobal({ seed: chosen ? Number(chosen) : 20261205 });
