// Against a running API: registers a user, reads GET /me, creates three contacts and pages them two at a time, and
// prints what it saw as one JSON line. Usage: node dist/smoke.js http://localhost:5480
import { randomUUID } from "node:crypto";
import { crmClient, ok, type Contact } from "./client.js";

const baseUrl = process.argv[2] ?? "http://localhost:5480";
const email = `smoke-${randomUUID()}@example.com`;

const signedIn = ok("register", await crmClient(baseUrl).POST("/api/auth/register", {
  body: { email, password: "correct horse battery", name: "Smoke Test" },
}));
const api = crmClient(baseUrl, signedIn.session.token ?? undefined);
const workspaceId = signedIn.workspace.id;

const me = ok("GET /me", await api.GET("/api/me"));

for (const firstName of ["Grace", "Ada", "Alan"]) {
  ok("create contact", await api.POST("/api/workspaces/{workspaceId}/contacts", {
    params: { path: { workspaceId } },
    body: { firstName, lastName: "Smoke" },
  }));
}

const pages: Contact[][] = [];
let after: string | undefined;
do {
  const page = ok("list contacts", await api.GET("/api/workspaces/{workspaceId}/contacts", {
    params: { path: { workspaceId }, query: { limit: 2, after } },
  }));
  pages.push(page.items);
  after = page.next ?? undefined;
} while (after !== undefined);

console.log(JSON.stringify({
  email: me.user.email,
  workspace: me.workspace.id === workspaceId,
  role: me.role,
  pages: pages.map((items) => items.map((c) => c.firstName)),
}));
