/**
 * A network delay in front of loopback sshd nodes, for `npm run bench -- --latency 1,20`.
 * This machine's kernel has no sch_netem (`tc qdisc … netem` answers "Specified qdisc kind is
 * unknown"), so the delay is added here instead: every byte waits half the round trip in each
 * direction, in order, so a round trip costs the configured time as it would over a WAN. Every
 * contender goes through the same proxy; its CPU is counted with the nodes', like a network's.
 *
 *   node latency-proxy.mjs CONFIG.json    CONFIG: { "rttMs": 20, "routes": [{ "listen": P, "target": Q }] }
 *
 * Prints "ready" once every port listens; runs until SIGTERM.
 */
import { readFileSync } from "node:fs";
import { connect, createServer } from "node:net";

const { rttMs, routes } = JSON.parse(readFileSync(process.argv[2], "utf8"));
const oneWay = rttMs / 2;

/** Forward `from` to `to`, each chunk `oneWay` ms after it arrived (same delay: order is kept). */
function delayed(from, to) {
  from.on("data", (chunk) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, oneWay);
  });
  from.on("end", () => setTimeout(() => to.end(), oneWay));
}

let listening = 0;
for (const { listen, target } of routes) {
  const server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = connect({ host: "127.0.0.1", port: target }, () => upstream.setNoDelay(true));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", () => setTimeout(() => upstream.destroy(), oneWay));
    upstream.on("close", () => setTimeout(() => client.destroy(), oneWay));
    delayed(client, upstream);
    delayed(upstream, client);
  });
  server.on("error", (error) => {
    process.stderr.write(`latency-proxy: port ${listen}: ${error.message}\n`);
    process.exit(1);
  });
  server.listen(listen, "127.0.0.1", () => {
    listening += 1;
    if (listening === routes.length) process.stdout.write("ready\n");
  });
}
process.on("SIGTERM", () => process.exit(0));
