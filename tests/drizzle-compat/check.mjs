// The design document's own Drizzle schema (its core.ts tables, copied unchanged), against the migrated database.
import { pgTable, uuid, varchar, text, timestamp } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { randomUUID } from "node:crypto";

const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  email: varchar("email", { length: 255 }).notNull().unique(),
  passwordHash: varchar("password_hash", { length: 255 }).notNull(),
  name: varchar("name", { length: 255 }).notNull(),
  createdAt: timestamp("created_at").notNull().defaultNow(),
  updatedAt: timestamp("updated_at").notNull().defaultNow(),
});
const workspaces = pgTable("workspaces", {
  id: varchar("id", { length: 20 }).primaryKey(),
  name: varchar("name", { length: 255 }).notNull(),
  description: text("description"),
  createdBy: uuid("created_by").notNull().references(() => users.id),
  createdAt: timestamp("created_at").notNull().defaultNow(),
  updatedAt: timestamp("updated_at").notNull().defaultNow(),
});
const workspaceMembers = pgTable("workspace_members", {
  id: uuid("id").primaryKey().defaultRandom(),
  workspaceId: varchar("workspace_id", { length: 20 }).notNull().references(() => workspaces.id),
  userId: uuid("user_id").notNull().references(() => users.id),
  role: varchar("role", { length: 50, enum: ['owner', 'admin', 'member'] }).notNull().default('member'),
  joinedAt: timestamp("joined_at").notNull().defaultNow(),
});
const sessions = pgTable("sessions", {
  id: varchar("id", { length: 255 }).primaryKey(),
  userId: uuid("user_id").notNull().references(() => users.id),
  workspaceId: varchar("workspace_id", { length: 20 }).notNull().references(() => workspaces.id),
  expiresAt: timestamp("expires_at").notNull(),
  createdAt: timestamp("created_at").notNull().defaultNow(),
});

const client = postgres(process.env.DATABASE_URL, { max: 1 });
const db = drizzle(client);
const wsId = "drizzle" + Math.floor(Math.random() * 1e8);
const userId = randomUUID();
// Works as the database owner and as the application role crm_app. Under row-level security crm_app sees a
// workspace's rows only with the workspace set, and a users row only with the user set (or as a member of the
// workspace); set both for the transaction only (is_local = true), so a pooled connection never carries them
// into its next checkout. The user's id is therefore chosen here, not by the column default, and returning()
// names its columns: crm_app may not read password_hash.
const inScope = (work) => db.transaction(async (tx) => {
  await tx.execute(sql`SELECT set_config('crm.user_id', ${userId}, true), set_config('crm.workspace_id', ${wsId}, true)`);
  return work(tx);
});
const { u, ws, members, sess, m } = await inScope(async (tx) => {
  const [u] = await tx.insert(users).values({ id: userId, email: `Drizzle${wsId}@Example.com`, passwordHash: "x", name: "Drizzle" })
    .returning({ id: users.id, email: users.email });
  await tx.insert(workspaces).values({ id: wsId, name: "From drizzle", createdBy: u.id });
  const [m] = await tx.insert(workspaceMembers).values({ workspaceId: wsId, userId: u.id, role: "owner" }).returning();
  await tx.insert(sessions).values({ id: "hash-" + wsId, userId: u.id, workspaceId: wsId, expiresAt: new Date(Date.now() + 86400000) });
  await tx.update(workspaces).set({ name: "Renamed by drizzle" }).where(eq(workspaces.id, wsId));
  return {
    u,
    m,
    ws: await tx.select().from(workspaces).where(eq(workspaces.id, wsId)),
    members: await tx.select().from(workspaceMembers).where(eq(workspaceMembers.workspaceId, wsId)),
    sess: await tx.select().from(sessions).where(eq(sessions.workspaceId, wsId)),
  };
});
console.log(JSON.stringify({ user: u.email, workspace: ws[0].name, updatedAfterCreate: ws[0].updatedAt >= ws[0].createdAt, member: members[0].role, memberId: m.id, sessions: sess.length }));
await inScope(async (tx) => {
  await tx.delete(sessions).where(eq(sessions.workspaceId, wsId));
  await tx.delete(workspaceMembers).where(eq(workspaceMembers.workspaceId, wsId));
  await tx.delete(workspaces).where(eq(workspaces.id, wsId));
  await tx.delete(users).where(eq(users.id, userId));
});
console.log("drizzle round trip ok");
await client.end();
