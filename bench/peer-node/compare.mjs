// Compares the peer with the .NET API, request by request: S1 and S2 for several sessions (status, content type,
// JSON body with its field order and item order), and the statuses of the failures (no token, malformed token,
// unknown session, another workspace's id, a malformed id, a limit out of range).
//   node compare.mjs <api base url> <peer base url> <tokens.txt> [sessions (10)]
// Exit code 0 when everything matched. The `next` cursors are compared by presence only: the API's are protected
// (encrypted and authenticated, docs/api.md), the peer's are plain base64url JSON.
import { readFileSync } from 'node:fs';

const [api, peer, tokensFile, countArg] = process.argv.slice(2);
if (!api || !peer || !tokensFile) {
  console.error('usage: node compare.mjs <api base url> <peer base url> <tokens.txt> [sessions]');
  process.exit(2);
}
const tokens = readFileSync(tokensFile, 'utf8').split('\n').filter((l) => l.length > 0);
const count = Math.min(Number(countArg) || 10, tokens.length);
const picked = Array.from({ length: count }, (_, i) => tokens[Math.floor((i * tokens.length) / count)]);

let failures = 0;
let checks = 0;
const fail = (what, detail) => { failures++; console.log(`DIFF ${what}: ${detail}`); };

async function get(base, path, token) {
  const response = await fetch(base + path, { headers: token === undefined ? {} : { authorization: token } });
  const text = await response.text();
  return {
    status: response.status,
    type: (response.headers.get('content-type') ?? '').split(';')[0],
    wwwAuthenticate: response.headers.get('www-authenticate'),
    text,
  };
}

/** Same status and content type; for a 200, the same JSON (field order included), a cursor where the other has one. */
async function compare(what, path, header) {
  checks++;
  const [a, b] = await Promise.all([get(api, path, header), get(peer, path, header)]);
  if (a.status !== b.status) return fail(what, `status API ${a.status}, peer ${b.status}`);
  if (a.type !== b.type) return fail(what, `content type API ${a.type}, peer ${b.type}`);
  if (a.status === 401 && a.wwwAuthenticate !== b.wwwAuthenticate) {
    return fail(what, `WWW-Authenticate API ${a.wwwAuthenticate}, peer ${b.wwwAuthenticate}`);
  }
  if (a.status !== 200) {
    const [pa, pb] = [JSON.parse(a.text), JSON.parse(b.text)];
    for (const key of ['type', 'title', 'status']) {
      if (pa[key] !== pb[key]) fail(what, `problem ${key} API ${pa[key]}, peer ${pb[key]}`);
    }
    return;
  }
  const [ja, jb] = [JSON.parse(a.text), JSON.parse(b.text)];
  if ('next' in ja || 'next' in jb) {
    ja.next = typeof ja.next === 'string' ? 'cursor' : ja.next;
    jb.next = typeof jb.next === 'string' ? 'cursor' : jb.next;
  }
  const [sa, sb] = [JSON.stringify(ja), JSON.stringify(jb)];
  if (sa !== sb) {
    let i = 0;
    while (i < sa.length && sa[i] === sb[i]) i++;
    fail(what, `bodies differ at ${i}:\n  API  ...${sa.slice(Math.max(0, i - 80), i + 80)}\n  peer ...${sb.slice(Math.max(0, i - 80), i + 80)}`);
  }
}

for (const token of picked) {
  const workspace = token.slice(0, token.indexOf('.'));
  const bearer = `Bearer ${token}`;
  await compare(`S1 ${workspace}`, '/api/me', bearer);
  for (const query of ['?limit=20', '', '?limit=1', '?limit=10', '?limit=100']) {
    await compare(`S2${query} ${workspace}`, `/api/workspaces/${workspace}/contacts${query}`, bearer);
  }
}

const [first, second] = [picked[0], picked[picked.length - 1]];
const firstWorkspace = first.slice(0, first.indexOf('.'));
const otherWorkspace = second.slice(0, second.indexOf('.'));
const unknownSecret = `${firstWorkspace}.${'A'.repeat(43)}`;
const contactsOf = (w) => `/api/workspaces/${w}/contacts?limit=20`;
await compare('S1 no token', '/api/me', undefined);
await compare('S1 malformed token', '/api/me', 'Bearer not-a-token');
await compare('S1 unknown session', '/api/me', `Bearer ${unknownSecret}`);
await compare('S1 token of one workspace, prefix of another', '/api/me', `Bearer ${otherWorkspace}${first.slice(first.indexOf('.'))}`);
await compare('S2 no token', contactsOf(firstWorkspace), undefined);
await compare('S2 malformed token', contactsOf(firstWorkspace), 'Bearer x.y');
await compare('S2 another workspace', contactsOf(otherWorkspace), `Bearer ${first}`);
await compare('S2 malformed workspace id', contactsOf('no!'), `Bearer ${first}`);
await compare('S2 limit=0', `/api/workspaces/${firstWorkspace}/contacts?limit=0`, `Bearer ${first}`);
await compare('S2 limit=101', `/api/workspaces/${firstWorkspace}/contacts?limit=101`, `Bearer ${first}`);

console.log(`${checks} comparisons over ${count} sessions: ${failures === 0 ? 'identical' : `${failures} differences`}`);
process.exit(failures === 0 ? 0 : 1);
