// Reading a docker-compose file into what validate needs: per service its image, profiles,
// env_file list, environment entries (with their lines, through `<<:` merges), replicas
// and command, `extends:` applied and override files merged as Compose does (compose-go
// override/merge.go). Wrong shapes are left to the compose-spec schema rule, never a crash.
import { dirname, isAbsolute, join } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, type Alias, type Node, type YAMLMap } from 'yaml';
import { UserError } from '../io/errors.js';
import { parseYamlDocument } from '../io/yaml-doc.js';
import { trapAt, type YamlTrap } from './yaml-traps.js';

export interface EnvEntry {
  key: string;
  /** The value before interpolation; null for a bare `KEY` (taken from the shell). */
  raw: string | null;
  line?: number;
  /** The file the entry is written in (an override file or an `extends:` file, not always the compose file). */
  file: string;
}

export interface ComposeService {
  name: string;
  line?: number;
  image?: string;
  profiles: string[];
  envFiles: { path: string; required: boolean }[];
  environment: EnvEntry[];
  /** deploy.replicas (or scale) before interpolation. */
  replicasRaw?: string;
  command?: string;
  /** `extends:` before it is applied. */
  extends?: { service: string; file?: string; line?: number };
}

export interface ComposeFile {
  file: string;
  /** Every compose file read: this one, the files its services extend, override files merged over it. */
  files: string[];
  data: unknown;
  services: ComposeService[];
  /** Variables the file interpolates (${VAR}, $VAR): a .env that sets them is read. */
  referenced: Set<string>;
  /** 1-based line of the node at a JSON path, for schema findings. */
  lineAt(path: (string | number)[]): number | undefined;
  /** `restart`, environment and label values a YAML 1.1 reader takes for a non-string. */
  traps: YamlTrap[];
}

/** A node with aliases followed: what `*name` stands for, else the node itself. */
type Deref = (node: unknown) => unknown;

/** What an alias stands for, from the parse's one walk of the document (see aliasTargets). */
function aliasResolver(targets: Map<Alias, Node>): Deref {
  return (node) => (isAlias(node) ? targets.get(node) : node);
}

/** The map a node stands for, following aliases. */
function asMap(node: unknown, deref: Deref): YAMLMap | undefined {
  const n = deref(node);
  return isMap(n) ? n : undefined;
}

/** A map key as text; the merge key `<<` (a symbol when merges are on) as '<<'. */
function keyText(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  return typeof key.value === 'symbol' ? (key.source ?? '<<') : String(key.value);
}

/** Key → value node of a map, `<<:` merges applied (explicit keys win, as in YAML 1.1). */
function mapEntries(node: unknown, deref: Deref): Map<string, Node> {
  const out = new Map<string, Node>();
  const map = asMap(node, deref);
  if (!map) return out;
  for (const pair of map.items) {
    const key = keyText(pair.key);
    if (key !== '<<') continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const src of sources) for (const [k, v] of mapEntries(src, deref)) if (!out.has(k)) out.set(k, v);
  }
  for (const pair of map.items) {
    const key = keyText(pair.key);
    if (key === undefined || key === '<<') continue;
    out.set(key, (pair.value ?? null) as Node);
  }
  return out;
}

function scalarText(node: Node | undefined | null): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  return v === null || v === undefined ? '' : typeof v === 'object' ? undefined : String(v);
}

export function parseComposeText(text: string, file: string, opts: ComposeParseOptions = {}): ComposeFile {
  const { doc, data, lineOf, lineAt, aliasTargets } = parseYamlDocument(text, file, 'compose file');
  const deref = aliasResolver(aliasTargets());
  if (data !== null && (typeof data !== 'object' || Array.isArray(data)))
    throw new UserError([`${file}: expected a docker-compose mapping (services: …), got ${Array.isArray(data) ? 'a list' : typeof data}; pass the compose file with --compose`]);
  const services: ComposeService[] = [];
  const traps: YamlTrap[] = [];
  const trapNodes = new Set<unknown>(); // a value in a `<<:` anchor shared by several services is reported once
  const trap = (node: unknown, path: (string | number)[]) => {
    const resolved = deref(node);
    const t = trapAt(resolved, path, lineOf);
    if (!t || trapNodes.has(resolved)) return;
    traps.push(t);
    trapNodes.add(resolved);
  };
  for (const [name, svcNode] of mapEntries(mapEntries(doc.contents, deref).get('services'), deref)) {
    const svc = mapEntries(svcNode, deref);
    trap(svc.get('restart'), ['services', name, 'restart']);
    const environment: EnvEntry[] = [];
    const envNode = svc.get('environment');
    const envNodeResolved = deref(envNode);
    if (isSeq(envNodeResolved)) {
      for (const item of envNodeResolved.items) {
        const s = scalarText(item as Node);
        if (s === undefined) continue;
        const eq = s.indexOf('=');
        environment.push({ key: eq < 0 ? s : s.slice(0, eq), raw: eq < 0 ? null : s.slice(eq + 1), line: lineOf(item as Node), file });
      }
    } else {
      for (const [key, v] of mapEntries(envNode, deref)) {
        trap(v, ['services', name, 'environment', key]);
        const resolved = deref(v);
        const raw = scalarText(resolved as Node);
        environment.push({ key, raw: raw === undefined ? null : raw, line: lineOf(resolved as Node), file });
      }
    }
    for (const [key, v] of mapEntries(svc.get('labels'), deref)) trap(v, ['services', name, 'labels', key]);
    const envFiles: ComposeService['envFiles'] = [];
    const ef = svc.get('env_file');
    const efResolved = deref(ef);
    for (const item of isSeq(efResolved) ? efResolved.items : efResolved ? [efResolved] : []) {
      const s = scalarText(item as Node);
      if (s !== undefined) envFiles.push({ path: s, required: true });
      else {
        const m = mapEntries(item, deref);
        const path = scalarText(m.get('path'));
        if (path !== undefined) envFiles.push({ path, required: scalarText(m.get('required')) !== 'false' });
      }
    }
    const profilesNode = svc.get('profiles');
    const profiles = isSeq(profilesNode) ? profilesNode.items.map((i) => scalarText(i as Node)).filter((s): s is string => s !== undefined) : [];
    const replicasRaw = scalarText(mapEntries(svc.get('deploy'), deref).get('replicas')) ?? scalarText(svc.get('scale'));
    const commandNode = svc.get('command');
    const command = isSeq(commandNode) ? commandNode.items.map((i) => scalarText(i as Node) ?? '').join(' ') : scalarText(commandNode);
    const extendsNode = svc.get('extends');
    const extendsMap = mapEntries(extendsNode, deref);
    const extendsService = scalarText(extendsNode) ?? scalarText(extendsMap.get('service'));
    services.push({
      name,
      line: lineOf(svcNode),
      image: scalarText(svc.get('image')),
      profiles,
      envFiles,
      environment,
      replicasRaw,
      command,
      ...(extendsService !== undefined && { extends: { service: extendsService, file: scalarText(extendsMap.get('file')), line: lineOf(extendsNode as Node) } }),
    });
  }
  if (services.length === 0 && !opts.override)
    throw new UserError([`${file}: no services: is not a docker-compose file for Dify; pass Dify's docker-compose.yaml (or the one dify-deploy rendered) with --compose`]);
  const referenced = new Set<string>();
  for (const m of text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) referenced.add(m[1]);
  const files = [file];
  return {
    file,
    files,
    data,
    services: applyExtends(services, files, opts.extendsFile),
    referenced,
    lineAt,
    traps,
  };
}

export interface ComposeParseOptions {
  /** An override file: it may hold no service, or services that are only partial. */
  override?: boolean;
  /** Reads the compose file an `extends: { file: … }` names (a path as written, relative to this file). */
  extendsFile?: (path: string) => ComposeFile;
}

/**
 * Compose's merge of one service definition over another (compose-go override/merge.go), for what
 * validate reads: image, command and replicas replaced; environment, env_file and profiles appended
 * (a later environment key wins). The result keeps `over`'s name and line.
 */
function mergeService(base: ComposeService, over: ComposeService): ComposeService {
  return {
    name: over.name,
    line: over.line,
    image: over.image ?? base.image,
    profiles: [...base.profiles, ...over.profiles],
    envFiles: [...base.envFiles, ...over.envFiles],
    environment: [...base.environment, ...over.environment],
    replicasRaw: over.replicasRaw ?? base.replicasRaw,
    command: over.command ?? base.command,
  };
}

/** Each service with its `extends:` applied, as Compose applies it before anything else; a base Compose cannot find is bad input. */
function applyExtends(services: ComposeService[], files: string[], extendsFile: ComposeParseOptions['extendsFile']): ComposeService[] {
  const file = files[0];
  const byName = new Map(services.map((s) => [s.name, s]));
  const applied = new Map<string, ComposeService>();
  const applying: string[] = [];
  const apply = (s: ComposeService): ComposeService => {
    const ext = s.extends;
    if (!ext) return s;
    const done = applied.get(s.name);
    if (done) return done;
    const where = `${file}${ext.line ? `:${ext.line}` : ''}`;
    if (applying.includes(s.name))
      throw new UserError([`${where}: service ${s.name} extends itself (${[...applying, s.name].join(' → ')}); docker compose refuses a circular extends — fix extends.service`]);
    applying.push(s.name);
    let base: ComposeService | undefined;
    if (ext.file !== undefined) {
      if (!extendsFile) throw new UserError([`${where}: service ${s.name} extends a service of ${ext.file}, which is not read here; write the service out`]);
      const other = extendsFile(ext.file);
      for (const f of other.files) if (!files.includes(f)) files.push(f);
      const found = other.services.find((o) => o.name === ext.service);
      // Compose reads the other file's env_file paths from that file's folder.
      const folder = dirname(other.file);
      base = found && { ...found, envFiles: found.envFiles.map((f) => ({ ...f, path: isAbsolute(f.path) ? f.path : join(folder, f.path) })) };
    } else {
      const named = byName.get(ext.service);
      base = named && apply(named);
    }
    if (!base)
      throw new UserError([`${where}: service ${s.name} extends ${ext.service}, which ${ext.file ?? file} does not define; docker compose refuses it — fix extends.service`]);
    applying.pop();
    const merged = mergeService(base, s);
    applied.set(s.name, merged);
    return merged;
  };
  return services.map(apply);
}

/** `over` (an override file) merged into `compose` as Compose merges the files it is given in order. */
export function mergeComposeFiles(compose: ComposeFile, over: ComposeFile): ComposeFile {
  const services = compose.services.map((s) => {
    const o = over.services.find((x) => x.name === s.name);
    return o ? { ...mergeService(s, o), line: s.line } : s;
  });
  // A service only the override defines: its line is not in the compose file findings name.
  for (const o of over.services) if (!compose.services.some((s) => s.name === o.name)) services.push({ ...o, line: undefined });
  return { ...compose, services, files: [...compose.files, ...over.files], referenced: new Set([...compose.referenced, ...over.referenced]) };
}
