// The seed's own Drizzle schema (000_06416231a1ef340b.txt, core.ts), unchanged, against the migrated database.
import { pgTable, uuid, varchar, text, timestamp } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import { eq, sql } from "drizzle-orm";
import postgres from "postgres";

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
const [u] = await db.insert(users).values({ email: `Drizzle${wsId}@Example.com`, passwordHash: "x", name: "Drizzle" }).returning();
// Under row-level security (as crm_app) workspace rows need the workspace set. Set it for the transaction
// only (is_local = true): a pooled connection must never carry one workspace into the next checkout.
const { ws, members, sess, m } = await db.transaction(async (tx) => {
  await tx.execute(sql`SELECT set_config('crm.workspace_id', ${wsId}, true)`);
  await tx.insert(workspaces).values({ id: wsId, name: "From drizzle", createdBy: u.id });
  const [m] = await tx.insert(workspaceMembers).values({ workspaceId: wsId, userId: u.id, role: "owner" }).returning();
  await tx.insert(sessions).values({ id: "hash-" + wsId, userId: u.id, workspaceId: wsId, expiresAt: new Date(Date.now() + 86400000) });
  await tx.update(workspaces).set({ name: "Renamed by drizzle" }).where(eq(workspaces.id, wsId));
  return {
    m,
    ws: await tx.select().from(workspaces).where(eq(workspaces.id, wsId)),
    members: await tx.select().from(workspaceMembers).where(eq(workspaceMembers.workspaceId, wsId)),
    sess: await tx.select().from(sessions).where(eq(sessions.workspaceId, wsId)),
  };
});
console.log(JSON.stringify({ user: u.email, workspace: ws[0].name, updatedAfterCreate: ws[0].updatedAt >= ws[0].createdAt, member: members[0].role, memberId: m.id, sessions: sess.length }));
await db.transaction(async (tx) => {
  await tx.execute(sql`SELECT set_config('crm.workspace_id', ${wsId}, true)`);
  await tx.delete(sessions).where(eq(sessions.workspaceId, wsId));
  await tx.delete(workspaceMembers).where(eq(workspaceMembers.workspaceId, wsId));
  await tx.delete(workspaces).where(eq(workspaces.id, wsId));
});
await db.delete(users).where(eq(users.id, u.id));
console.log("drizzle round trip ok");
await client.end();
