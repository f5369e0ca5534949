// Secrets the user gives (external database, Redis, vector store and object-store credentials, in
// the spec or .dify-deploy/secrets.env) reach Dify's environment as they are. Render judges them
// by the rule validate applies to the files (releases/secrets.json through core/secret-data.ts),
// so it never writes a deployment its own validate rejects. Generated secrets pass by construction.
import { getAt } from '../core/data-path.js';
import { factApplies, secretData, secretProblem } from '../core/secret-data.js';
import { databaseEnv, redisEnv, storageEnv, vectorStoreParts } from './compose/model.js';
import { CREDENTIAL_FIELDS } from './spec-credentials.js';
import type { RenderContext } from './types.js';

/**
 * One line per secret the api would read that the shared rule rejects, naming where to fix it (never the value).
 * `storesFromSecret`: only Helm with helm.existingSecret is rendered, so the object store's and vector
 * store's credentials are read from the user's Secret, written nowhere here, and may be given nowhere here.
 */
export function specSecretProblems(ctx: RenderContext, storesFromSecret: boolean): string[] {
  const stores = storesFromSecret ? {} : { ...vectorStoreParts(ctx).env, ...storageEnv(ctx) };
  const env = { ...databaseEnv(ctx), ...redisEnv(ctx).env, ...stores };
  const version = ctx.release.version;
  return secretData()
    .secrets.filter((fact) => env[fact.var] !== undefined && factApplies(fact, version, 'api', env))
    .flatMap((fact) => {
      const problem = secretProblem(fact, version, env);
      if (!problem) return [];
      const field = CREDENTIAL_FIELDS.find((f) => f.part === 'value' && getAt(ctx.spec, f.path) === env[fact.var])?.path;
      const where = field ? `dify-deploy.yaml: ${field}` : `.dify-deploy/secrets.env: ${fact.var}`;
      return [`${where}: ${fact.var} (${fact.why}) ${problem}; \`dify-deploy validate\` would reject the rendered files — set a long random value on the server and here (e.g. \`openssl rand -base64 42\`)`];
    });
}
