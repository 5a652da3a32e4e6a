import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';

/*
 * A user-defined Docker network with a tiny HTTP server on it, reachable as `netserver:8080`
 * from containers on that network (a repo's `network`): what an approved network command may
 * reach in the end-to-end tests. The server answers `answer` and logs each request's path.
 */

const docker = new Docker();

export interface NetworkServer {
  network: string;
  /** The paths requested so far, oldest first. */
  requests(): Promise<string[]>;
  remove(): Promise<void>;
}

export async function startNetworkServer(answer: string): Promise<NetworkServer> {
  const name = `codex-e2e-net-${randomBytes(4).toString('hex')}`;
  const network = await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: { 'codex.e2e': 'network-server' } });
  const script = `require('http').createServer((q, r) => { console.log('REQ ' + q.url); r.end('${answer}'); }).listen(8080)`;
  const server = await docker.createContainer({
    Image: 'codex-sandbox:latest',
    Cmd: ['node', '-e', script],
    Labels: { 'codex.e2e': 'network-server' },
    HostConfig: { NetworkMode: name, AutoRemove: false },
    NetworkingConfig: { EndpointsConfig: { [name]: { Aliases: ['netserver'] } } },
  });
  const remove = async () => {
    await server.remove({ force: true }).catch(() => undefined);
    await network.remove().catch(() => undefined);
  };
  try {
    await server.start();
    // Ready when it answers on its own loopback.
    for (let i = 0; ; i++) {
      const exec = await server.exec({ Cmd: ['curl', '-sf', 'http://127.0.0.1:8080/ready'], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      await new Promise((resolve) => {
        stream.on('end', resolve);
        stream.resume();
      });
      if ((await exec.inspect()).ExitCode === 0) break;
      if (i > 100) throw new Error('the network server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await remove();
    throw e;
  }
  return {
    network: name,
    async requests() {
      const logs = (await server.logs({ stdout: true, stderr: false })).toString('latin1');
      return [...logs.matchAll(/REQ (\S+)/g)].map((m) => m[1]!).filter((p) => p !== '/ready');
    },
    remove,
  };
}
