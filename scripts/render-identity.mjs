// Byte-identity of two builds' renders (a refactor's oracle, issue 25): renders a matrix of specs
// (tier × target × release, and every vector store, storage backend, database, Redis and TLS
// choice) with the reference build first, then with this tree's build into a copy that holds the
// reference's secrets store (secrets are random per render), and compares every file written.
// The renderer fingerprint in .dify-deploy/ names the build, so it differs by design.
// Usage: node scripts/render-identity.mjs REFERENCE_ROOT [REGEX]   (a built checkout, e.g. of base-s25;
// REGEX keeps the specs whose JSON matches)
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const reference = process.argv[2];
if (!reference) throw new Error('usage: node scripts/render-identity.mjs REFERENCE_ROOT');

const S3 = { type: 's3', bucket: 'files', region: 'eu-west-1', useIam: true };
let specs = [];
for (const tier of ['10qps', '50qps', '100qps', '200qps', '500qps', '1000qps'])
  for (const release of ['1.13.3', '1.14.2', '1.15.0', '1.16.1'])
    for (const targets of [['compose'], ['helm'], ['compose', 'helm']])
      specs.push({ tier, release, targets, storage: S3, observability: { workflowLogs: { acceptLargeDatabase: true } }, redis: { eventBus: { mode: 'external', url: 'redis://events.example.com:6379' } } });
const vectorStores = [
  ...['weaviate', 'qdrant', 'pgvector', 'milvus', 'elasticsearch', 'opensearch', 'chroma', 'oceanbase', 'myscale'].map((type) => ({ type, mode: 'bundled' })),
  ...['weaviate', 'qdrant', 'milvus'].map((type) => ({ type, mode: 'external', url: `https://${type}.example.com:1234`, apiKey: 'key"with:quotes', user: 'u', password: 'p', database: 'db' })),
  ...['pgvector', 'elasticsearch', 'opensearch', 'chroma', 'oceanbase', 'myscale', 'analyticdb'].map((type) => ({ type, mode: 'external', host: `${type}.example.com`, user: 'u', password: "p'#: x", database: 'db' })),
  { type: 'tencent', mode: 'external', url: 'https://t.example.com', apiKey: 'k', user: 'u' },
  { type: 'tablestore', mode: 'external', url: 'https://ts.example.com', database: 'inst', user: 'id', password: 'secret' },
];
for (const vectorStore of vectorStores) specs.push({ tier: '50qps', targets: ['compose'], vectorStore });
const storages = [
  { type: 'local' },
  { type: 's3', bucket: 'b', region: 'r', accessKey: 'AK', secretKey: 'SK', endpoint: 'https://minio.example.com', pathStyle: true, pluginBucket: 'pb' },
  { type: 'azure-blob', bucket: 'c', accountName: 'acct', secretKey: 'k==', accountUrl: 'https://acct.blob.core.windows.net' },
  { type: 'aliyun-oss', bucket: 'b', accessKey: 'a', secretKey: 's', endpoint: 'https://oss.example.com', region: 'cn-hangzhou' },
  { type: 'google-storage', bucket: 'b', serviceAccountJsonBase64: 'e30=' },
  { type: 'tencent-cos', bucket: 'b', accessKey: 'a', secretKey: 's', region: 'ap-guangzhou' },
  { type: 'huawei-obs', bucket: 'b', accessKey: 'a', secretKey: 's', endpoint: 'https://obs.example.com' },
  { type: 'volcengine-tos', bucket: 'b', accessKey: 'a', secretKey: 's', endpoint: 'https://tos.example.com', region: 'cn-beijing' },
];
for (const storage of storages) specs.push({ tier: '10qps', targets: ['compose'], storage });
for (const domain of [{ host: 'dify.example.com', tls: 'certbot', email: 'ops@example.com' }, { host: 'dify.example.com', tls: 'own', certFile: 'certs/a.crt', keyFile: '/etc/ssl/a.key', httpPort: 8080, httpsPort: 8443 }])
  specs.push({ tier: '10qps', targets: ['compose'], domain });
specs.push({ tier: '50qps', targets: ['compose', 'helm'], storage: S3, database: { mode: 'external', host: 'db.example.com', user: 'u', password: 'p', maxConnections: 400 }, redis: { mode: 'external', host: 'r.example.com', maxClients: 10000 } });
specs.push({ tier: '10qps', targets: ['compose'], database: { engine: 'mysql' } });
specs.push({ tier: '10qps', targets: ['compose'], database: { pooler: 'none' } });

if (process.argv[3]) specs = specs.filter((s) => new RegExp(process.argv[3]).test(JSON.stringify(s)));

const files = (dir) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath ?? e.path, e.name))).sort();
function render(root, dir) {
  return spawnSync(process.execPath, [join(root, 'bin', 'dify-deploy.cjs'), 'render', '--config', join(dir, 'dify-deploy.yaml'), '--out', dir], { encoding: 'utf8' });
}

const work = mkdtempSync(join(tmpdir(), 'render-identity-'));
let differ = 0;
let refused = 0;
specs.forEach((spec, i) => {
  const [a, b] = [join(work, `${i}-ref`), join(work, `${i}-new`)];
  mkdirSync(join(b, '.dify-deploy'), { recursive: true });
  mkdirSync(a);
  for (const dir of [a, b]) writeFileSync(join(dir, 'dify-deploy.yaml'), JSON.stringify(spec));
  const ra = render(reference, a);
  // Secrets are random per render: the new build reads the reference's store.
  if (ra.status === 0) cpSync(join(a, '.dify-deploy', 'secrets.env'), join(b, '.dify-deploy', 'secrets.env'));
  const rb = render(here, b);
  // The report lists the secrets store as created by one and unchanged by the other: compare what else it says.
  const said = (r, dir) => (r.status === 0 ? `${r.status}\n${r.stderr}` : `${r.status}\n${r.stdout}\n${r.stderr}`).replaceAll(dir, 'DIR');
  if (said(ra, a) !== said(rb, b)) {
    differ++;
    console.log(`spec ${i} ${JSON.stringify(spec)}: the builds said different things\n${said(ra, a)}\n---\n${said(rb, b)}`);
  }
  if (ra.status !== 0) return void refused++;
  const names = [...new Set([...files(a), ...files(b)])].filter((f) => !f.startsWith('.dify-deploy/'));
  for (const f of names) {
    let x, y;
    try { x = readFileSync(join(a, f)); y = readFileSync(join(b, f)); } catch { differ++; console.log(`spec ${i}: ${f} only in one render`); continue; }
    if (!x.equals(y)) { differ++; console.log(`spec ${i} ${JSON.stringify(spec)}: ${f} differs`); }
  }
});
console.log(`${specs.length} specs (${refused} refused by both), ${differ} differences; renders in ${work}`);
if (!differ) rmSync(work, { recursive: true, force: true });
process.exitCode = differ ? 1 : 0;
