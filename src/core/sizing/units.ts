// Memory quantities and rounding shared by the sizing modules and the Helm renderers.

/** GiB as a Kubernetes memory quantity: whole GiB as `8Gi`, fractions in MiB (`512Mi`). */
export const gib = (n: number) => (Number.isInteger(n) ? `${n}Gi` : `${Math.round(n * 1024)}Mi`);
/** A quantity written by `gib` back in GiB. */
export const memGiB = (m: string) => (m.endsWith('Mi') ? Number(m.slice(0, -2)) / 1024 : Number(m.slice(0, -2)));
export const round2 = (n: number) => Math.round(n * 100) / 100;
