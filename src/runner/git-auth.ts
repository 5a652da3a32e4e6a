/*
 * Credentials for one host git process that talks to a remote over HTTP(S). They are handed to
 * that process alone, in its environment, as command-scope config (GIT_CONFIG_COUNT/KEY/VALUE:
 * an `http.extraHeader` with Basic credentials): never on a command line (visible to every
 * user in `ps`), never in the mirror's config or a URL (written to disk), never in a credential
 * helper (host git reads none). Git does not print extra headers in its messages.
 */

/** Basic credentials for one git operation (GitHub: `x-access-token` and an installation token). */
export interface GitCredentials {
  username: string;
  password: string;
}

/** Gives credentials for one fetch or push of a repo, or undefined when the worker's own (SSH keys, none) are used. */
export type GitAuth = (repoName: string) => Promise<GitCredentials | undefined>;

/** The environment that makes one git process send `credentials` on every HTTP request. */
export function credentialEnv(credentials: GitCredentials | undefined): Record<string, string> {
  if (!credentials) return {};
  const basic = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
  return { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` };
}
