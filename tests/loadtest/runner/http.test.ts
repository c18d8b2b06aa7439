/**
 * The runner's API client against a real HTTP server on loopback that closes a
 * kept-alive connection the moment the next request arrives on it: the race a
 * client meets when Traefik or gunicorn drops an idle connection.
 */
import * as http from "http";
import type { AddressInfo, Socket } from "net";
import { requestJson, requestOk, HttpError } from "../../../loadtest/runner/http";

interface Seen {
    method: string;
    path: string;
    connection: number;
    nthOnConnection: number;
}

/** A server whose policy decides, per request, whether to answer or drop the connection. */
async function server(drop: (s: Seen) => boolean) {
    const seen: Seen[] = [];
    const ids = new Map<Socket, { id: number; n: number }>();
    const srv = http.createServer((req, res) => {
        let c = ids.get(req.socket);
        if (!c) {
            c = { id: ids.size + 1, n: 0 };
            ids.set(req.socket, c);
        }
        c.n += 1;
        const s: Seen = { method: req.method ?? "", path: req.url ?? "", connection: c.id, nthOnConnection: c.n };
        seen.push(s);
        req.resume();
        req.on("end", () => {
            if (drop(s)) {
                req.socket.destroy(); // no answer: the client sees the connection reset
                return;
            }
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ connection: c!.id }));
        });
    });
    srv.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    return { base, seen, close: () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }) };
}

describe("requestJson on a connection the server closed", () => {
    test("GIVEN a kept-alive connection the server drops on the next request, WHEN the runner GETs again, THEN the GET is sent once more on a fresh connection and succeeds", async () => {
        const s = await server((r) => r.nthOnConnection > 1);
        try {
            const first = await requestOk(`${s.base}/api/flowsheets/1`);
            const second = await requestOk(`${s.base}/api/flowsheets/1`);
            expect(first.body).toEqual({ connection: 1 });
            expect(second.body).toEqual({ connection: 2 });
            // The second call really went out on the kept-alive socket first (the race), then once on a new one.
            expect(s.seen.map((x) => [x.connection, x.nthOnConnection])).toEqual([[1, 1], [1, 2], [2, 1]]);
        } finally {
            await s.close();
        }
    });

    test("GIVEN a kept-alive connection, WHEN the runner POSTs, THEN the POST goes on a connection of its own and is sent exactly once", async () => {
        const s = await server((r) => r.nthOnConnection > 1);
        try {
            await requestOk(`${s.base}/api/flowsheets/`);
            const created = await requestJson(`${s.base}/api/flowsheets/`, { method: "POST", body: { name: "t" } });
            expect(created.status).toBe(200);
            const posts = s.seen.filter((x) => x.method === "POST");
            expect(posts).toHaveLength(1);
            expect(posts[0].nthOnConnection).toBe(1);
        } finally {
            await s.close();
        }
    });

    test("GIVEN a server that drops every request, WHEN the runner GETs, THEN it fails naming the call after at most one repeat", async () => {
        const s = await server(() => true);
        try {
            await expect(requestJson(`${s.base}/apis/apps/v1/deployments`)).rejects.toThrow(
                new RegExp(`^GET ${s.base.replace(/\./g, "\\.")}/apis/apps/v1/deployments: socket hang up`),
            );
            await expect(requestJson(`${s.base}/x`)).rejects.toBeInstanceOf(HttpError);
            expect(s.seen.filter((x) => x.path === "/x").length).toBeLessThanOrEqual(2);
        } finally {
            await s.close();
        }
    });

    test("GIVEN a kept-alive connection the server drops on the next request, WHEN the runner DELETEs, THEN it is repeated once and succeeds (DELETE is idempotent)", async () => {
        const s = await server((r) => r.nthOnConnection > 1);
        try {
            await requestOk(`${s.base}/a`);
            const res = await requestOk(`${s.base}/api/flowsheets/7`, { method: "DELETE" });
            expect(res.status).toBe(200);
            expect(s.seen.filter((x) => x.method === "DELETE").map((x) => x.nthOnConnection)).toEqual([2, 1]);
        } finally {
            await s.close();
        }
    });
});
