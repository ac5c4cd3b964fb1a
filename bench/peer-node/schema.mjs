// Drizzle table definitions for the two tables the peer touches (the columns of the migrations; no relations).
import { customType, pgTable, text, uuid, varchar } from 'drizzle-orm/pg-core';

/**
 * PostgreSQL's text form of a timestamptz ('2026-01-01 00:00:05.1234+00', the session's TimeZone is UTC) as
 * .NET writes a DateTimeOffset ('2026-01-01T00:00:05.1234+00:00'). Both drop trailing zeros of the fraction.
 * A string, not a Date: a Date keeps milliseconds, the API's timestamps have microseconds.
 * @param {string} value
 * @returns {string}
 */
export function isoTimestamp(value) {
  const iso = value.charCodeAt(10) === 32 ? `${value.slice(0, 10)}T${value.slice(11)}` : value;
  const sign = iso.charCodeAt(iso.length - 3);
  return sign === 43 || sign === 45 ? `${iso}:00` : iso; // '+HH' or '-HH' -> '+HH:00'
}

/** timestamptz read as the API's ISO text (drizzle's node-postgres driver hands timestamptz over as text). */
export const timestamptz = customType({
  dataType: () => 'timestamp with time zone',
  fromDriver: (/** @type {string} */ value) => isoTimestamp(value),
});

export const contacts = pgTable('contacts', {
  id: uuid('id').primaryKey(),
  workspaceId: varchar('workspace_id', { length: 20 }).notNull(),
  firstName: varchar('first_name', { length: 100 }).notNull(),
  lastName: varchar('last_name', { length: 100 }),
  email: varchar('email', { length: 255 }),
  phone: varchar('phone', { length: 50 }),
  company: varchar('company', { length: 255 }),
  notes: text('notes'),
  createdBy: uuid('created_by'),
  createdAt: timestamptz('created_at').notNull(),
  updatedAt: timestamptz('updated_at').notNull(),
});

export const sessions = pgTable('sessions', {
  id: varchar('id', { length: 255 }).notNull(),
  userId: uuid('user_id').notNull(),
  workspaceId: varchar('workspace_id', { length: 20 }).notNull(),
  expiresAt: timestamptz('expires_at').notNull(),
  createdAt: timestamptz('created_at').notNull(),
});
