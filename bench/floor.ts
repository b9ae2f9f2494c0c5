/**
 * The floor of the fan-out benchmark: a bare ssh2 loop with nothing on top, that knows every
 * command in advance (pvefix does not: later probes depend on earlier answers). All handshakes in
 * parallel (no-delay sockets), then all of a node's commands at once, one channel each, on its
 * connection: one handshake plus one round trip, whatever the latency. Run as its own process so
 * its timing includes Node's start-up, like every other contender.
 *   node dist/bench/floor.js JOB.json
 */
import { readFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import ssh2 from "ssh2";

interface Job {
  nodes: Array<{ host: string; port: number; user: string; key: string; commands: string[] }>;
}

const { Client } = ssh2;
const job = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as Job;

function connect(node: Job["nodes"][number]): Promise<InstanceType<typeof Client>> {
  return new Promise((resolve, reject) => {
    const sock = netConnect(node.port, node.host);
    sock.setNoDelay(true);
    const client = new Client();
    client
      .on("ready", () => resolve(client))
      .on("error", reject)
      .connect({ sock, username: node.user, privateKey: readFileSync(node.key) });
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

await Promise.all(
  job.nodes.map(async (node) => {
    const client = await connect(node);
    await Promise.all(node.commands.map((command) => exec(client, command)));
    client.end();
  }),
);
