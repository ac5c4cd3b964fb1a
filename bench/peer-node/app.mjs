// The peer's two endpoints (S1 GET /api/me, S2 GET /api/workspaces/:workspaceId/contacts) and /health, as a
// Fastify app over one pg Pool and drizzle. One instance per cluster worker (see server.mjs).
import { createHash } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import Fastify from 'fastify';
import pg from 'pg';
import { contacts, isoTimestamp, sessions } from './schema.mjs';

// Session lifetime, as the API's SessionLifetimeOptions defaults.
const DAY = 86_400_000;
const SLIDING_EXPIRATION = 7 * DAY;
const ABSOLUTE_EXPIRATION = 30 * DAY;
const RENEWAL_INTERVAL = 3_600_000;
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 100;

// Token: '<workspaceId>.<secret>', workspace id 10-20 ASCII letters/digits, secret 43 base64url chars (32 bytes).
const WORKSPACE_ID = /^[A-Za-z0-9]{10,20}$/;
const SECRET = /^[A-Za-z0-9_-]{43}$/;

const PROBLEM_TYPES = {
  400: ['https://tools.ietf.org/html/rfc9110#section-15.5.1', 'Bad Request'],
  401: ['https://tools.ietf.org/html/rfc9110#section-15.5.2', 'Unauthorized'],
  404: ['https://tools.ietf.org/html/rfc9110#section-15.5.5', 'Not Found'],
  500: ['https://tools.ietf.org/html/rfc9110#section-15.6.1', 'An error occurred while processing your request.'],
};

/**
 * Sends an RFC 9457 problem.
 * @param {import('fastify').FastifyReply} reply
 * @param {keyof typeof PROBLEM_TYPES} status
 * @param {object} [extra]
 */
function problem(reply, status, extra) {
  const [type, title] = PROBLEM_TYPES[status];
  if (status === 401) reply.header('WWW-Authenticate', 'Bearer');
  return reply.code(status).type('application/problem+json').send({ type, title, status, ...extra });
}

/**
 * The workspace and the secret's hash (SHA-256 of the ASCII secret, lower-case hex, as sessions.id) of a bearer
 * token; null for anything that is not one.
 * @param {string | undefined} header
 */
export function parseBearer(header) {
  if (!header || header.length < 7 || header.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  const token = header.slice(7).trim();
  const dot = token.indexOf('.');
  if (dot < 0) return null;
  const workspaceId = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  if (!WORKSPACE_ID.test(workspaceId) || !SECRET.test(secret)) return null;
  return { workspaceId, hash: createHash('sha256').update(secret, 'latin1').digest('hex') };
}

const nullableString = { type: ['string', 'null'] };
const string = { type: 'string' };
const meResponse = {
  type: 'object',
  properties: {
    user: {
      type: 'object',
      properties: { id: string, email: string, name: string, createdAt: string, updatedAt: string },
    },
    workspace: {
      type: 'object',
      properties: {
        id: string, name: string, description: nullableString, createdBy: string, createdAt: string, updatedAt: string,
      },
    },
    role: string,
    session: { type: 'object', properties: { expiresAt: string } },
  },
};
const contactsResponse = {
  type: 'object',
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: string, firstName: string, lastName: nullableString, email: nullableString, phone: nullableString,
          company: nullableString, notes: nullableString, createdBy: nullableString, createdAt: string, updatedAt: string,
        },
      },
    },
    next: nullableString,
  },
};

/**
 * @param {{ connectionString: string, poolMax: number, prepare?: boolean, logLevel?: string }} options
 */
export function buildApp({ connectionString, poolMax, prepare = true, logLevel = 'warn' }) {
  const pool = new pg.Pool({
    connectionString,
    max: poolMax,
    connectionTimeoutMillis: 5_000, // as the API's Npgsql Timeout (5 s)
    idleTimeoutMillis: 300_000, // as Npgsql's ConnectionIdleLifetime: connections survive a pause between rounds
    application_name: 'crm-peer-node',
    // UTC text timestamps (see isoTimestamp); the API's statement timeout.
    options: '-c TimeZone=UTC -c statement_timeout=30000',
  });
  const db = drizzle({ client: pool });

  /** The session of a request's bearer token, or null (unknown, expired, malformed). One round trip, plus the renewal write at most hourly. */
  async function authenticate(header) {
    const token = parseBearer(header);
    if (token === null) return null;
    const { workspaceId, hash } = token;
    // crm_session: SECURITY DEFINER, so no workspace setting is needed; drizzle has no builder for a table function.
    const { rows } = await db.execute(sql`
      SELECT session_id, session_created_at, expires_at, role, joined_at, user_id, email, name,
             user_created_at, user_updated_at, workspace_id, workspace_name, description, created_by,
             workspace_created_at, workspace_updated_at
        FROM crm_session(${workspaceId}, ${hash})`);
    const row = rows[0];
    if (row === undefined) return null;
    const now = Date.now();
    const createdAt = Date.parse(isoTimestamp(row.session_created_at));
    let expiresAt = isoTimestamp(row.expires_at);
    const expires = Date.parse(expiresAt);
    if (now >= expires || now >= createdAt + ABSOLUTE_EXPIRATION) return null;

    // Sliding renewal, as SessionLifetimeOptions.RenewalFor: at most once per RENEWAL_INTERVAL (the last renewal was
    // at expires_at - SLIDING_EXPIRATION), and at once when the absolute lifetime caps the session.
    const target = Math.min(now + SLIDING_EXPIRATION, createdAt + ABSOLUTE_EXPIRATION);
    if (target < expires || (now - (expires - SLIDING_EXPIRATION) >= RENEWAL_INTERVAL && target > expires)) {
      const renewed = await db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('crm.workspace_id', ${workspaceId}, true)`);
        return tx.update(sessions)
          .set({ expiresAt: sql`least(now() + interval '7 days', ${sessions.createdAt} + interval '30 days')` })
          .where(and(eq(sessions.workspaceId, workspaceId), eq(sessions.id, hash)))
          .returning({ expiresAt: sessions.expiresAt });
      });
      if (renewed.length > 0) expiresAt = renewed[0].expiresAt;
    }
    return { row, expiresAt };
  }

  /** The first page, ordered as contacts_workspace_name_idx (ASC puts missing last names last). */
  const firstPage = (tx) => tx
    .select({
      id: contacts.id,
      firstName: contacts.firstName,
      lastName: contacts.lastName,
      email: contacts.email,
      phone: contacts.phone,
      company: contacts.company,
      notes: contacts.notes,
      createdBy: contacts.createdBy,
      createdAt: contacts.createdAt,
      updatedAt: contacts.updatedAt,
    })
    .from(contacts)
    .where(eq(contacts.workspaceId, sql.placeholder('workspaceId')))
    .orderBy(asc(contacts.lastName), asc(contacts.firstName), asc(contacts.id))
    .limit(sql.placeholder('take'));

  const app = Fastify({ logger: { level: logLevel } });
  app.addHook('onClose', () => pool.end());

  app.setErrorHandler((error, request, reply) => {
    if (error.validation) {
      const field = (error.validation[0]?.instancePath ?? '').replace(/^\//, '') || error.validationContext;
      return problem(reply, 400, { title: 'One or more validation errors occurred.', errors: { [field]: [error.message] } });
    }
    request.log.error(error);
    return problem(reply, 500);
  });
  app.setNotFoundHandler((request, reply) => problem(reply, 404));

  app.get('/health', async () => 'Healthy');

  app.register(async (api) => {
    api.decorateRequest('crm', null);
    // Every /api route needs a session: 401 before anything else.
    api.addHook('onRequest', async (request, reply) => {
      const session = await authenticate(request.headers.authorization);
      if (session === null) return problem(reply, 401);
      request.crm = session;
    });

    // S1: served entirely from the session lookup.
    api.get('/me', { schema: { response: { 200: meResponse } } }, async (request) => {
      const { row, expiresAt } = request.crm;
      return {
        user: {
          id: row.user_id,
          email: row.email,
          name: row.name,
          createdAt: isoTimestamp(row.user_created_at),
          updatedAt: isoTimestamp(row.user_updated_at),
        },
        workspace: {
          id: row.workspace_id,
          name: row.workspace_name,
          description: row.description,
          createdBy: row.created_by,
          createdAt: isoTimestamp(row.workspace_created_at),
          updatedAt: isoTimestamp(row.workspace_updated_at),
        },
        role: row.role,
        session: { expiresAt },
      };
    });

    // S2: the first page of the session's workspace's contacts, under row-level security.
    api.get('/workspaces/:workspaceId/contacts', {
      schema: {
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE } },
        },
        response: { 200: contactsResponse },
      },
      // Another workspace (or a malformed id) is a 404 before the query string is validated, as the API.
      preValidation: async (request, reply) => {
        if (request.params.workspaceId !== request.crm.row.workspace_id) return problem(reply, 404);
      },
    }, async (request) => {
      const workspaceId = request.crm.row.workspace_id;
      const size = request.query.limit ?? DEFAULT_PAGE_SIZE;
      // node-postgres hands connections back as they are: the workspace is set for this transaction only.
      const rows = await db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('crm.workspace_id', ${workspaceId}, true)`);
        const query = firstPage(tx);
        return (prepare ? query.prepare('contacts_first_page') : query).execute({ workspaceId, take: size + 1 });
      });
      let next = null;
      if (rows.length > size) {
        rows.length = size;
        const last = rows[size - 1];
        next = Buffer.from(JSON.stringify({ LastName: last.lastName, FirstName: last.firstName, Id: last.id }))
          .toString('base64url');
      }
      return { items: rows, next };
    });
  }, { prefix: '/api' });

  return app;
}
