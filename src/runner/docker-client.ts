import Docker from 'dockerode';

/**
 * The Docker client for DOCKER_HOST as the config read it (`unix:///path`, `tcp://host:port`,
 * `http(s)://host:port`, `ssh://user@host`); the local socket when it is unset. Passing it on
 * explicitly, rather than leaving dockerode to read the process environment, keeps the config
 * the one source of truth (tests and embedders pass their own).
 */
export function createDockerClient(dockerHost?: string): Docker {
  if (!dockerHost) return new Docker();
  const url = new URL(dockerHost);
  switch (url.protocol) {
    case 'unix:':
      return new Docker({ socketPath: url.pathname });
    case 'tcp:':
    case 'http:':
      return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
    case 'https:':
      return new Docker({ host: url.hostname, port: Number(url.port || 2376), protocol: 'https' });
    case 'ssh:':
      return new Docker({ host: url.hostname, port: Number(url.port || 22), username: url.username || undefined, protocol: 'ssh' });
    default:
      throw new Error(`DOCKER_HOST ${dockerHost} is not a unix://, tcp://, http(s):// or ssh:// address`);
  }
}
