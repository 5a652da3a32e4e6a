import { createHash } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { BlockList, isIP } from 'node:net';
import type Docker from 'dockerode';
import { CodexError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { LABEL_PROJECT, LABEL_ROLE } from './labels.js';

/*
 * Egress of approved network commands. A network sibling never joins a network that routes
 * anywhere: it joins an internal Docker network (`Internal: true`, and no address of the host on
 * its bridge, so not even the host is reachable from it) whose only other member is an egress
 * proxy: squid (sandbox/egress-proxy, a Debian package) with an allow list, attached to that
 * internal network and to the repo's `network` (default `bridge`), the one way out. The sibling
 * gets HTTP(S)_PROXY/ALL_PROXY pointing at it; raw TCP/UDP has nowhere to go.
 *
 * The proxy refuses any destination that resolves to an address in DENIED_RANGES or to an
 * address of the Docker host (probed from the host's own network namespace, plus the worker's
 * interfaces and every Docker network's gateway), unless the repo's `networkAllow` names it or
 * its CIDR. It decides on the resolved address, twice: squid's `dst` ACL (a 403 the command can
 * read) and nftables rules in the proxy's own network namespace that reject the connection
 * itself, so a name that resolves to a public address at the check and to a private one at the
 * connect (DNS rebinding) still gets nowhere.
 *
 * One proxy and one internal network per distinct policy (egress network, allow list, denied
 * addresses, proxy image) and installation (`codex.project`), created on first use, shared by
 * every task and worker of the installation with that policy, and left running (restart policy
 * `unless-stopped`). Names are derived from a hash of the policy, so two workers agree on them
 * and a changed policy gets a new proxy rather than a changed one.
 */

export const DEFAULT_EGRESS_IMAGE = 'codex-egress-proxy:latest';
/** The proxy's name on the internal network, and its port. */
export const PROXY_HOST = 'egress-proxy';
export const PROXY_PORT = 3128;
/** Value of `codex.role` on the proxy, its networks and the host-address probe. */
export const EGRESS_ROLE = 'egress';
export const LABEL_EGRESS_POLICY = 'codex.egress-policy';

/**
 * Never reached unless `networkAllow` says so: "this" network, private ranges, CGNAT, loopback,
 * link-local (cloud metadata at 169.254.169.254), IETF/documentation/benchmark ranges, multicast
 * and reserved; the IPv6 counterparts (IPv4-mapped addresses included).
 */
export const DENIED_RANGES: readonly string[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/127',
  '::ffff:0:0/96',
  '64:ff9b::/96',
  '100::/64',
  '2001:db8::/32',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
];

const ALWAYS_DENIED = new BlockList();
for (const range of DENIED_RANGES) {
  const [net, bits] = range.split('/') as [string, string];
  ALWAYS_DENIED.addSubnet(net, Number(bits), isIP(net) === 6 ? 'ipv6' : 'ipv4');
}

export interface EgressPolicy {
  /** Docker network the proxy reaches the outside through (RepoConfig.network). */
  network: string;
  /** RepoConfig.networkAllow: host names and IP addresses/CIDRs exempt from the refusal. */
  allow: readonly string[];
}

export interface EgressRoute {
  /** The internal network a sibling joins. */
  network: string;
  /** Environment that sends the sibling's HTTP(S) through the proxy. */
  env: string[];
}

export interface EgressOptions {
  docker: Docker;
  /** The installation's `codex.project` label. */
  project: string;
  /** Proxy image (default codex-egress-proxy:latest; the worker passes CODEX_EGRESS_IMAGE). */
  image?: string;
  logger?: Logger;
}

const READY_TIMEOUT_MS = 30_000;
const HOST_ADDRESSES_TTL_MS = 5 * 60_000;

/** The egress proxies of one installation on one Docker engine. */
export class Egress {
  private readonly docker: Docker;
  private readonly image: string;
  private readonly log: Logger;
  private readonly routes = new Map<string, Promise<EgressRoute & { proxy: string; at: number }>>();

  constructor(private readonly options: EgressOptions) {
    this.docker = options.docker;
    this.image = options.image ?? DEFAULT_EGRESS_IMAGE;
    this.log = options.logger ?? silentLogger();
  }

  /**
   * The route for a network command under `policy`: creates (or finds) the internal network and
   * its proxy, and waits until the proxy accepts connections. Cached for a few minutes (the host's
   * addresses are probed again after that); a proxy that is gone or stopped is noticed at once.
   */
  async ensure(policy: EgressPolicy): Promise<EgressRoute> {
    const key = JSON.stringify([policy.network, [...new Set(policy.allow)].sort()]);
    const cached = this.routes.get(key);
    if (cached) {
      const route = await cached.catch(() => undefined);
      if (route && Date.now() - route.at < HOST_ADDRESSES_TTL_MS && (await this.isRunning(route.proxy))) return route;
      if (this.routes.get(key) === cached) this.routes.delete(key);
    }
    let made = this.routes.get(key);
    if (!made) {
      made = this.create(policy).then((route) => ({ ...route, at: Date.now() }));
      this.routes.set(key, made);
      made.catch(() => this.routes.get(key) === made && this.routes.delete(key));
    }
    const { network, env } = await made;
    return { network, env };
  }

  private async create(policy: EgressPolicy): Promise<EgressRoute & { proxy: string }> {
    const imageId = await this.docker
      .getImage(this.image)
      .inspect()
      .then((i) => i.Id)
      .catch((e: unknown) => {
        throw egressError(`The egress proxy image ${this.image} is not on the worker's Docker engine.`, `Build it with \`npm run sandbox:build\` (it builds the image named by CODEX_EGRESS_IMAGE, default ${DEFAULT_EGRESS_IMAGE}, beside the sandbox image), then retry.`, e);
      });
    const allowNets = policy.allow.filter((a) => isIP(a.split('/')[0]!) !== 0).map(cidr);
    const allowNames = policy.allow.filter((a) => isIP(a.split('/')[0]!) === 0);
    // Host addresses inside DENIED_RANGES (Docker's bridges, which come and go) are refused
    // anyway; leaving them out keeps the policy's hash, and so its proxy, stable.
    const deny = [...DENIED_RANGES, ...(await this.hostAddresses()).filter((a) => !ALWAYS_DENIED.check(a, isIP(a) === 6 ? 'ipv6' : 'ipv4')).map(cidr)];
    const policyHash = createHash('sha256')
      .update(JSON.stringify({ network: policy.network, allowNets: [...new Set(allowNets)].sort(), allowNames: [...new Set(allowNames)].sort(), deny: [...new Set(deny)].sort(), imageId }))
      .digest('hex')
      .slice(0, 12);
    const base = `${this.options.project}-egress-${policyHash}`.replace(/[^A-Za-z0-9_.-]/g, '-');
    const labels = { [LABEL_PROJECT]: this.options.project, [LABEL_ROLE]: EGRESS_ROLE, [LABEL_EGRESS_POLICY]: policyHash };
    const subnet = await this.ensureInternalNetwork(base, labels);
    const proxy = `${base}-proxy`;
    await this.ensureProxy(proxy, base, policy.network, labels, {
      EGRESS_CLIENTS: subnet,
      EGRESS_DENY: [...new Set(deny)].join(' '),
      EGRESS_ALLOW_NETS: [...new Set(allowNets)].join(' '),
      EGRESS_ALLOW_NAMES: [...new Set(allowNames)].join(' '),
    });
    await this.waitReady(proxy);
    this.log.info({ proxy, network: policy.network, allow: policy.allow }, 'egress proxy ready');
    const url = `http://${PROXY_HOST}:${PROXY_PORT}`;
    const noProxy = 'localhost,127.0.0.1,::1';
    const env = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'].map((k) => `${k}=${url}`);
    env.push(`NO_PROXY=${noProxy}`, `no_proxy=${noProxy}`);
    return { network: base, env, proxy };
  }

  /** The internal network of the siblings, without an address of the host on its bridge. */
  private async ensureInternalNetwork(name: string, labels: Record<string, string>): Promise<string> {
    const existing = (await this.docker.getNetwork(name).inspect().catch(notFound)) as NetworkInfo | undefined;
    const net: NetworkInfo = existing ?? (await this.docker
      .createNetwork({ Name: name, Driver: 'bridge', Internal: true, CheckDuplicate: true, Labels: labels, Options: { 'com.docker.network.bridge.inhibit_ipv4': 'true' } })
      .catch((e: { statusCode?: number }) => {
        if (e.statusCode !== 409) throw egressError(`Could not create the network ${name} of network commands: ${(e as Error).message}`, undefined, e);
      })
      .then(() => this.docker.getNetwork(name).inspect()));
    if (!net.Internal || net.Options?.['com.docker.network.bridge.inhibit_ipv4'] !== 'true') {
      throw egressError(`The Docker network ${name} exists but is not an internal network without a host address; remove it so the worker can create it.`);
    }
    const subnet = (net.IPAM?.Config ?? []).map((c) => c.Subnet).filter(Boolean).join(' ');
    if (!subnet) throw egressError(`The Docker network ${name} has no subnet.`);
    return subnet;
  }

  private async ensureProxy(name: string, internal: string, egressNetwork: string, labels: Record<string, string>, env: Record<string, string>): Promise<void> {
    const existing = await this.docker.getContainer(name).inspect().catch(notFound);
    if (existing?.State?.Running) return;
    if (!existing) {
      try {
        const container = await this.docker.createContainer({
          name,
          Image: this.image,
          Labels: labels,
          Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
          Hostname: 'egress-proxy',
          HostConfig: {
            NetworkMode: internal,
            // Root only long enough to load its nftables rules; squid then runs as `proxy` with an
            // empty bounding set (sandbox/egress-proxy/entrypoint.sh).
            CapDrop: ['ALL'],
            CapAdd: ['NET_ADMIN', 'SETUID', 'SETGID'],
            SecurityOpt: ['no-new-privileges'],
            ReadonlyRootfs: true,
            Tmpfs: { '/run': 'rw,nosuid,nodev,size=8m', '/tmp': 'rw,nosuid,nodev,size=16m', '/var/spool/squid': 'rw,nosuid,nodev,size=8m', '/var/log/squid': 'rw,nosuid,nodev,size=8m' },
            Init: true,
            Memory: 256 * 1024 * 1024,
            PidsLimit: 128,
            RestartPolicy: { Name: 'unless-stopped' },
          },
          NetworkingConfig: { EndpointsConfig: { [internal]: { Aliases: [PROXY_HOST] } } },
        });
        try {
          await this.docker.getNetwork(egressNetwork).connect({ Container: container.id });
        } catch (e) {
          await container.remove({ force: true }).catch(() => undefined);
          throw egressError(`The egress proxy could not join the Docker network ${JSON.stringify(egressNetwork)} (the repo's "network"): ${(e as Error).message}`, undefined, e);
        }
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 409) throw CodexError.isInstance(e) ? e : egressError(`Could not create the egress proxy: ${(e as Error).message}`, undefined, e);
        // Another worker created it meanwhile.
      }
    }
    await this.docker
      .getContainer(name)
      .start()
      .catch((e: { statusCode?: number }) => {
        if (e.statusCode !== 304) throw egressError(`Could not start the egress proxy ${name}: ${(e as Error).message}`, undefined, e);
      });
  }

  /** Until squid accepts connections on the proxy's own loopback; fails if the proxy stops. */
  private async waitReady(name: string): Promise<void> {
    const container = this.docker.getContainer(name);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const info = await container.inspect();
      if (!info.State.Running && !info.State.Restarting) {
        const logs = (await container.logs({ stdout: true, stderr: true, tail: 20 }).catch(() => Buffer.alloc(0))).toString('utf8');
        throw egressError(`The egress proxy ${name} stopped (exit ${info.State.ExitCode}): ${logs.replace(/[\x00-\x08]/g, '').trim().slice(-1500)}`);
      }
      if (info.State.Running && (await this.execOk(container, ['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${PROXY_PORT}`]))) return;
      if (Date.now() > deadline) throw egressError(`The egress proxy ${name} did not start listening.`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async execOk(container: Docker.Container, cmd: string[]): Promise<boolean> {
    try {
      const exec = await container.exec({ Cmd: cmd, User: 'proxy', AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      await new Promise((resolve) => {
        stream.on('end', resolve);
        stream.on('error', resolve);
        stream.resume();
      });
      return (await exec.inspect()).ExitCode === 0;
    } catch {
      return false;
    }
  }

  private async isRunning(name: string): Promise<boolean> {
    const info = await this.docker.getContainer(name).inspect().catch(() => undefined);
    return info?.State?.Running === true;
  }

  /**
   * Every address of the Docker host: what the host's own network namespace lists (a short-lived
   * container on the host network, so it is right even when the worker itself runs in a
   * container), the worker's interfaces, and the gateway of every Docker network.
   */
  private async hostAddresses(): Promise<string[]> {
    const found = new Set<string>();
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) found.add(a.address.replace(/%.*$/, ''));
    for (const net of await this.docker.listNetworks()) {
      for (const c of (net.IPAM?.Config ?? []) as Array<{ Gateway?: string }>) if (c.Gateway) found.add(c.Gateway);
    }
    for (const a of await this.probeHostNamespace()) found.add(a);
    return [...found].filter((a) => isIP(a) !== 0).sort();
  }

  private async probeHostNamespace(): Promise<string[]> {
    const container = await this.docker.createContainer({
      Image: this.image,
      Entrypoint: ['hostname', '-I'],
      Tty: true,
      Labels: { [LABEL_PROJECT]: this.options.project, [LABEL_ROLE]: EGRESS_ROLE },
      HostConfig: { NetworkMode: 'host', CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], ReadonlyRootfs: true, AutoRemove: false },
    });
    try {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      const out = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
      if (StatusCode !== 0) throw new Error(`hostname -I exited ${StatusCode}: ${out.trim()}`);
      return out.split(/\s+/).filter((a) => isIP(a) !== 0);
    } catch (e) {
      throw egressError(`Could not list the Docker host's addresses (a container on the host network): ${(e as Error).message}`, undefined, e);
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }
}

interface NetworkInfo {
  Internal?: boolean;
  Options?: Record<string, string>;
  IPAM?: { Config?: Array<{ Subnet?: string }> };
}

const shared = new WeakMap<Docker, Map<string, Egress>>();

/** The Egress of an installation on a Docker client, shared by every sandbox using that client. */
export function egressFor(docker: Docker, project: string, options: { image?: string; logger?: Logger } = {}): Egress {
  let byProject = shared.get(docker);
  if (!byProject) shared.set(docker, (byProject = new Map()));
  const key = `${project}\n${options.image ?? ''}`;
  let egress = byProject.get(key);
  if (!egress) byProject.set(key, (egress = new Egress({ docker, project, image: options.image, logger: options.logger })));
  return egress;
}

/** An address becomes a one-address CIDR; a CIDR stays as it is. */
function cidr(entry: string): string {
  const [addr, bits] = entry.split('/') as [string, string | undefined];
  if (isIP(addr) === 6) return bits === undefined ? `${addr}/128` : entry;
  if (bits === undefined) return `${addr}/32`;
  // nftables wants the network address of a prefix (10.1.2.3/24 → 10.1.2.0/24).
  const n = Number(bits);
  const value = addr.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const network = n === 0 ? 0 : Math.floor(value / 2 ** (32 - n)) * 2 ** (32 - n);
  return `${[24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join('.')}/${n}`;
}

function notFound(e: { statusCode?: number }): undefined {
  if (e.statusCode === 404) return undefined;
  throw e;
}

function egressError(message: string, hint?: string, cause?: unknown): CodexError {
  return new CodexError('sandbox_exec_failed', message, {
    cause,
    retryable: true,
    userMessage: `A network command could not get its egress proxy: ${message}${hint ? ` ${hint}` : ' Check Docker on the worker, then retry.'}`,
  });
}
