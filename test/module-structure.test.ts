// The source's module structure, read with TypeScript's own import scanner: no import circles
// (type-only and dynamic imports count too), and folders depend one way, from the commands down
// to the data; and tsc's own output (dist/, not the bundle) imports without error, as a library
// user or a test runner would load it.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const sources = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .sort();

/** Each source file's relative imports (static, type-only, re-exports and dynamic), as source paths. */
const imports = new Map(
  sources.map((file) => {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(SRC, file), 'utf8'), true, true);
    const local = importedFiles.map((i) => i.fileName).filter((name) => name.startsWith('.'));
    return [file, local.map((name) => normalize(join(dirname(file), name)).replace(/\.js$/, '.ts'))];
  }),
);

/**
 * Top to bottom: a folder may import its own and any lower layer's modules. cli/ holds the
 * commands' shared option parsing and printing; lifecycle/ (import, upgrade) reads files with
 * validate's readers and renders; measure/ reads a running Dify's database into a workload; validate re-renders dify-deploy's own output to find drift;
 * helm/ reads the chart; core/ is the spec, sizing model and release data; io/ reads and writes the
 * formats (YAML, .env, user files) and holds the bad-input error; dify/ and backends/ are facts about
 * Dify's components and the backends.
 */
const LAYERS = [['cli.ts'], ['commands'], ['cli'], ['lifecycle', 'wizard', 'measure'], ['validate'], ['render'], ['helm'], ['core'], ['io', 'dify', 'backends']];
const folderOf = (file: string) => file.split('/')[0];
const layerOf = (file: string) => LAYERS.findIndex((l) => l.includes(folderOf(file)));

describe('module structure', () => {
  it('every import names a source file, and every folder has a layer', () => {
    for (const [file, targets] of imports) {
      expect(layerOf(file), file).toBeGreaterThanOrEqual(0);
      for (const t of targets) expect(sources, `${file} imports ${t}`).toContain(t);
    }
  });

  it("the scripts' and bench's imports of dist/ name modules tsc builds from src/", () => {
    // dist/ keeps files of modules since moved; only a fresh clone would show a script reading one.
    const stale = ['scripts', 'bench'].flatMap((dir) =>
      readdirSync(join(ROOT, dir))
        .filter((f) => f.endsWith('.mjs'))
        .flatMap((f) => ts.preProcessFile(readFileSync(join(ROOT, dir, f), 'utf8'), true, true).importedFiles.map((i) => ({ from: `${dir}/${f}`, name: i.fileName })))
        .filter(({ name }) => name.startsWith('../dist/'))
        .filter(({ name }) => !sources.includes(name.slice('../dist/'.length).replace(/\.js$/, '.ts')))
        .map(({ from, name }) => `${from} imports ${name}`),
    );
    expect(stale).toEqual([]);
  });

  it('docs/architecture.md names every folder and the folders it imports', () => {
    const rows = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8')
      .split('\n')
      .map((line) => /^\| `([^`]+?)\/?` \|.*\| (.+) \|$/.exec(line))
      .filter((m) => m !== null)
      .map((m) => [m[1], m[2] === '—' ? [] : [...m[2].matchAll(/`([^`]+?)\/?`/g)].map((n) => n[1])] as const);
    const actual = new Map<string, Set<string>>();
    for (const [file, targets] of imports) {
      const folder = folderOf(file);
      const used = actual.get(folder) ?? new Set<string>();
      for (const t of targets) if (folderOf(t) !== folder) used.add(folderOf(t));
      actual.set(folder, used);
    }
    expect(new Map(rows.map(([folder, used]) => [folder, [...used].sort()]))).toEqual(new Map([...actual].map(([folder, used]) => [folder, [...used].sort()])));
  });

  it('no import circles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') return void cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
      state.set(file, 'open');
      for (const t of imports.get(file) ?? []) visit(t, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of sources) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('folders depend one way: on their own and lower layers only', () => {
    const upward = [...imports].flatMap(([file, targets]) =>
      targets.filter((t) => folderOf(t) !== folderOf(file) && layerOf(t) <= layerOf(file)).map((t) => `${file} → ${t}`),
    );
    expect(upward).toEqual([]);
  });

  it("tsc's output imports without error: every module, and each folder's entry in a fresh Node", async () => {
    const modules = sources.map((f) => join(ROOT, 'dist', f.replace(/\.ts$/, '.js')));
    expect(modules.filter((m) => !existsSync(m))).toEqual([]);
    const load = (list: string[]) => execFileAsync(process.execPath, ['--input-type=module', '-e', `for (const m of ${JSON.stringify(list.map((m) => pathToFileURL(m).href))}) await import(m);`]);
    // A module loaded first by another cannot hide its own load-order error: the entries each start a process of their own.
    const entries = ['cli.js', 'render/index.js', 'validate/index.js', 'lifecycle/import.js', 'lifecycle/upgrade.js', 'wizard/flow.js'].map((e) => join(ROOT, 'dist', e));
    for (const list of [modules, ...entries.map((e) => [e])]) await expect(load(list)).resolves.toBeDefined();
  }, 120_000);
});
