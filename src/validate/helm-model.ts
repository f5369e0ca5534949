// The deployment as the dify-helm chart runs it, from a values file merged onto the chart's
// defaults the way Helm merges them: per component whether it runs, its replicas (HPA
// maxReplicas when autoscaling: the budget must hold at the peak) and the env its extraEnv
// gives, plus the workers of the manifests beside it (extra/); and the bundled PostgreSQL's
// max_connections when the values state it.
import type { Release } from '../core/data.js';
import type { Spec } from '../core/spec.js';
import { loadChart } from '../helm/chart.js';
import { componentValues } from '../helm/component-values.js';
import { coalesceValues, isMap, type Values } from '../helm/merge.js';
import { CHART_COMPONENTS } from '../dify/components.js';
import type { DatabaseModel, ServiceModel } from './service-model.js';
import type { Origin } from './diagnostics.js';
import { extraManifests, extraWorkers, secretsData, type ManifestDoc } from './helm-extra.js';

export interface HelmView {
  /** The values merged onto the chart's defaults, as Helm renders them (computed once for every rule). */
  merged: Values;
  services: ServiceModel[];
  database?: DatabaseModel;
  /** The chart's bundled Redis: the redis-server flags its values give (bitnami master.extraFlags). */
  redis?: { flags: string; origin: Origin };
  /** The manifests of extra/, read once here for every rule that looks at them. */
  manifests: ManifestDoc[];
}

const POSTGRES_RESERVED_DEFAULT = 3;

function setting(conf: unknown, name: string): number | undefined {
  const m = typeof conf === 'string' ? new RegExp(`^\\s*${name}\\s*=\\s*'?(\\d+)`, 'm').exec(conf) : null;
  return m ? Number(m[1]) : undefined;
}

/** PostgreSQL's own default max_connections, which the chart's bundled server keeps unless the values set one. */
const POSTGRES_IMAGE_MAX_CONNECTIONS = 100;

export function helmView(input: {
  release: Release;
  values: Values;
  file: string;
  lineAt?: (path: (string | number)[]) => number | undefined;
  spec?: Spec;
  /** --db-max-connections: an external server's max_connections. */
  dbMaxConnections?: number;
  /** extra/ beside the values when the caller read it already (helm-extra's extraManifestsRead). */
  manifests?: () => ManifestDoc[];
}): HelmView {
  const chart = loadChart(input.release.helm.version).defaults;
  const merged = coalesceValues(chart, input.values);
  const where = (path: (string | number)[]): Origin => {
    const line = input.lineAt?.(path);
    return { file: input.file, ...(line !== undefined ? { line } : {}) };
  };
  const services: ServiceModel[] = [];
  const manifests = input.manifests ? input.manifests() : extraManifests(input.file);
  const secrets = secretsData(manifests);
  for (const [component, { key }] of Object.entries(CHART_COMPONENTS) as [ServiceModel['component'], { key: string }][]) {
    const block = merged[key];
    if (!isMap(block)) continue;
    const values = componentValues(block, chart[key]);
    const env: Record<string, string> = {};
    const origin: Record<string, Origin> = {};
    for (const e of values.extraEnv) {
      env[e.name] = e.value;
      origin[e.name] = where([key, 'extraEnv', e.index, 'value']);
    }
    // A credential read from a Secret rendered beside the values (helm/extra/credentials.yaml).
    for (const r of values.secretRefs) {
      const value = secrets.get(r.secret)?.[r.key];
      if (value === undefined) continue;
      env[r.name] = value;
      origin[r.name] = where([key, 'extraEnv', r.index]);
    }
    services.push({
      name: key,
      component,
      replicas: values.replicas.max,
      active: values.enabled,
      env,
      origin,
      line: input.lineAt?.([key]),
    });
  }
  services.push(...extraWorkers(input.file, input.release.execution.runQueue, manifests));
  const pg = isMap(merged.postgresql) ? merged.postgresql : {};
  const primary = isMap(pg.primary) ? pg.primary : {};
  const external = isMap(merged.externalPostgres) && merged.externalPostgres.enabled === true;
  const mysql = isMap(merged.externalMysql) && merged.externalMysql.enabled === true;
  let database: DatabaseModel | undefined;
  if (pg.enabled === true && !external && !mysql) {
    const conf = primary.extendedConfiguration;
    const max = setting(conf, 'max_connections');
    // Values that state no max_connections leave the image's default in force: judged against it.
    database = {
      engine: 'postgresql',
      host: 'postgresql',
      bundled: true,
      reserved: (setting(conf, 'superuser_reserved_connections') ?? POSTGRES_RESERVED_DEFAULT) + (setting(conf, 'reserved_connections') ?? 0),
      maxConnections: max ?? POSTGRES_IMAGE_MAX_CONNECTIONS,
      maxConnectionsOrigin: max !== undefined ? where(['postgresql', 'primary', 'extendedConfiguration']) : where(['postgresql']),
      ...(max === undefined ? { maxConnectionsDefaulted: true } : {}),
    };
  } else if (external || mysql) {
    const spec = input.spec?.database;
    database = {
      engine: mysql && !external ? 'mysql' : 'postgresql',
      host: String((isMap(merged.externalPostgres) && external ? merged.externalPostgres.address : '') ?? ''),
      bundled: false,
      reserved: mysql && !external ? 0 : (spec?.reservedConnections ?? POSTGRES_RESERVED_DEFAULT),
      maxConnectionsOrigin: where([external ? 'externalPostgres' : 'externalMysql']),
      ...(spec?.maxConnections !== undefined ? { maxConnections: spec.maxConnections } : input.dbMaxConnections !== undefined ? { maxConnections: input.dbMaxConnections } : {}),
    };
  }
  const redis = isMap(merged.redis) && merged.redis.enabled === true ? merged.redis : undefined;
  const master = redis && isMap(redis.master) ? redis.master : {};
  const flags = Array.isArray(master.extraFlags) ? master.extraFlags.map(String).join(' ') : '';
  return { merged, services, database, manifests, ...(redis ? { redis: { flags, origin: where(['redis', 'master', 'extraFlags']) } } : {}) };
}

