// What validate reads a deployment's services and database into, whichever files they come
// from (compose, .env, Helm values, extra manifests): a leaf the readers share.
import type { ComponentName } from '../dify/components.js';
import type { Origin } from './diagnostics.js';

export interface ServiceModel {
  name: string;
  /** The Dify component it runs (budget, timeouts), when it is one. */
  component?: ComponentName;
  image?: string;
  replicas: number;
  /** Started by `docker compose up` with the project's COMPOSE_PROFILES. */
  active: boolean;
  env: Record<string, string>;
  origin: Record<string, Origin>;
  command?: string;
  line?: number;
}

export interface DatabaseModel {
  engine: string;
  host: string;
  bundled: boolean;
  /** The server's max_connections, when the files say it. */
  maxConnections?: number;
  maxConnectionsOrigin?: Origin;
  /** maxConnections is the server's default, not a value the files state. */
  maxConnectionsDefaulted?: boolean;
  /** The files set max_connections to a value dify-deploy cannot read as the server does (e.g. `abc`, `0x10`, `1e9`). */
  maxConnectionsUnreadable?: { variable: string; origin?: Origin };
  reserved: number;
}
