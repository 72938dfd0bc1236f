/** Builds a project's API client with its authenticator: the one place that ties a password's IAM token to the client. */
import type { AuthConfig } from "../config/config";
import { AkSkAuthenticator, Authenticator, PasswordAuthenticator, StaticTokenAuthenticator } from "./auth";
import { ClientOptions, DataArtsClient } from "./client";
import { IamTokenProvider } from "./token";

/** What a client is built for: a project's id, endpoint and auth block as config reads them. */
export interface ClientTarget {
  projectId: string;
  endpoint: string;
  auth: AuthConfig;
}

/** Everything of ClientOptions but what the target decides. */
export type ClientDeps = Omit<ClientOptions, "projectId" | "endpoint" | "auth">;

/**
 * A client for `target`; a password's IAM token requests go through the client itself, with its
 * retries and hooks. `make` builds the client from its options (`--api.check` records its queries).
 */
export function createClient<C extends DataArtsClient = DataArtsClient>(
  target: ClientTarget,
  deps: ClientDeps,
  make: (options: ClientOptions) => C = (options) => new DataArtsClient(options) as C,
): C {
  const client: C = make({
    ...deps,
    projectId: target.projectId,
    endpoint: target.endpoint,
    auth: authenticatorFor(target, deps, (url, body) => client.sendIam(url, body)),
  });
  return client;
}

function authenticatorFor(
  target: ClientTarget,
  deps: ClientDeps,
  sendIam: (url: string, body: string) => ReturnType<DataArtsClient["sendIam"]>,
): Authenticator {
  const auth = target.auth;
  switch (auth.type) {
    case "aksk":
      return new AkSkAuthenticator(auth, target.projectId, deps.clock);
    case "token":
      return new StaticTokenAuthenticator(auth.token);
    case "password":
      return new PasswordAuthenticator(new IamTokenProvider({ ...auth, projectId: target.projectId }, sendIam, deps.clock));
  }
}
