// pooler: what a transaction-mode PgBouncer breaks. The plugin daemon's GORM/pgx prepares
// statements unless DB_TYPE=pgbouncer (dify-plugin-daemon PR #529); migrations (Alembic DDL,
// locks, one session) must reach PostgreSQL directly.
import { at, type Diagnostic } from '../diagnostics.js';
import { poolerSettings, throughPooler } from '../pooler-settings.js';
import type { Rule } from './rule.js';

export const poolerRule: Rule = {
  id: 'pooler',
  summary: 'a transaction-mode PgBouncer used by the plugin daemon without DB_TYPE=pgbouncer, or by migrations',
  check(d) {
    const pooler = poolerSettings(d);
    if (!pooler || pooler.poolMode !== 'transaction') return [];
    const out: Diagnostic[] = [];
    for (const s of d.services.filter((x) => x.active && throughPooler(x, pooler))) {
      if (s.component === 'plugin_daemon' && (s.env.DB_TYPE ?? 'postgresql') !== 'pgbouncer')
        out.push({
          rule: 'pooler',
          severity: 'error',
          ...at(s.origin.DB_TYPE ?? s.origin.DB_HOST),
          message: `${s.name} reaches PostgreSQL through the transaction pooler ${pooler.service} with DB_TYPE=${s.env.DB_TYPE ?? 'postgresql'}: its prepared statements fail once PgBouncer hands the next transaction another server connection`,
          fix: `set DB_TYPE=pgbouncer in ${s.name}'s environment (dify-plugin-daemon turns prepared statements off)`,
          data: { service: s.name, pooler: pooler.service },
        });
      if ((s.env.MODE ?? '').toLowerCase() === 'migration' || s.name === 'migrate')
        out.push({
          rule: 'pooler',
          severity: 'error',
          ...at(s.origin.DB_HOST),
          message: `${s.name} runs migrations through the transaction pooler ${pooler.service}: DDL, locks and session state need one server session`,
          fix: `give ${s.name} the direct DB_HOST / DB_PORT of PostgreSQL in its environment`,
          data: { service: s.name, pooler: pooler.service },
        });
    }
    return out;
  },
};
