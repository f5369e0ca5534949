// pgbouncer/pgbouncer.ini for the compose `pgbouncer` service: the plan's pooler in front of the
// bundled or external PostgreSQL, for the PgBouncer the pinned image ships.
import { PGBOUNCER_IMAGE_VERSION } from '../../core/pooler.js';
import { renderPgbouncerIni } from '../pgbouncer.js';
import type { RenderContext, RenderedFile } from '../types.js';
import { directDatabaseAddress } from './model.js';

export function renderComposePgbouncer(ctx: RenderContext): RenderedFile[] {
  const pooler = ctx.plan.database.pooler;
  if (!pooler) return [];
  const { DB_HOST, DB_PORT } = directDatabaseAddress(ctx);
  return [{ path: 'pgbouncer/pgbouncer.ini', content: renderPgbouncerIni(ctx.spec, pooler, { host: DB_HOST, port: Number(DB_PORT), version: PGBOUNCER_IMAGE_VERSION }), mode: 0o644 }];
}
