// TEST FIXTURE: stand-ins for the platform's front-end and Django pods, run by
// harness/gateway.ts inside the gateway's network namespace, on the addresses
// kwok gave the pods (which run nothing). Each answers every request with 200
// and JSON naming itself and echoing the method, path and request headers, so
// a test sees which back end Traefik reached and with which identity headers.
// Not part of the program.
//
//   node gateway-backend.mjs <name>=<ip>:<port> ...
// Prints "ready" once every listener is up.
import { createServer } from "node:http";

const specs = process.argv.slice(2).map((arg) => {
    const m = /^([a-z0-9-]+)=(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(arg);
    if (!m) {
        process.stderr.write(`gateway-backend: expected <name>=<ip>:<port>, got ${arg}\n`);
        process.exit(2);
    }
    return { name: m[1], ip: m[2], port: Number(m[3]) };
});
if (specs.length === 0) {
    process.stderr.write("gateway-backend: no back ends given\n");
    process.exit(2);
}

await Promise.all(
    specs.map(
        ({ name, ip, port }) =>
            new Promise((resolve, reject) => {
                const server = createServer((req, res) => {
                    req.resume();
                    req.on("end", () => {
                        const body = JSON.stringify({ backend: name, method: req.method, path: req.url, headers: req.headers });
                        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
                        res.end(body);
                    });
                });
                server.once("error", reject);
                server.listen(port, ip, resolve);
            }),
    ),
);
process.stdout.write("ready\n");
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0));
