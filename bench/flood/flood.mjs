// The FLOOD scenario's two clients, for bench/run.sh (see bench/README.md). Node.js's built-in http only, because
// the API shares password hashing fairly between client addresses and the point is to flood from several: wrk
// cannot choose the address it connects from, http.Agent can (localAddress; all of 127.0.0.0/8 is loopback on Linux).
//
//   node flood.mjs flood URL CONNECTIONS MAX_SECONDS ADDRESS...
//     From each ADDRESS, CONNECTIONS keep-alive connections each sending POST /api/auth/login, one after another,
//     with a wrong password for an account that does not exist and a new email every time: every request costs a
//     full password check (the dummy hash) and no account's failed-login limit ever stops it; a 503 is retried at
//     once, as an attacker would, Retry-After or not. Runs until SIGTERM (or MAX_SECONDS), then prints
//       FLOOD seconds requests 401=n 429=n 503=n other=n errors=n cpu_ms=n   (cpu_ms: this process's own CPU time,
//                                                                          which the API's cores pay for in the bench)
//       FLOOD_ADDRESS address requests 401=n 429=n 503=n other=n errors=n     (one line per address)
//
//   node flood.mjs victim URL SECONDS ADDRESS EMAIL PASSWORD
//     One correct login a second from ADDRESS, sequentially (the next starts a second after the previous one started,
//     or at once if it took longer), each on a new connection as a person signing in would open one, for SECONDS.
//     Prints one line per login: VICTIM status milliseconds (status "error" when the connection failed or timed out).
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const TIMEOUT_MS = 30_000; // as wrk's --timeout in run.sh: a login that waits longer is an error, not a latency

const [mode, url, ...args] = process.argv.slice(2);
const target = new URL(url ?? 'http://127.0.0.1');

// POST /api/auth/login; resolves with the status once the whole answer has arrived.
function login(body, agent, localAddress) {
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: target.hostname, port: target.port, path: '/api/auth/login', method: 'POST', agent, localAddress,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      timeout: TIMEOUT_MS,
    }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
      response.on('error', reject);
      response.on('close', () => { if (!response.complete) reject(new Error('aborted')); });
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
    request.end(body);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function flood(connections, maxSeconds, addresses) {
  const started = performance.now();
  let stopping = false;
  const counts = new Map(addresses.map((a) => [a, { requests: 0, 401: 0, 429: 0, 503: 0, other: 0, errors: 0 }]));
  const agents = addresses.map((a) => new http.Agent({ keepAlive: true, maxSockets: connections, localAddress: a }));
  const stop = () => {
    if (stopping) return;
    stopping = true;
    agents.forEach((agent) => agent.destroy()); // answers still on their way are dropped, as wrk drops them at its end
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const deadline = setTimeout(stop, maxSeconds * 1000);

  let n = 0;
  const salt = Math.floor(Math.random() * 1e9); // unknown emails in every run, not only within one
  const connection = async (address, agent) => {
    const c = counts.get(address);
    while (!stopping) {
      n += 1;
      const body = JSON.stringify({ email: `flood-${salt}-${n}@${address}.example.com`, password: 'not the password' });
      try {
        const status = await login(body, agent, address);
        if (stopping) break; // counted only while the flood ran
        c.requests += 1;
        if (status === 401 || status === 429 || status === 503) c[status] += 1; else c.other += 1;
      } catch {
        if (stopping) break;
        c.requests += 1;
        c.errors += 1;
        await sleep(10); // a refused connection fails at once: do not spin
      }
    }
  };
  await Promise.all(addresses.flatMap((address, i) =>
    Array.from({ length: connections }, () => connection(address, agents[i]))));
  clearTimeout(deadline);

  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage();
  const line = (c) => `${c.requests} 401=${c[401]} 429=${c[429]} 503=${c[503]} other=${c.other} errors=${c.errors}`;
  const total = { requests: 0, 401: 0, 429: 0, 503: 0, other: 0, errors: 0 };
  for (const c of counts.values()) for (const k of Object.keys(total)) total[k] += c[k];
  console.log(`FLOOD ${seconds.toFixed(1)} ${line(total)} cpu_ms=${Math.round((cpu.user + cpu.system) / 1000)}`);
  for (const [address, c] of counts) console.log(`FLOOD_ADDRESS ${address} ${line(c)}`);
}

async function victim(seconds, address, email, password) {
  const body = JSON.stringify({ email, password });
  const agent = new http.Agent({ keepAlive: false, localAddress: address });
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const started = performance.now();
    let status;
    try {
      status = await login(body, agent, address);
    } catch {
      status = 'error';
    }
    const ms = performance.now() - started;
    console.log(`VICTIM ${status} ${ms.toFixed(1)}`);
    await sleep(Math.max(0, 1000 - ms));
  }
}

if (mode === 'flood' && args.length >= 3) {
  await flood(Number(args[0]), Number(args[1]), args.slice(2));
} else if (mode === 'victim' && args.length === 4) {
  await victim(Number(args[0]), args[1], args[2], args[3]);
} else {
  console.error('usage: flood.mjs flood URL CONNECTIONS MAX_SECONDS ADDRESS... | victim URL SECONDS ADDRESS EMAIL PASSWORD');
  process.exit(2);
}
