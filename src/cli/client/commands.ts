/**
 * The describe-driven client, with the maas CLI's grammar:
 *   plinth login PROFILE URL [KEY|-]      plinth logout PROFILE      plinth profiles
 *   plinth PROFILE RESOURCE ACTION [positional…] [key=value | key@=file …] [--output json|table]
 */
import { readFileSync } from 'node:fs';
import { RESERVED, actionName, apiUrl, commandName, loadProfiles, saveProfiles, type DescribedHandler, type Profile } from './profiles.ts';
import { call, type Field } from './request.ts';
import { formatOutput } from './output.ts';

export class ClientError extends Error {
  constructor(message: string, readonly exitCode = 1) { super(message); }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString().trim();
}

export async function login(name: string, url: string, key: string | undefined): Promise<string> {
  if (RESERVED.has(name)) throw new ClientError(`'${name}' is a plinth command; choose another profile name.`);
  const base = apiUrl(url);
  const apiKey = key === '-' ? await readStdin() : key ?? null;
  if (apiKey) {
    const who = await call({ method: 'GET', url: `${base}users/?op=whoami`, apiKey });
    if (who.status === 401) throw new ClientError('The server rejected your API key.');
    if (who.status !== 200) throw new ClientError(`The server gave an unexpected response: ${who.status}`);
  }
  const d = await call({ method: 'GET', url: `${base}describe/`, apiKey: null });
  if (d.status !== 200 || d.contentType !== 'application/json') throw new ClientError(`${base}describe/ did not return an API description (status ${d.status}).`);
  const profiles = loadProfiles();
  profiles[name] = { name, url: base, credentials: apiKey, description: JSON.parse(d.body.toString()) };
  saveProfiles(profiles);
  return `You are now logged in to the server at ${base} with the profile name '${name}'.`;
}

export function logout(name: string) {
  const profiles = loadProfiles();
  if (!profiles[name]) throw new ClientError(`No such profile: ${name}`);
  delete profiles[name];
  saveProfiles(profiles);
}

function handlersOf(p: Profile): Map<string, DescribedHandler[]> {
  const out = new Map<string, DescribedHandler[]>();
  for (const r of p.description.resources) {
    const hs = (p.credentials ? [r.auth, r.anon] : [r.anon, r.auth]).filter((h): h is DescribedHandler => h !== null);
    if (hs.length) out.set(commandName(r.name), hs);
  }
  return out;
}

export function usage(p: Profile, resource?: string): string {
  const hs = handlersOf(p);
  if (!resource || !hs.get(resource)) return `usage: plinth ${p.name} RESOURCE ACTION …\nresources:\n${[...hs.keys()].sort().map((r) => `  ${r}`).join('\n')}`;
  const actions = new Map<string, string>();
  for (const h of hs.get(resource)!) for (const a of h.actions) if (!actions.has(actionName(a.name))) actions.set(actionName(a.name), a.doc.split('\n')[0]);
  const params = hs.get(resource)![0].params.map((x) => x.toUpperCase()).join(' ');
  return `usage: plinth ${p.name} ${resource} ACTION ${params} [key=value …]\nactions:\n${[...actions].sort().map(([a, d]) => `  ${a.padEnd(32)} ${d}`).join('\n')}`;
}

export async function run(profileName: string, argv: string[]): Promise<{ exitCode: number; output: string }> {
  const p = loadProfiles()[profileName];
  if (!p) throw new ClientError(`No such profile: ${profileName}`);
  let output: 'json' | 'table' = 'json';
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--output' || argv[i] === '-o') output = argv[++i] === 'table' ? 'table' : 'json';
    else if (argv[i].startsWith('--output=')) output = argv[i].endsWith('table') ? 'table' : 'json';
    else rest.push(argv[i]);
  }
  const [resource, action, ...more] = rest;
  const handlers = handlersOf(p).get(resource ?? '');
  if (!handlers || !action) return { exitCode: 2, output: usage(p, resource) };
  const handler = handlers.find((h) => h.actions.some((a) => actionName(a.name) === action));
  const decl = handler?.actions.find((a) => actionName(a.name) === action);
  if (!handler || !decl) return { exitCode: 2, output: usage(p, resource) };
  const positional = more.slice(0, handler.params.length);
  if (positional.length < handler.params.length) throw new ClientError(`missing ${handler.params.slice(positional.length).map((x) => x.toUpperCase()).join(' ')}`, 2);
  const fields: Field[] = [];
  for (const arg of more.slice(handler.params.length)) {
    const file = /^([^=@]+)@=(.*)$/.exec(arg);
    const kv = /^([^=]+)=(.*)$/s.exec(arg);
    if (!decl.doc.includes(':param') && (file || kv)) throw new ClientError(`${action} takes no key=value arguments`, 2);
    if (file) fields.push({ name: file[1], value: readFileSync(file[2]), filename: file[2] });
    else if (kv) fields.push({ name: kv[1], value: kv[2] });
    else throw new ClientError(`unexpected argument '${arg}': use key=value or key@=file`, 2);
  }
  let path = handler.path;
  handler.params.forEach((name, i) => { path = path.replace(`{${name}}`, encodeURIComponent(positional[i])); });
  const u = new URL(path, p.url);
  if (decl.op) u.searchParams.set('op', decl.op);
  const res = await call({ method: decl.method, url: u.toString(), apiKey: p.credentials, fields });
  const text = res.body.toString();
  if (res.status < 200 || res.status >= 300) return { exitCode: 2, output: `${res.status}: ${text}` };
  return { exitCode: 0, output: res.contentType.includes('json') ? formatOutput(JSON.parse(text || 'null'), output) : text };
}
