import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, paths };
export type Schemas = components["schemas"];
export type Contact = Schemas["ContactResponse"];
export type SignedIn = Schemas["SignedInResponse"];

/**
 * A typed client of the CrmToolkit API at `baseUrl` (e.g. `http://localhost:5480`), signed in with a session's `token`
 * when given. A session belongs to one workspace: after a switch, make a client with the new token.
 */
export function crmClient(baseUrl: string, token?: string) {
  return createClient<paths>({
    baseUrl,
    headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
  });
}

export type CrmClient = ReturnType<typeof crmClient>;

/** An error response (RFC 9457 problem) as an exception that names the call, its status and title. */
export class CrmProblem extends Error {
  constructor(call: string, readonly response: Response, readonly problem: unknown) {
    const title = (problem as Schemas["ProblemDetails"] | undefined)?.title;
    super(`${call}: ${response.status}${title ? ` ${title}` : ""}`);
  }
}

/** The data of a successful call, or a {@link CrmProblem}. */
export function ok<T>(call: string, result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) {
    throw new CrmProblem(call, result.response, result.error);
  }
  return result.data;
}
