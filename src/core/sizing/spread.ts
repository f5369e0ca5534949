// Spreading an amount over replicas: greenlets or workers per replica, in-flight work per replica,
// memory per replica. Each replica gets a whole number, so replicas × ⌈need ÷ replicas⌉ rounds
// differently at every count: adding a replica (because a cost or the QPS rose) could give fewer
// slots or bytes in total than one replica fewer did. Here the amounts are built up from one replica:
// the amount for n replicas is what n replicas need, or the total of n − 1 replicas spread over n,
// whichever is larger. So the total never falls as replicas are added, and since the need grows with
// the load at every count, it never falls as the load grows either.

/**
 * Per-replica amounts for 1 … `replicas` replicas (index n − 1; at least one entry): `need(n)` is
 * what each of n replicas needs, a whole number.
 */
export function perReplicaAmounts(replicas: number, need: (n: number) => number): number[] {
  const amounts = [need(1)];
  for (let n = 2; n <= replicas; n++) amounts.push(Math.max(need(n), Math.ceil(((n - 1) * amounts[n - 2]) / n - 1e-9)));
  return amounts;
}

/** The amount for `replicas` replicas (fewer than one: as for one). */
export const perReplica = (replicas: number, need: (n: number) => number) => perReplicaAmounts(replicas, need).at(-1)!;
