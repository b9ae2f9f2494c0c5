/**
 * Reach a node's sshd that lives in a network namespace without any IP route into it: listen on
 * 127.0.0.1, and for each connection start the node's `sshd -i` (inetd mode, via nsenter) and
 * splice the TCP stream to its stdin/stdout. The SSH client (pvefix's ssh2 transport, OpenSSH)
 * sees an ordinary sshd on a loopback port.
 *
 *   node stdio-bridge.mjs CONFIG.json      CONFIG: [{ "port": 22201, "command": ["nsenter", ...] }]
 *
 * Runs until SIGTERM; started and stopped by netns-up.sh / netns-down.sh. Writes CONFIG.json.ready
 * once every port listens, so netns-up.sh never mistakes another process's listener for its own;
 * a port it cannot take ends it with "port P is in use" on stderr.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";

const routes = JSON.parse(readFileSync(process.argv[2], "utf8"));
const servers = routes.map(({ port, command }) =>
  createServer((socket) => {
    socket.setNoDelay(true);
    const child = spawn(command[0], command.slice(1), { stdio: ["pipe", "pipe", "ignore"] });
    socket.pipe(child.stdin);
    child.stdout.pipe(socket);
    const end = () => {
      socket.destroy();
      if (child.exitCode === null) child.kill("SIGTERM");
    };
    child.on("exit", () => socket.end());
    child.on("error", end);
    child.stdin.on("error", end);
    socket.on("error", end);
    socket.on("close", () => {
      if (child.exitCode === null) child.stdin.end();
    });
  })
    .on("error", (error) => {
      const why = error.code === "EADDRINUSE" ? `port ${port} is in use` : `port ${port}: ${error.message}`;
      process.stderr.write(`stdio-bridge: ${why}\n`);
      process.exit(1);
    })
    .listen(port, "127.0.0.1"),
);
let listening = 0;
for (const server of servers) {
  server.on("listening", () => {
    listening += 1;
    if (listening === servers.length) writeFileSync(`${process.argv[2]}.ready`, `${process.pid}\n`);
  });
}
const stop = () => {
  for (const server of servers) server.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
