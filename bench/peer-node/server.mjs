// Entry point: Node's cluster module, one worker per core, each with its own Fastify app and pg Pool.
// Environment: PEER_DATABASE_URL (postgres://crm_app:...@host:port/db, required), PORT (5603), HOST (127.0.0.1),
// PEER_WORKERS (os.availableParallelism()), PEER_POOL (connections of all workers together: 2 per core, as the
// bench's POOL for the .NET API; each worker gets PEER_POOL / workers), PEER_PREPARE (1: the page query as a
// named prepared statement; 0: unnamed), PEER_LOG_LEVEL (warn).
import cluster from 'node:cluster';
import os from 'node:os';

const cores = os.availableParallelism();
const workers = Number(process.env.PEER_WORKERS) || cores;
const totalPool = Number(process.env.PEER_POOL) || 2 * cores;
const poolPerWorker = Math.max(1, Math.floor(totalPool / workers));

if (cluster.isPrimary) {
  if (!process.env.PEER_DATABASE_URL) {
    console.error('PEER_DATABASE_URL is not set (postgres://crm_app:<password>@127.0.0.1:<port>/<database>)');
    process.exit(2);
  }
  console.log(`peer-node: ${workers} workers, pg pool ${poolPerWorker} per worker (${poolPerWorker * workers} in total)`);
  let stopping = false;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    console.error(`peer-node: worker ${worker.process.pid} exited (${signal ?? code})`);
    // Replace a worker that had been serving; one that died on start would only die again.
    if (worker.listening) cluster.fork(); else process.exit(1);
  });
  cluster.on('listening', (worker) => { worker.listening = true; });
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    });
  }
} else {
  const { buildApp } = await import('./app.mjs');
  const app = buildApp({
    connectionString: process.env.PEER_DATABASE_URL,
    poolMax: poolPerWorker,
    prepare: process.env.PEER_PREPARE !== '0',
    logLevel: process.env.PEER_LOG_LEVEL || 'warn',
  });
  await app.listen({ host: process.env.HOST || '127.0.0.1', port: Number(process.env.PORT) || 5603 });
  const stop = () => app.close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop); // the primary is gone (even killed): do not linger without it
}
