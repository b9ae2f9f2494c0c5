/**
 * The floor of the fan-out benchmark: a bare ssh2 loop with nothing on top, that knows every
 * command in advance (pvefix does not: later probes depend on earlier answers). All handshakes in
 * parallel (no-delay sockets), then a node's commands on its connection in up to 8 channels at
 * once, as pvefix's transport allows (sshd and the node's process table refuse more at 64 nodes):
 * one handshake plus a few round trips, whatever the latency. Through a jump host (`jump` in the
 * job), one connection to it carries every node's, forwarded. Run as its own process so its
 * timing includes Node's start-up, like every other contender.
 *   node dist/bench/floor.js JOB.json
 */
import { readFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import ssh2 from "ssh2";

interface Hop {
  host: string;
  port: number;
  user: string;
  key: string;
}
interface Job {
  /** A jump host every node is reached through: one connection to it, each node's forwarded over it. */
  jump?: Hop;
  nodes: Array<Hop & { commands: string[] }>;
}

const { Client } = ssh2;
/** Channels open at once per connection: pvefix's own default (maxChannelsPerConnection). */
const CHANNELS = 8;
const job = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as Job;

type Sock = Parameters<InstanceType<typeof Client>["connect"]>[0]["sock"];

function connect(node: Hop, via?: InstanceType<typeof Client>): Promise<InstanceType<typeof Client>> {
  return new Promise((resolve, reject) => {
    const open = (sock: Sock) => {
      const client = new Client();
      client
        .on("ready", () => resolve(client))
        .on("error", reject)
        // The other contenders' patience (bench/contenders.ts CONNECT_TIMEOUT_S).
        .connect({ sock, username: node.user, privateKey: readFileSync(node.key), readyTimeout: 30_000 });
    };
    if (via) {
      via.forwardOut("127.0.0.1", 0, node.host, node.port, (error, stream) =>
        error ? reject(error) : open(stream),
      );
      return;
    }
    const sock = netConnect(node.port, node.host);
    sock.setNoDelay(true);
    open(sock);
  });
}

function exec(client: InstanceType<typeof Client>, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, stream) => {
      if (error) return reject(error);
      stream.on("data", () => {}).stderr.on("data", () => {});
      stream.on("close", () => resolve());
      stream.end();
    });
  });
}

const jump = job.jump ? await connect(job.jump) : undefined;
await Promise.all(
  job.nodes.map(async (node) => {
    const client = await connect(node, jump);
    const queue = [...node.commands];
    const lane = async () => {
      for (let command = queue.shift(); command !== undefined; command = queue.shift()) {
        await exec(client, command);
      }
    };
    await Promise.all(Array.from({ length: CHANNELS }, lane));
    client.end();
  }),
);
jump?.end();
