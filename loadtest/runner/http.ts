/**
 * A small JSON-over-HTTP(S) client for the runner (flowsheet API, Kubernetes
 * API), on Node's own http/https so TLS options (self-signed certificates,
 * client certificates) are explicit. Every call has a timeout.
 */
import * as http from "http";
import * as https from "https";

export interface RequestOptions {
    method?: string;
    headers?: Readonly<Record<string, string>>;
    body?: unknown;
    timeoutMs?: number;
    /** TLS: CA bundle, client certificate and key, or skip verification. */
    tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; insecure?: boolean };
}

export interface JsonResponse {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: unknown;
    text: string;
}

export class HttpError extends Error {
    constructor(
        message: string,
        readonly status?: number,
    ) {
        super(message);
        this.name = "HttpError";
    }
}

/**
 * Methods that may be sent twice: a repeat has the same effect as one (RFC 9110 9.2.2).
 */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/**
 * Requests with one JSON body and a JSON (or empty) answer.
 *
 * Connections are kept alive between calls (Node's default agent), and a server may
 * close an idle one at the moment we send on it (Traefik, gunicorn and Node itself
 * do, after a few seconds idle). That shows up as ECONNRESET/EPIPE on a *reused*
 * socket before any answer byte. An idempotent request is then sent once more on a
 * fresh connection, as browsers do; a non-idempotent one (POST, PATCH) is never
 * sent on a reused socket in the first place, so it cannot meet that race and is
 * never repeated.
 */
export async function requestJson(url: string, opts: RequestOptions = {}): Promise<JsonResponse> {
    const method = (opts.method ?? "GET").toUpperCase();
    if (!IDEMPOTENT.has(method)) return requestOnce(url, opts, { fresh: true });
    try {
        return await requestOnce(url, opts, { fresh: false });
    } catch (e) {
        if (e instanceof StaleSocketError) return requestOnce(url, opts, { fresh: true });
        throw e;
    }
}

/** The connection was reused and the server had closed it: nothing was answered. */
class StaleSocketError extends HttpError {}

function requestOnce(url: string, opts: RequestOptions, { fresh }: { fresh: boolean }): Promise<JsonResponse> {
    const u = new URL(url);
    const method = opts.method ?? "GET";
    const where = `${method} ${u.origin}${u.pathname}`;
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
    if (payload) {
        // A caller may name a JSON flavour (e.g. application/merge-patch+json).
        headers["content-type"] ??= "application/json";
        headers["content-length"] = String(payload.length);
    }
    const isHttps = u.protocol === "https:";
    const mod = isHttps ? https : http;
    const tlsOptions = isHttps
        ? { ca: opts.tls?.ca, cert: opts.tls?.cert, key: opts.tls?.key, rejectUnauthorized: !opts.tls?.insecure }
        : {};
    // agent: false = a connection of its own, closed after the answer.
    const agentOption = fresh ? { agent: false as const } : {};
    return new Promise((resolve, reject) => {
        let answered = false;
        const req = mod.request(u, { method, headers, timeout: timeoutMs, ...agentOption, ...tlsOptions }, (res) => {
            answered = true;
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                const text = Buffer.concat(chunks).toString("utf8");
                let body: unknown = undefined;
                if (text.length > 0) {
                    try {
                        body = JSON.parse(text);
                    } catch {
                        body = undefined;
                    }
                }
                resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
            });
            res.on("error", (e) => reject(new HttpError(`${where}: ${e.message}`)));
        });
        req.on("timeout", () => req.destroy(new HttpError(`${where}: no answer within ${timeoutMs} ms`)));
        req.on("error", (e: NodeJS.ErrnoException) => {
            if (e instanceof HttpError) return reject(e);
            const stale = req.reusedSocket && !answered && (e.code === "ECONNRESET" || e.code === "EPIPE");
            reject(stale ? new StaleSocketError(`${where}: ${e.message} (on a reused connection)`) : new HttpError(`${where}: ${e.message}`));
        });
        if (payload) req.write(payload);
        req.end();
    });
}

/** Like requestJson, but a non-2xx answer (a redirect included) is an error naming the call. */
export async function requestOk(url: string, opts: RequestOptions = {}): Promise<JsonResponse> {
    const res = await requestJson(url, opts);
    if (res.status < 200 || res.status > 299) {
        const u = new URL(url);
        const where = res.status >= 300 && res.status < 400 ? ` (redirected to ${res.headers.location ?? "?"}: not signed in?)` : "";
        throw new HttpError(`${opts.method ?? "GET"} ${u.pathname}: expected a 2xx answer, got ${res.status}${where}`, res.status);
    }
    return res;
}
